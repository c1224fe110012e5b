"""The generated order history of one account: orders and their fills over the last 90 days,
derived from the seed, the account and the price model (so two runs agree)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from backfuture_core.sandbox.prices import PriceModel, find_pair
from backfuture_core.sandbox.records import Order, RecordIds, Trade
from backfuture_core.values import DAY_MS, HOUR_MS, MINUTE_MS

HISTORY_DAYS = 90


@dataclass
class History:
    """Orders and fills by (base, quote), oldest first."""

    orders: dict[tuple[str, str], list[Order]]
    trades: dict[tuple[str, str], list[Trade]]


def generate_history(
    ids: RecordIds,
    prices: PriceModel,
    rng: random.Random,
    *,
    native: str,
    size: int,
    anchor_ms: int,
) -> History:
    """`size` orders on four pairs (BTC, ETH, SOL and the exchange's `native` token against
    USDT): 70% limit orders (mostly filled, some cancelled, a few partly filled), 30% market."""
    pairs = [("BTC", "USDT", 4), ("ETH", "USDT", 3), ("SOL", "USDT", 2), (native, "USDT", 1)]
    weights = [w for _, _, w in pairs]
    start = anchor_ms - HISTORY_DAYS * DAY_MS
    end = anchor_ms - HOUR_MS
    times = sorted(rng.randrange(start, end) for _ in range(size))
    history = History({(b, q): [] for b, q, _ in pairs}, {(b, q): [] for b, q, _ in pairs})
    fee_rate = 0.0005 if ids.exchange == "mexc" else 0.001
    for seq, t in enumerate(times, start=1):
        base, quote, _ = rng.choices(pairs, weights)[0]
        spec = find_pair(ids.exchange, base, quote)
        ref = prices.price(base, quote, t)
        side = "buy" if rng.random() < 0.6 else "sell"
        kind = "limit" if rng.random() < 0.7 else "market"
        amount = round(rng.uniform(15.0, 600.0) / ref, spec.amount_decimals)
        amount = max(amount, 10.0**-spec.amount_decimals)
        roll = rng.random()
        oid, client_id = ids.order_ids(t, seq)
        order = Order(oid, client_id, base, quote, side, kind, 0.0, amount, t, t)
        sign = -1.0 if side == "buy" else 1.0
        if kind == "market":
            order.status, order.filled = "filled", amount
            order.avg_price = round(ref * (1 - sign * rng.uniform(0, 0.0008)), spec.price_decimals)
            order.updated_ms = t + rng.randrange(20, 400)
        elif roll < 0.78:
            offset = rng.uniform(0, 0.004)
            order.status, order.filled = "filled", amount
            order.updated_ms = t + rng.randrange(MINUTE_MS, 6 * HOUR_MS)
        else:
            offset = rng.uniform(0.01, 0.06)
            order.status = "canceled"
            if roll > 0.95:  # partially filled, then cancelled
                order.filled = round(amount * rng.uniform(0.1, 0.9), spec.amount_decimals)
            order.updated_ms = t + rng.randrange(HOUR_MS, 5 * DAY_MS)
        order.updated_ms = min(order.updated_ms, end)
        if kind == "limit":
            # A limit order fills where the market is when it fills (at updated_ms), not where
            # it was when the order was placed: a fill priced hours or days earlier would sit
            # off the price line. An order that never fills rests away from the market.
            if order.filled:
                moment, away = order.updated_ms, min(offset, 0.004)
            else:
                moment, away = t, offset
            order.price = round(
                prices.price(base, quote, moment) * (1 + sign * away), spec.price_decimals
            )
            order.avg_price = order.price if order.filled else 0.0
        history.orders[(base, quote)].append(order)
        if order.filled > 0:
            fill_time = order.updated_ms if kind == "limit" else t + rng.randrange(5, 200)
            fee = order.filled * order.avg_price * fee_rate
            trade = Trade(
                ids.trade_id(t * 1000 + seq), order.id, order.client_id, base, quote, side, kind,
                order.avg_price, order.filled, fee, kind == "limit", fill_time,
            )  # fmt: skip
            history.trades[(base, quote)].append(trade)
    for rows in history.trades.values():
        rows.sort(key=lambda tr: tr.time_ms)
    return history
