"""Market catalogue and the deterministic price model of the sandbox.

Prices are a pure function of (seed, asset, time): the log-price of every asset is a sum of
value-noise octaves with periods from one minute to ~45 days, each octave's amplitude growing
with the square root of its period. That behaves like a bounded random walk, needs no state,
and can be evaluated lazily for any instant, so tickers, candles of every interval and the
prices of generated orders all agree with each other.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from backfuture_core.values import DAY_MS, HOUR_MS, MINUTE_MS

WEEK_MS = 7 * DAY_MS
MONTH = "1M"  # calendar months are the one irregular interval

_OCTAVES = 17  # periods of 1, 2, 4, ... 65536 minutes
_STEP = 2.5e-4  # amplitude of the one-minute octave; octave k has _STEP * sqrt(2**k)
_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Asset:
    code: str
    name: str
    usd: float  # reference price in USDT (0 for assets that trade nowhere)
    vol: float  # volatility multiplier (0 = pegged)
    decimals: int  # balance precision


@dataclass(frozen=True)
class Pair:
    base: str
    quote: str
    price_decimals: int
    amount_decimals: int
    daily_volume_usd: float


@dataclass(frozen=True)
class Perpetual:
    base: str
    mexc_symbol: str
    kucoin_symbol: str
    mexc_contract_size: float
    kucoin_multiplier: float
    max_leverage: int
    price_decimals: int
    maintenance_rate: float
    daily_volume_usd: float


ASSETS: dict[str, Asset] = {
    a.code: a
    for a in (
        Asset("USDT", "Tether", 1.0, 0.0, 8),
        Asset("USDC", "USD Coin", 1.0, 0.01, 8),
        Asset("BTC", "Bitcoin", 67_250.0, 1.0, 8),
        Asset("ETH", "Ethereum", 3_480.0, 1.2, 8),
        Asset("SOL", "Solana", 152.0, 1.6, 8),
        Asset("XRP", "XRP", 0.52, 1.4, 6),
        Asset("DOGE", "Dogecoin", 0.155, 1.8, 4),
        Asset("LTC", "Litecoin", 82.0, 1.2, 8),
        Asset("ADA", "Cardano", 0.46, 1.5, 6),
        Asset("TRX", "TRON", 0.121, 0.9, 6),
        Asset("MX", "MX Token", 3.05, 1.3, 8),
        Asset("KCS", "KuCoin Token", 9.6, 1.1, 8),
        Asset("BNB", "BNB", 585.0, 1.0, 8),
        Asset("MNT", "Mantle", 0.82, 1.4, 8),
        Asset("OKB", "OKB", 48.5, 1.2, 8),
        Asset("BGB", "Bitget Token", 1.12, 1.2, 8),
        # Held in the demo balances but listed on no market anywhere: valuation must cope.
        Asset("ZZZ", "Zeta Zero (delisted)", 0.0, 0.0, 4),
    )
}

_COMMON_PAIRS = (
    Pair("BTC", "USDT", 2, 6, 400e6),
    Pair("ETH", "USDT", 2, 5, 220e6),
    Pair("SOL", "USDT", 2, 3, 90e6),
    Pair("XRP", "USDT", 4, 2, 60e6),
    Pair("DOGE", "USDT", 5, 1, 45e6),
    Pair("LTC", "USDT", 2, 4, 20e6),
    Pair("ADA", "USDT", 4, 2, 18e6),
    Pair("TRX", "USDT", 5, 1, 12e6),
    Pair("USDC", "USDT", 4, 2, 30e6),
    Pair("ETH", "BTC", 6, 4, 15e6),
    Pair("BTC", "USDC", 2, 6, 25e6),
)

SPOT_PAIRS: dict[str, tuple[Pair, ...]] = {
    "mexc": (*_COMMON_PAIRS[:5], Pair("MX", "USDT", 4, 2, 8e6), *_COMMON_PAIRS[5:]),
    "kucoin": (*_COMMON_PAIRS[:5], Pair("KCS", "USDT", 3, 4, 6e6), *_COMMON_PAIRS[5:]),
    "binance": (*_COMMON_PAIRS[:5], Pair("BNB", "USDT", 2, 3, 80e6), *_COMMON_PAIRS[5:]),
    "bybit": (*_COMMON_PAIRS[:5], Pair("MNT", "USDT", 4, 2, 9e6), *_COMMON_PAIRS[5:]),
    "okx": (*_COMMON_PAIRS[:5], Pair("OKB", "USDT", 2, 4, 9e6), *_COMMON_PAIRS[5:]),
    "bitget": (*_COMMON_PAIRS[:5], Pair("BGB", "USDT", 4, 2, 7e6), *_COMMON_PAIRS[5:]),
}

PERPETUALS: tuple[Perpetual, ...] = (
    Perpetual("BTC", "BTC_USDT", "XBTUSDTM", 0.0001, 0.001, 125, 1, 0.004, 2e9),
    Perpetual("ETH", "ETH_USDT", "ETHUSDTM", 0.01, 0.01, 100, 2, 0.005, 1e9),
    Perpetual("SOL", "SOL_USDT", "SOLUSDTM", 0.1, 0.1, 75, 3, 0.01, 3e8),
)


def find_pair(exchange: str, base: str, quote: str) -> Pair:
    for pair in SPOT_PAIRS[exchange]:
        if pair.base == base and pair.quote == quote:
            return pair
    raise KeyError(f"{exchange} lists no {base}/{quote} market")


def find_perpetual(base: str) -> Perpetual:
    return next(p for p in PERPETUALS if p.base == base)


def num(value: float, decimals: int) -> str:
    """Format a number the way exchanges do: fixed precision, no trailing zeros."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _mix(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def hash64(*parts: int) -> int:
    """Deterministic 64-bit hash of integer parts."""
    h = 0
    for part in parts:
        h = _mix(h ^ (part & _MASK))
    return h


def unit(*parts: int) -> float:
    """Deterministic pseudo-random number in [0, 1) from integer parts."""
    return hash64(*parts) / 2**64


def text_key(text: str) -> int:
    return zlib.crc32(text.encode())


@dataclass(frozen=True)
class Candle:
    open_ms: int
    close_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # base units
    quote_volume: float


@dataclass(frozen=True)
class Ticker:
    time_ms: int
    last: float
    open: float
    high: float
    low: float
    bid: float
    ask: float
    volume: float
    quote_volume: float


class PriceModel:
    """USDT prices of every asset at any millisecond, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._octaves: dict[str, list[tuple[int, int, float]]] = {}

    def _params(self, asset: str) -> list[tuple[int, int, float]]:
        params = self._octaves.get(asset)
        if params is None:
            vol = ASSETS[asset].vol
            base = _mix(self.seed * 1_000_003 + text_key(asset))
            params = [
                (_mix(base + k), 1 << k, _STEP * math.sqrt(1 << k) * vol) for k in range(_OCTAVES)
            ]
            self._octaves[asset] = params
        return params

    def _log_offset(self, asset: str, t_ms: float) -> float:
        minutes = t_ms / MINUTE_MS
        total = 0.0
        for key, period, amplitude in self._params(asset):
            x = minutes / period
            n = math.floor(x)
            a = _mix(key ^ (n & _MASK)) / 2**63 - 1.0
            b = _mix(key ^ ((n + 1) & _MASK)) / 2**63 - 1.0
            total += amplitude * (a + (b - a) * (x - n))
        return total

    def usd(self, asset: str, t_ms: float) -> float:
        info = ASSETS[asset]
        if info.vol == 0.0:
            return info.usd
        return info.usd * math.exp(self._log_offset(asset, t_ms))

    def price(self, base: str, quote: str, t_ms: float) -> float:
        return self.usd(base, t_ms) / self.usd(quote, t_ms)

    def _volume_factor(self, base: str, quote: str, salt: int, index: int) -> float:
        return 0.5 + unit(self.seed, text_key(base + "/" + quote), salt, index)

    def candles(
        self, base: str, quote: str, daily_volume_usd: float, bounds: list[int], now_ms: int
    ) -> list[Candle]:
        """Candles between consecutive boundaries (the last one may still be open at now_ms)."""
        points = [self.price(base, quote, min(t, now_ms)) for t in bounds]
        vol = max(ASSETS[base].vol, ASSETS[quote].vol, 0.005)
        quote_usd = self.usd(quote, now_ms)
        result = []
        for i in range(len(bounds) - 1):
            start, end = bounds[i], bounds[i + 1]
            minutes = (end - start) / MINUTE_MS
            o, c = points[i], points[i + 1]
            wick = 0.6 * _STEP * math.sqrt(minutes) * vol
            salt = text_key(f"{end - start}")
            k = start // MINUTE_MS
            high = max(o, c) * (1 + wick * unit(self.seed, salt, k, 1))
            low = min(o, c) * (1 - wick * unit(self.seed, salt, k, 2))
            quote_vol = (
                daily_volume_usd
                / quote_usd
                * (minutes / 1440)
                * self._volume_factor(base, quote, salt, k)
            )
            mid = (o + c) / 2
            result.append(Candle(start, end, o, high, low, c, quote_vol / mid, quote_vol))
        return result

    def pair_candles(
        self,
        pair: Pair,
        interval: int | str,
        start_ms: int | None,
        end_ms: int,
        limit: int,
        *,
        newest: bool,
        now_ms: int,
    ) -> list[Candle]:
        """At most `limit` candles of one market opening in [start_ms, end_ms), oldest first
        (see :func:`candle_starts` for `newest` and start_ms=None)."""
        starts = candle_starts(interval, start_ms, end_ms, limit, newest=newest)
        bounds = series_bounds(starts, interval)
        return self.candles(pair.base, pair.quote, pair.daily_volume_usd, bounds, now_ms)

    def ticker(self, base: str, quote: str, daily_volume_usd: float, now_ms: int) -> Ticker:
        """Rolling 24 h statistics ending at now_ms."""
        hours = [now_ms - DAY_MS + h * HOUR_MS for h in range(24)] + [now_ms]
        candles = self.candles(base, quote, daily_volume_usd, hours, now_ms)
        last = candles[-1].close
        spread = last * 0.00005
        return Ticker(
            time_ms=now_ms,
            last=last,
            open=candles[0].open,
            high=max(c.high for c in candles),
            low=min(c.low for c in candles),
            bid=last - spread,
            ask=last + spread,
            volume=sum(c.volume for c in candles),
            quote_volume=sum(c.quote_volume for c in candles),
        )


def interval_start(t_ms: int, interval: int | str) -> int:
    """Start of the candle containing t_ms (weeks start on Monday, months on the 1st, UTC)."""
    if interval == MONTH:
        d = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
        return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp() * 1000)
    if not isinstance(interval, int):
        raise ValueError(f"unknown interval {interval!r}")
    offset = 4 * DAY_MS if interval == WEEK_MS else 0  # 1970-01-05 was a Monday
    return (t_ms - offset) // interval * interval + offset


def next_start(start_ms: int, interval: int | str) -> int:
    if interval == MONTH:
        d = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
        year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        return int(datetime(year, month, 1, tzinfo=UTC).timestamp() * 1000)
    if not isinstance(interval, int):
        raise ValueError(f"unknown interval {interval!r}")
    return start_ms + interval


def candle_starts(
    interval: int | str, start_ms: int | None, end_ms: int, limit: int, *, newest: bool
) -> list[int]:
    """Open times of the candles opening in [start_ms, end_ms), at most `limit` of them.

    With `newest` the latest candles are kept, otherwise the earliest; start_ms=None means "as
    far back as the limit allows". The result is in ascending order.
    """
    if limit <= 0 or (start_ms is not None and start_ms >= end_ms):
        return []
    first = None
    if start_ms is not None:
        first = interval_start(start_ms, interval)
        if first < start_ms:
            first = next_start(first, interval)
    if newest or first is None:
        starts: list[int] = []
        t = interval_start(end_ms - 1, interval)
        while len(starts) < limit and (first is None or t >= first):
            starts.append(t)
            t = interval_start(t - 1, interval)
        return starts[::-1]
    starts = []
    t = first
    while len(starts) < limit and t < end_ms:
        starts.append(t)
        t = next_start(t, interval)
    return starts


def series_bounds(starts: list[int], interval: int | str) -> list[int]:
    """Candle boundaries for the given open times: every start plus the last close."""
    return [*starts, next_start(starts[-1], interval)] if starts else []
