"""Values as people read them: one format per kind of value, on every page."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from backfuture_core import formatting as fmt

PARIS_WINTER = timezone(timedelta(hours=1), "CET")


@pytest.mark.parametrize("missing", [None, math.nan, float("nan"), pd.NaT, "", "  "])
def test_nothing_is_shown_as_a_dash_never_none_or_nan(missing):
    assert fmt.format_amount(missing) == "—"
    assert fmt.format_money(missing, "USDT") == "—"
    assert fmt.format_time(missing) == "—"
    assert fmt.format_share(missing) == "—"


def test_numbers_have_thousands_separators():
    assert fmt.format_number(85734.63) == "85,734.63"
    assert fmt.format_money(85734.63, "USDT") == "85,734.63 USDT"
    assert fmt.format_amount(1234567.891) == "1,234,567.9"
    assert fmt.format_amount(0.000123456789) == "0.00012345679"
    assert fmt.format_amount(0) == "0"


def test_signed_values_never_show_minus_zero():
    assert fmt.format_signed_money(-0.001, "USDT") == "0.00 USDT"
    assert fmt.format_signed_money(12.5, "USDT") == "+12.50 USDT"
    assert fmt.format_signed_money(-3, "USDT") == "−3.00 USDT"
    assert fmt.format_signed_percent(-0.0001) == "0.00 %"
    assert fmt.format_signed_percent(-1.234) == "−1.23 %"


def test_tiny_shares_read_as_less_than_a_hundredth_of_a_percent():
    assert fmt.format_share(4e-9) == "< 0.01 %"
    assert fmt.format_share(0.1234) == "12.34 %"
    assert fmt.format_share(0) == "0.00 %"


def test_times_are_local_readable_and_name_their_zone():
    iso = "2026-12-02T04:43:38+00:00"
    assert fmt.format_time(iso, UTC) == "2 Dec 2026, 04:43 UTC"
    assert fmt.format_time(iso, PARIS_WINTER) == "2 Dec 2026, 05:43 CET"
    assert fmt.format_time(iso, UTC, seconds=True) == "2 Dec 2026, 04:43:38 UTC"
    epoch_ms = datetime(2026, 12, 2, 4, 43, tzinfo=UTC).timestamp() * 1000
    assert fmt.format_time(epoch_ms, UTC) == "2 Dec 2026, 04:43 UTC"
    assert fmt.format_time(pd.Timestamp(iso), UTC) == "2 Dec 2026, 04:43 UTC"
    assert fmt.format_time("not a time") == "—"
    assert "+00:00" not in fmt.format_time(iso)


def test_symbols_as_people_write_them():
    assert fmt.format_symbol("BTC/USDT:USDT") == "BTC/USDT perpetual"
    assert fmt.format_symbol("BTC/USD:BTC") == "BTC/USD perpetual (BTC-settled)"
    assert fmt.format_symbol("ETH/BTC") == "ETH/BTC"


def test_ids_become_titles():
    assert fmt.title_of("exchange_unavailable") == "Exchange unavailable"
    assert fmt.title_of(None) == "—"
