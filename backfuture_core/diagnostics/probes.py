"""The probes of a connection test: every question to the exchange, asked at once.

A test costs one round trip: the server time, the key info, the balance calls and, where the
exchange needs them, the account id and the account mode leave together, and every check is derived from their answers afterwards (`checks.py`). Errors arrive
already classified by the adapter; each probe's answer is its value or its ExchangeError.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.base import SPOT, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo

Outcome = Any  # a probe's result, or the ExchangeError it raised


@dataclass(frozen=True)
class Probes:
    """The raw answers of one test; each is a value or an ExchangeError (None: not asked)."""

    server_time: Outcome
    skew_ms: int | None
    key: Outcome
    spot: Outcome
    futures: Outcome
    resynced: bool = False
    account: Outcome = None  # the account id probe (MEXC uid), where the key info lacks it
    mode: Outcome = None  # the account mode (KuCoin CLASSIC or UNIFIED), where there is one
    checked_at_ms: float | None = None  # when the test ran (to tell the key's age)

    @property
    def account_id(self) -> str | None:
        """The account the key belongs to: from the key info, else from its own probe."""
        if isinstance(self.key, KeyInfo) and self.key.account_id:
            return self.key.account_id
        return self.account if isinstance(self.account, str) else None

    @property
    def unified(self) -> bool:
        return isinstance(self.mode, str) and self.mode.upper() == "UNIFIED"

    def errors(self) -> list[ExchangeError]:
        answers = (self.server_time, self.key, self.spot, self.futures)
        return [a for a in answers if isinstance(a, ExchangeError)]

    def signed_ok(self) -> bool:
        return any(a is not None and not isinstance(a, ExchangeError) for a in self.signed())

    def signed(self) -> tuple[Outcome, ...]:
        return (self.key, self.spot, self.futures)


async def _outcome(pending: Awaitable[Any]) -> Outcome:
    try:
        return await pending
    except ExchangeError as exc:
        return exc


async def _probe_clock(adapter: ExchangeAdapter) -> tuple[Outcome, int | None]:
    result = await _outcome(adapter.clock_offset())
    return (result, None) if isinstance(result, ExchangeError) else result


async def _none() -> None:
    return None


async def probe(adapter: ExchangeAdapter) -> Probes:
    """Ask everything a test needs at once: one round trip when the exchange is healthy."""
    market = adapter.connection.market
    adapter.client(SPOT)  # import ccxt and build the client before the clock is timed
    (server, skew), key, spot, futures, account, mode = await asyncio.gather(
        _probe_clock(adapter),
        _outcome(adapter.key_info()),
        _outcome(adapter.spot_balance()) if market.has_spot else _none(),
        _outcome(adapter.futures_balance()) if market.has_futures else _none(),
        _outcome(adapter.account_id()),
        _outcome(adapter.account_mode()),
    )
    checked = adapter.timing.wall_ms()
    return Probes(server, skew, key, spot, futures, adapter.resynced, account, mode, checked)
