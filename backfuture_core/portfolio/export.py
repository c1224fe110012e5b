"""CSV downloads of the portfolio tables, safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

_FORMULA_STARTS = ("=", "+", "-", "@")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV of `frame`; text cells that a spreadsheet would run as a formula are quoted."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in _FORMULA_STARTS else v
            )
    return out.to_csv(index=False).encode("utf-8")
