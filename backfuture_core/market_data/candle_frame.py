"""The candle DataFrame: timestamp (ms), open, high, low, close, volume; sorted, typed, checked.

The candle pipeline returns it, the backtester replays it and the charts draw it. It is built
from ccxt OHLCV rows or from any frame with those columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from backfuture_core.errors import ValidationError

CANDLE_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")

Candles: TypeAlias = pd.DataFrame | Sequence[Sequence[Any]]  # a frame, or ccxt OHLCV rows


def candles_to_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """ccxt OHLCV rows ``[ms, open, high, low, close, volume]`` -> a candle DataFrame.

    Sorted by time, duplicate timestamps dropped (the last one kept).
    """
    frame = pd.DataFrame(list(rows), columns=list(CANDLE_COLUMNS))
    return _normalise(frame)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in CANDLE_COLUMNS[:5] if c not in frame.columns]
    if missing:
        raise ValidationError({"Candles": f"The candles lack the column(s) {', '.join(missing)}."})
    out = pd.DataFrame(index=range(len(frame)))
    ts = frame["timestamp"].reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(ts):
        ts = pd.to_datetime(ts, utc=True)
        ts = (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(1, "ms")
    out["timestamp"] = pd.to_numeric(ts).astype("int64")
    for column in ("open", "high", "low", "close"):
        out[column] = pd.to_numeric(frame[column].reset_index(drop=True)).astype("float64")
    if "volume" in frame.columns:
        out["volume"] = pd.to_numeric(frame["volume"].reset_index(drop=True)).astype("float64")
    else:
        out["volume"] = np.nan
    out = out.drop_duplicates("timestamp", keep="last")
    if not out["timestamp"].is_monotonic_increasing:
        out = out.sort_values("timestamp", kind="stable")
    return out.reset_index(drop=True)


def prepare_candles(candles: Candles) -> pd.DataFrame:
    """A clean candle frame (sorted, typed, checked) from a DataFrame or ccxt OHLCV rows.

    Raises `ValidationError` when there are no candles or prices are missing or not positive.
    """
    frame = _normalise(candles) if isinstance(candles, pd.DataFrame) else candles_to_frame(candles)
    if frame.empty:
        raise ValidationError({"Candles": "There are no candles to replay for this period."})
    prices = frame[["open", "high", "low", "close"]].to_numpy()
    if not np.isfinite(prices).all() or (prices <= 0).any():
        raise ValidationError({"Candles": "Some candles have missing or non-positive prices."})
    return frame
