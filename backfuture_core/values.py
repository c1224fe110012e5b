"""Values as exchanges and ccxt write them: the one number parser, the one symbol parser and the
one set of time units. Showing values to people is `formatting.py`'s job."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def to_float(value: Any) -> float:
    """A finite float, or NaN for None, text that is not a number, inf or NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


@dataclass(frozen=True)
class Symbol:
    """A ccxt symbol taken apart: "BTC/USDT" (spot) or "BTC/USDT:USDT" (linear perpetual)."""

    base: str
    quote: str
    settle: str = ""

    @property
    def spot(self) -> str:
        return f"{self.base}/{self.quote}" if self.quote else self.base

    @property
    def is_perpetual(self) -> bool:
        return bool(self.settle)

    def on_market(self, market: str) -> str:
        """The same pair on `market`: the linear perpetual on "futures", else the spot pair."""
        return f"{self.spot}:{self.quote}" if market == "futures" and self.quote else self.spot


def parse_symbol(symbol: str) -> Symbol:
    """ "ETH/BTC" -> (ETH, BTC); "BTC/USDT:USDT" -> (BTC, USDT, USDT); "BTC" -> (BTC, "")."""
    pair, _, settle = (symbol or "").partition(":")
    base, _, quote = pair.partition("/")
    return Symbol(base, quote, settle)
