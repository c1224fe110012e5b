"""How an exchange lists records (orders, trades) page by page: one `Paging` plan per kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Paging:
    """How one exchange lists one kind of record: the ccxt method, rows per call, the longest
    time span one call may cover, and whether pages are numbered or follow a time cursor."""

    method: str
    limit: int | None  # None: one call, no paging (MEXC spot open orders)
    window_ms: int | None = None  # None: the whole period in one span
    page_param: str | None = None  # page-number parameter; None: advance a time cursor
    until_param: str = "until"
    per_symbol: bool = False  # the exchange answers one symbol per call
    params: Mapping[str, Any] = field(default_factory=dict)
