"""Balances and Orders on the Bitget and OKX demo connections (the tests live in
portfolio_exchange.py)."""

from __future__ import annotations

import pytest

from tests.core.portfolio_exchange import (  # noqa: F401 - collected here
    saved,
    sb,
    test_balances_are_valued_and_futures_positions_shown,
    test_orders_and_fills_of_the_last_week,
)


@pytest.fixture(scope="module", params=["Bitget", "OKX"])
def exchange(request: pytest.FixtureRequest) -> str:
    return str(request.param)
