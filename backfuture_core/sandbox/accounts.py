"""One account of the sandbox's world on one exchange: its id, balances, open orders, futures
positions and order history, and the queries the dialects answer from them.

Data sets by account name:

* ``main``    ~9 spot assets (USDT, USDC, BTC, ETH, SOL, MX or KCS, XRP dust, ZZZ with no
              market anywhere), 5 open orders, an order history over the last 90 days.
* ``futures`` a smaller spot wallet, a futures wallet and 3 open positions (long and short,
              isolated and cross), 2 open orders, an order history.
* ``empty``   no balances, orders or positions.
* ``zero``    assets present with every amount 0.
"""

from __future__ import annotations

import bisect
import random
import threading
from typing import TYPE_CHECKING

from backfuture_core.sandbox.history import History, generate_history
from backfuture_core.sandbox.prices import find_pair, find_perpetual, hash64, text_key
from backfuture_core.sandbox.records import Order, Position, PositionState, RecordIds, Trade
from backfuture_core.values import DAY_MS

if TYPE_CHECKING:
    from backfuture_core.sandbox.world import World

HISTORY_ACCOUNTS = ("main", "futures")
NATIVE_TOKENS = {
    "mexc": "MX",
    "kucoin": "KCS",
    "binance": "BNB",
    "bybit": "MNT",
    "okx": "OKB",
    "bitget": "BGB",
}
# (base, quote, side, price / market price, amount, filled, age in days)
OpenOrderPlan = list[tuple[str, str, str, float, float, float, float]]


class Account:
    """One data set of one exchange. Thread-safe; the history is generated on first use."""

    def __init__(
        self, world: World, exchange: str, name: str, history_size: int, anchor_ms: int
    ) -> None:
        self.world = world
        self.exchange = exchange
        self.name = name
        self.anchor_ms = anchor_ms
        self.ids = RecordIds(world.seed, exchange, name)
        self._history_size = history_size if name in HISTORY_ACCOUNTS else 0
        self._lock = threading.RLock()
        self._placed = 0
        self._history: History | None = None
        self._by_id: dict[str, Order] = {}
        self.balances: dict[str, float] = {}
        self.funding: dict[str, float] = {}  # KuCoin "main" (funding) account
        self.futures_cash = 0.0
        self.positions: list[Position] = []
        self.open_orders: list[Order] = []
        self._build()

    @property
    def uid(self) -> str:
        """The account's id on its exchange: every key of the account reports it."""
        return str(10**8 + hash64(text_key(f"{self.exchange}:{self.name}")) % (9 * 10**8))

    # ----------------------------------------------------------------- construction
    @property
    def _native(self) -> str:
        return NATIVE_TOKENS[self.exchange]

    def _build(self) -> None:
        native = self._native
        if self.name == "main":
            self.balances = {
                "USDT": 12_450.371842, "USDC": 3_000.0, "BTC": 0.42156, "ETH": 5.8231,
                "SOL": 120.45, native: 850.0 if native == "MX" else 95.2,
                "XRP": 0.000731, "ZZZ": 1_500.0,
            }  # fmt: skip
            self.funding = {"USDT": 500.0}
            self._open_order_plan(
                [
                    ("BTC", "USDT", "buy", 0.94, 0.01, 0.0, 2.0),
                    ("ETH", "USDT", "buy", 0.93, 0.25, 0.0, 5.0),
                    ("SOL", "USDT", "sell", 1.08, 10.0, 0.0, 1.0),
                    (native, "USDT", "sell", 1.12, 200.0 if native == "MX" else 20.0, 0.0, 8.0),
                    ("ETH", "USDT", "sell", 1.05, 1.0, 0.35, 3.0),
                ]
            )
        elif self.name == "futures":
            self.balances = {"USDT": 2_500.0, "BTC": 0.05, "ETH": 0.8, native: 40.0}
            self.futures_cash = 15_000.0
            self._open_order_plan(
                [
                    ("BTC", "USDT", "buy", 0.95, 0.005, 0.0, 1.5),
                    ("ETH", "USDT", "sell", 1.06, 0.3, 0.0, 4.0),
                ]
            )
            self.positions = [
                self._position("BTC", "long", 0.15, 5, "isolated", 3.2, -4.81),
                self._position("ETH", "short", 2.0, 3, "cross", 6.5, -2.17),
                self._position("SOL", "long", 40.0, 10, "isolated", 1.1, -1.02),
            ]
        elif self.name == "zero":
            self.balances = dict.fromkeys(("USDT", "USDC", "BTC", "ETH", native), 0.0)

    def _position(
        self, base: str, side: str, qty: float, leverage: int, mode: str, days: float, paid: float
    ) -> Position:
        opened = self.anchor_ms - int(days * DAY_MS)
        perp = find_perpetual(base)
        entry = round(self.world.prices.price(base, "USDT", opened), perp.price_decimals)
        pid = self.ids.position_id(opened)
        return Position(pid, base, side, qty, entry, leverage, mode, opened, paid)

    def _open_order_plan(self, plan: OpenOrderPlan) -> None:
        for k, (base, quote, side, factor, amount, filled, days) in enumerate(plan):
            created = self.anchor_ms - int(days * DAY_MS)
            pair = find_pair(self.exchange, base, quote)
            price = round(
                self.world.prices.price(base, quote, created) * factor, pair.price_decimals
            )
            oid, client_id = self.ids.order_ids(created, 900_000 + k)
            order = Order(
                oid, client_id, base, quote, side, "limit", price, amount, created, created
            )
            order.filled = filled
            order.avg_price = price if filled else 0.0
            self.open_orders.append(order)
            self._by_id[order.id] = order

    def _history_data(self) -> History:
        """The order history, generated on first use (call with the lock)."""
        if self._history is None:
            rng = random.Random(f"history:{self.world.seed}:{self.exchange}:{self.name}")
            self._history = generate_history(
                self.ids,
                self.world.prices,
                rng,
                native=self._native,
                size=self._history_size,
                anchor_ms=self.anchor_ms,
            )
            for rows in self._history.orders.values():
                self._by_id.update((o.id, o) for o in rows)
        return self._history

    # ----------------------------------------------------------------------- history
    def orders(
        self, base: str, quote: str, start_ms: int, end_ms: int, *, include_open: bool = True
    ) -> list[Order]:
        """Orders of one pair created in [start_ms, end_ms], oldest first."""
        with self._lock:
            rows = self._history_data().orders.get((base, quote), [])
            keys = [o.created_ms for o in rows]
            found = rows[bisect.bisect_left(keys, start_ms) : bisect.bisect_right(keys, end_ms)]
            if include_open:
                found += [
                    o
                    for o in self.open_orders
                    if (o.base, o.quote) == (base, quote) and start_ms <= o.created_ms <= end_ms
                ]
            return sorted(found, key=lambda o: o.created_ms)

    def all_orders(self, start_ms: int, end_ms: int) -> list[Order]:
        with self._lock:
            result = []
            for base, quote in self._history_data().orders:
                result += self.orders(base, quote, start_ms, end_ms, include_open=False)
            result += [o for o in self.open_orders if start_ms <= o.created_ms <= end_ms]
            return sorted(result, key=lambda o: o.created_ms)

    def trades(
        self, base: str | None, quote: str | None, start_ms: int, end_ms: int
    ) -> list[Trade]:
        """Fills in [start_ms, end_ms], oldest first (all pairs when base is None)."""
        with self._lock:
            result = []
            for pair, rows in self._history_data().trades.items():
                if base is not None and pair != (base, quote):
                    continue
                keys = [tr.time_ms for tr in rows]
                result += rows[
                    bisect.bisect_left(keys, start_ms) : bisect.bisect_right(keys, end_ms)
                ]
            return sorted(result, key=lambda tr: tr.time_ms)

    # ------------------------------------------------------------------ open orders
    def find_order(self, order_id: str) -> Order | None:
        with self._lock:
            self._history_data()
            return self._by_id.get(order_id)

    def place_order(
        self,
        base: str,
        quote: str,
        side: str,
        kind: str,
        price: float,
        amount: float,
        now_ms: int,
        *,
        fill_price: float | None = None,
    ) -> Order:
        """A limit order rests on the book (the sandbox matches nothing); an order given a
        fill_price (a market order) is filled at once. Balances do not move."""
        with self._lock:
            self._placed += 1
            oid, client_id = self.ids.order_ids(now_ms, 950_000 + self._placed)
            order = Order(oid, client_id, base, quote, side, kind, price, amount, now_ms, now_ms)
            self._by_id[order.id] = order
            if fill_price is None:
                self.open_orders.append(order)
                return order
            order.status, order.filled, order.avg_price = "filled", amount, fill_price
            self._file(order)
            return order

    def cancel_order(self, order_id: str, now_ms: int) -> Order | None:
        """Cancel an open order; None when it is unknown or no longer open."""
        with self._lock:
            order = self._by_id.get(order_id)
            if order is None or not order.is_open:
                return None
            self.open_orders.remove(order)
            order.status, order.updated_ms = "canceled", now_ms
            self._file(order)
            return order

    def _file(self, order: Order) -> None:
        """Move a closed order into the history (call with the lock)."""
        rows = self._history_data().orders.setdefault((order.base, order.quote), [])
        bisect.insort(rows, order, key=lambda o: o.created_ms)

    # --------------------------------------------------------------------- balances
    def locked(self, asset: str) -> float:
        with self._lock:
            total = 0.0
            for o in self.open_orders:
                if o.side == "sell" and o.base == asset:
                    total += o.remaining
                elif o.side == "buy" and o.quote == asset:
                    total += o.remaining * o.price
            return min(total, self.balances.get(asset, 0.0))

    # -------------------------------------------------------------------- positions
    def position_states(self, now_ms: int) -> list[PositionState]:
        prices = self.world.prices
        cross = [p for p in self.positions if p.margin_mode == "cross"]
        states = []
        for p in self.positions:
            perp = find_perpetual(p.base)
            mark = round(prices.price(p.base, "USDT", now_ms), perp.price_decimals)
            sign = 1.0 if p.side == "long" else -1.0
            notional = p.qty * mark
            margin = p.qty * p.entry / p.leverage
            maintenance = notional * perp.maintenance_rate
            unrealised = (mark - p.entry) * p.qty * sign
            buffer = margin if p.margin_mode == "isolated" else self.futures_cash * 0.5 / len(cross)
            room = buffer / p.qty - p.entry * perp.maintenance_rate
            liquidation = round(max(p.entry - sign * room, 0.0), perp.price_decimals)
            states.append(
                PositionState(p, mark, notional, margin, maintenance, unrealised, liquidation)
            )
        return states
