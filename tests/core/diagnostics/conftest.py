"""Fixtures of the connection-test scenarios: one sandbox for the package, clean per test, and
a spy on the adapters the test runner creates (to read their retry counters)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backfuture_core.diagnostics import run
from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.sandbox import Sandbox


@pytest.fixture(scope="package")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sb(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.clear_faults()
    sandbox.clear_requests()
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture
def adapters(monkeypatch: pytest.MonkeyPatch) -> list[ExchangeAdapter]:
    """The adapters the test runner creates, to read their retry counters afterwards."""
    made: list[ExchangeAdapter] = []

    def spy(*args: Any, **kwargs: Any) -> ExchangeAdapter:
        adapter = create_adapter(*args, **kwargs)
        made.append(adapter)
        return adapter

    monkeypatch.setattr(run, "create_adapter", spy)
    return made
