"""The order and fill paging engine: a listing is split into time windows as long as the
exchange allows (MEXC and KuCoin: 7 days), asked per symbol where the exchange needs one, and
each window is paged by page number (KuCoin) or by a time cursor (MEXC); every (symbol, window)
runs concurrently. How each exchange lists is its adapter's `PAGING` table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.exchanges.paging import Paging
from backfuture_core.portfolio.fetch import together
from backfuture_core.values import to_float

MAX_PAGES = 500  # per window: a guard against an exchange that never stops paging

Span = tuple[int | None, int | None]


def spans(since: int | None, until: int | None, window: int | None) -> list[Span]:
    """[since, until] cut into windows of at most `window` ms (one span without a window)."""
    if window is None or since is None or until is None:
        return [(since, until)]
    return [(start, min(start + window, until)) for start in range(since, until, window)]


async def page_through(
    adapter: ExchangeAdapter,
    market: str,
    plan: Paging,
    symbol: str | None,
    start: int | None,
    end: int | None,
    calls: list[int],
) -> list[dict]:
    """Every record of one span, page by page; `calls[0]` counts the calls made."""
    rows: list[dict] = []
    cursor, page = start, 1
    for _ in range(MAX_PAGES):
        params = dict(plan.params)
        if plan.window_ms is not None and end is not None:
            params[plan.until_param] = end
        if plan.page_param:
            params[plan.page_param] = page
        answer = await adapter.call(market, plan.method, symbol, cursor, plan.limit, params)
        calls[0] += 1
        batch = [r for r in answer or [] if isinstance(r, dict)]
        rows += batch
        if plan.limit is None or len(batch) < plan.limit:
            break
        if plan.page_param:
            page += 1
            continue
        stamps = [to_float(r.get("timestamp")) for r in batch]
        last = max((int(t) for t in stamps if t > 0), default=None)
        if cursor is None or last is None:
            break
        cursor = last if last > cursor else cursor + 1  # rows at `last` repeat: deduplicated
    return rows


async def listing(
    adapter: ExchangeAdapter,
    market: str,
    plan: Paging,
    symbols: Sequence[str],
    since: int | None,
    until: int | None,
    calls: list[int],
    starts: Mapping[str, int] | None = None,
) -> list[dict]:
    """Every (symbol, span) of a listing concurrently; `starts` moves a symbol's start past
    what is already stored ("" for listings that take no symbol)."""
    targets: Sequence[str | None] = symbols if plan.per_symbol else [None]
    if not plan.method:
        return []
    starts = starts or {}
    jobs = [
        page_through(adapter, market, plan, symbol, start, end, calls)
        for symbol in targets
        for start, end in spans(starts.get(symbol or "", since), until, plan.window_ms)
    ]
    return [row for rows in await together(*jobs) for row in rows]
