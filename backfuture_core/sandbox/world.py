"""The sandbox's demo world: keys, accounts, balances, orders, trades and positions.

Everything is derived from the seed, so two sandboxes with the same seed serve the same
world (times are relative to the moment the world was created, floored to the minute).
Account data is generated lazily the first time a request needs it.

Accounts (a key's `account` names one; each exchange has its own copy with its own ids):

* ``main``    ~9 spot assets (USDT, USDC, BTC, ETH, SOL, MX or KCS, XRP dust, ZZZ with no
              market anywhere), 5 open orders, an order history over the last 90 days.
* ``futures`` a smaller spot wallet, a futures wallet and 3 open positions (long and short,
              isolated and cross), 2 open orders, an order history.
* ``empty``   no balances, orders or positions.
* ``zero``    assets present with every amount 0.

The order-history size is ``order_history`` (default 300 orders per history-bearing account)
given to :class:`World` (and to ``Sandbox``): an int for every account, or a mapping from
account name to size, e.g. ``{"main": 10_000}``.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from backfuture_core.sandbox.prices import (
    ASSETS,
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SPOT_PAIRS,
    PriceModel,
    find_pair,
    find_perpetual,
    hash64,
    text_key,
)

EXCHANGES = ("mexc", "kucoin")
MARKETS = ("spot", "futures", "both")
ACCOUNTS = ("main", "futures", "empty", "zero")
DEFAULT_ORDER_HISTORY = 300
HISTORY_DAYS = 90
LOOPBACK = "127.0.0.1"
DOCUMENTATION_IP = "203.0.113.7"  # TEST-NET-3: never a real client address

MEXC_SPOT_TRADE = ("SPOT_ACCOUNT_READ", "SPOT_DEAL_READ", "SPOT_DEAL_WRITE")
MEXC_CONTRACT = ("CONTRACT_ACCOUNT_READ", "CONTRACT_DEAL_READ", "CONTRACT_DEAL_WRITE")


@dataclass(frozen=True)
class DemoKey:
    """An API key the sandbox accepts. The repr never shows the secret or the passphrase."""

    label: str
    exchange: str
    api_key: str
    secret: str = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)
    permissions: tuple[str, ...] = ()
    ip_whitelist: tuple[str, ...] = ()
    market: str = "spot"
    account: str = "main"
    note: str = ""

    def __post_init__(self) -> None:
        if self.exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {EXCHANGES}, not {self.exchange!r}")
        if self.market not in MARKETS:
            raise ValueError(f"market must be one of {MARKETS}, not {self.market!r}")
        if self.account not in ACCOUNTS:
            raise ValueError(f"account must be one of {ACCOUNTS}, not {self.account!r}")
        if self.exchange == "kucoin" and not self.passphrase:
            raise ValueError("a KuCoin key needs a passphrase")

    def allows_ip(self, ip: str) -> bool:
        return not self.ip_whitelist or ip in self.ip_whitelist


def demo_keys() -> list[DemoKey]:
    """The demo world's keys; the secrets are fixed, obviously fake strings."""
    kucoin_perms = ("General", "Spot")
    return [
        DemoKey(
            "MEXC Spot Main (demo)", "mexc", "mx0vglDEMO0SPOTMAIN000001",
            "demo-mexc-spot-main-secret-not-real", None, MEXC_SPOT_TRADE, (LOOPBACK,),
            "spot", "main", "Healthy spot key restricted to this machine: online.",
        ),
        DemoKey(
            "MEXC No IP Restriction (demo)", "mexc", "mx0vglDEMO0NOIPLIST000002",
            "demo-mexc-no-ip-secret-not-real", None, MEXC_SPOT_TRADE, (),
            "spot", "main", "Works, but any IP may use it: warning.",
        ),
        DemoKey(
            "MEXC Withdrawal Enabled (demo)", "mexc", "mx0vglDEMO0WITHDRAW000003",
            "demo-mexc-withdraw-secret-not-real", None,
            (*MEXC_SPOT_TRADE, "SPOT_WITHDRAW_READ", "SPOT_WITHDRAW_WRITE"), (LOOPBACK,),
            "spot", "main", "Can withdraw funds: unsafe, no strategy may run on it.",
        ),
        DemoKey(
            "MEXC Wrong IP (demo)", "mexc", "mx0vglDEMO0WRONGIP0000004",
            "demo-mexc-wrong-ip-secret-not-real", None, MEXC_SPOT_TRADE, (DOCUMENTATION_IP,),
            "spot", "main", "Bound to another IP: refused with 700006 (IP not allowed).",
        ),
        DemoKey(
            "MEXC Read Only (demo)", "mexc", "mx0vglDEMO0READONLY000005",
            "demo-mexc-read-only-secret-not-real", None,
            ("SPOT_ACCOUNT_READ", "SPOT_DEAL_READ"), (LOOPBACK,),
            "spot", "main", "Reads balances and orders but cannot trade: no trading permission.",
        ),
        DemoKey(
            "MEXC Futures (demo)", "mexc", "mx0vglDEMO0FUTURES0000006",
            "demo-mexc-futures-secret-not-real", None, (*MEXC_SPOT_TRADE, *MEXC_CONTRACT),
            (LOOPBACK,), "both", "futures", "Spot and futures with open positions: online.",
        ),
        DemoKey(
            "KuCoin Futures Conservative (demo)", "kucoin", "64d3e00000000000000d0001",
            "demo-kucoin-futures-secret-not-real", "demo-passphrase-1",
            (*kucoin_perms, "Futures"), (LOOPBACK,), "both", "futures",
            "Spot and futures with open positions, restricted to this machine: online.",
        ),
        DemoKey(
            "KuCoin Spot Read Only (demo)", "kucoin", "64d3e00000000000000d0002",
            "demo-kucoin-read-only-secret-not-real", "demo-passphrase-2", ("General",),
            (LOOPBACK,), "spot", "main", "General permission only: no trading permission.",
        ),
        DemoKey(
            "KuCoin Withdrawal Enabled (demo)", "kucoin", "64d3e00000000000000d0003",
            "demo-kucoin-withdraw-secret-not-real", "demo-passphrase-3",
            (*kucoin_perms, "Withdrawal"), (LOOPBACK,), "spot", "main",
            "Can withdraw funds: unsafe, no strategy may run on it.",
        ),
        DemoKey(
            "KuCoin Wrong IP (demo)", "kucoin", "64d3e00000000000000d0004",
            "demo-kucoin-wrong-ip-secret-not-real", "demo-passphrase-4", kucoin_perms,
            (DOCUMENTATION_IP,), "spot", "main",
            "Bound to another IP: refused with 400006 (IP not allowed).",
        ),
    ]  # fmt: skip


@dataclass
class Order:
    """An exchange-neutral spot order; the exchange modules render it in their own format."""

    id: str
    client_id: str
    base: str
    quote: str
    side: str  # "buy" | "sell"
    type: str  # "limit" | "market"
    price: float  # limit price, 0 for market orders
    amount: float
    filled: float
    avg_price: float
    status: str  # "open" | "filled" | "canceled"
    created_ms: int
    updated_ms: int

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def remaining(self) -> float:
        return max(self.amount - self.filled, 0.0)


@dataclass(frozen=True)
class Trade:
    id: str
    order_id: str
    client_id: str
    base: str
    quote: str
    side: str
    type: str
    price: float
    amount: float
    fee: float  # in the quote asset
    maker: bool
    time_ms: int


@dataclass(frozen=True)
class Position:
    id: str
    base: str
    side: str  # "long" | "short"
    qty: float  # base units, positive
    entry: float
    leverage: int
    margin_mode: str  # "isolated" | "cross"
    opened_ms: int
    realised: float  # fees and funding paid so far (USDT)


@dataclass(frozen=True)
class PositionState:
    """A position valued at one instant."""

    position: Position
    mark: float
    notional: float
    margin: float  # initial margin
    maintenance: float
    unrealised: float
    liquidation: float


class Account:
    """One data set of one exchange. Thread-safe; history is generated on first use."""

    def __init__(
        self, world: World, exchange: str, name: str, history_size: int, anchor_ms: int
    ) -> None:
        self.world = world
        self.exchange = exchange
        self.name = name
        self.anchor_ms = anchor_ms
        self._history_size = history_size if name in ("main", "futures") else 0
        self._lock = threading.RLock()
        self._placed = 0
        self._history: dict[tuple[str, str], list[Order]] | None = None
        self._trades: dict[tuple[str, str], list[Trade]] | None = None
        self._by_id: dict[str, Order] = {}
        self.balances: dict[str, float] = {}
        self.funding: dict[str, float] = {}  # KuCoin "main" (funding) account
        self.futures_cash = 0.0
        self.positions: list[Position] = []
        self.open_orders: list[Order] = []
        self._build()

    # ----------------------------------------------------------------- construction
    @property
    def _native(self) -> str:
        return "MX" if self.exchange == "mexc" else "KCS"

    def _rng(self, purpose: str) -> random.Random:
        return random.Random(f"{purpose}:{self.world.seed}:{self.exchange}:{self.name}")

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
        self,
        base: str,
        side: str,
        qty: float,
        leverage: int,
        mode: str,
        days: float,
        realised: float,
    ) -> Position:
        opened = self.anchor_ms - int(days * DAY_MS)
        perp = find_perpetual(base)
        entry = round(self.world.prices.price(base, "USDT", opened), perp.price_decimals)
        pid = f"{self._number(opened, 'position') % 10**9:09d}"
        return Position(pid, base, side, qty, entry, leverage, mode, opened, realised)

    def _open_order_plan(
        self, plan: list[tuple[str, str, str, float, float, float, float]]
    ) -> None:
        for k, (base, quote, side, factor, amount, filled, days) in enumerate(plan):
            created = self.anchor_ms - int(days * DAY_MS)
            pair = find_pair(self.exchange, base, quote)
            price = round(
                self.world.prices.price(base, quote, created) * factor, pair.price_decimals
            )
            order = self._new_order(base, quote, side, "limit", price, amount, created, 900_000 + k)
            order.filled = filled
            order.avg_price = price if filled else 0.0
            self.open_orders.append(order)
            self._by_id[order.id] = order

    # ------------------------------------------------------------------- identifiers
    def _number(self, t_ms: int, purpose: str) -> int:
        return hash64(self.world.seed, text_key(f"{self.exchange}:{self.name}:{purpose}"), t_ms)

    def _ids(self, t_ms: int, seq: int) -> tuple[str, str]:
        """Order id and client order id; (t_ms, seq) must be unique within the account."""
        rnd = self._number(t_ms * 1000 + seq, "id")
        client = f"{rnd:016x}{self._number(t_ms * 1000 + seq, 'client'):016x}"
        client_id = f"{client[:8]}-{client[8:12]}-{client[12:16]}-{client[16:20]}-{client[20:]}"
        if self.exchange == "mexc":
            return f"C02__{4 * 10**20 + t_ms * 10**6 + seq % 10**6:021d}", client_id
        return f"{t_ms // 1000:08x}{seq:08x}{rnd & 0xFFFFFFFF:08x}", client_id

    def _new_order(
        self,
        base: str,
        quote: str,
        side: str,
        kind: str,
        price: float,
        amount: float,
        t_ms: int,
        seq: int,
    ) -> Order:
        oid, client_id = self._ids(t_ms, seq)
        return Order(
            oid, client_id, base, quote, side, kind, price, amount, 0.0, 0.0, "open", t_ms, t_ms
        )

    # ----------------------------------------------------------------------- history
    def _history_data(
        self,
    ) -> tuple[dict[tuple[str, str], list[Order]], dict[tuple[str, str], list[Trade]]]:
        """Orders and fills by pair, oldest first; generated on first use (call with the lock)."""
        if self._history is None or self._trades is None:
            self._history, self._trades = self._generate_history()
        return self._history, self._trades

    def _generate_history(
        self,
    ) -> tuple[dict[tuple[str, str], list[Order]], dict[tuple[str, str], list[Trade]]]:
        rng = self._rng("history")
        prices = self.world.prices
        pairs = [
            ("BTC", "USDT", 4),
            ("ETH", "USDT", 3),
            ("SOL", "USDT", 2),
            (self._native, "USDT", 1),
        ]
        weights = [w for _, _, w in pairs]
        start = self.anchor_ms - HISTORY_DAYS * DAY_MS
        end = self.anchor_ms - HOUR_MS
        times = sorted(rng.randrange(start, end) for _ in range(self._history_size))
        history: dict[tuple[str, str], list[Order]] = {(b, q): [] for b, q, _ in pairs}
        trades: dict[tuple[str, str], list[Trade]] = {(b, q): [] for b, q, _ in pairs}
        fee_rate = 0.0005 if self.exchange == "mexc" else 0.001
        for seq, t in enumerate(times, start=1):
            base, quote, _ = rng.choices(pairs, weights)[0]
            spec = find_pair(self.exchange, base, quote)
            ref = prices.price(base, quote, t)
            side = "buy" if rng.random() < 0.6 else "sell"
            kind = "limit" if rng.random() < 0.7 else "market"
            amount = round(rng.uniform(15.0, 600.0) / ref, spec.amount_decimals)
            amount = max(amount, 10.0**-spec.amount_decimals)
            roll = rng.random()
            order = self._new_order(base, quote, side, kind, 0.0, amount, t, seq)
            sign = -1.0 if side == "buy" else 1.0
            if kind == "market":
                order.status, order.filled = "filled", amount
                order.avg_price = round(
                    ref * (1 - sign * rng.uniform(0, 0.0008)), spec.price_decimals
                )
                order.updated_ms = t + rng.randrange(20, 400)
            elif roll < 0.78:
                order.price = round(ref * (1 + sign * rng.uniform(0, 0.004)), spec.price_decimals)
                order.status, order.filled, order.avg_price = "filled", amount, order.price
                order.updated_ms = t + rng.randrange(MINUTE_MS, 6 * HOUR_MS)
            else:
                order.price = round(ref * (1 + sign * rng.uniform(0.01, 0.06)), spec.price_decimals)
                order.status = "canceled"
                if roll > 0.95:  # partially filled, then cancelled
                    order.filled = round(amount * rng.uniform(0.1, 0.9), spec.amount_decimals)
                    order.avg_price = order.price if order.filled else 0.0
                order.updated_ms = t + rng.randrange(HOUR_MS, 5 * DAY_MS)
            order.updated_ms = min(order.updated_ms, end)
            history[(base, quote)].append(order)
            self._by_id[order.id] = order
            if order.filled > 0:
                fill_time = order.updated_ms if kind == "limit" else t + rng.randrange(5, 200)
                salt = t * 1000 + seq
                tid = f"{self._number(salt, 'trade'):016x}{self._number(salt, 'trade2'):016x}"
                if self.exchange == "kucoin":
                    tid = str(10**15 + self._number(salt, "trade") % (9 * 10**15))
                trades[(base, quote)].append(
                    Trade(
                        tid, order.id, order.client_id, base, quote, side, kind, order.avg_price,
                        order.filled, order.filled * order.avg_price * fee_rate, kind == "limit",
                        fill_time,
                    )
                )  # fmt: skip
        for rows in trades.values():
            rows.sort(key=lambda tr: tr.time_ms)
        return history, trades

    def orders(
        self, base: str, quote: str, start_ms: int, end_ms: int, *, include_open: bool = True
    ) -> list[Order]:
        """Orders of one pair created in [start_ms, end_ms], oldest first."""
        with self._lock:
            rows = self._history_data()[0].get((base, quote), [])
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
            for base, quote in self._history_data()[0]:
                result += self.orders(base, quote, start_ms, end_ms, include_open=False)
            result += [o for o in self.open_orders if start_ms <= o.created_ms <= end_ms]
            return sorted(result, key=lambda o: o.created_ms)

    def trades(
        self, base: str | None, quote: str | None, start_ms: int, end_ms: int
    ) -> list[Trade]:
        """Fills in [start_ms, end_ms], oldest first (all pairs when base is None)."""
        with self._lock:
            result = []
            for pair, rows in self._history_data()[1].items():
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
            order = self._new_order(
                base, quote, side, kind, price, amount, now_ms, 950_000 + self._placed
            )
            self._by_id[order.id] = order
            if fill_price is None:
                self.open_orders.append(order)
                return order
            order.status, order.filled, order.avg_price = "filled", amount, fill_price
            rows = self._history_data()[0].setdefault((base, quote), [])
            bisect.insort(rows, order, key=lambda o: o.created_ms)
            return order

    def cancel_order(self, order_id: str, now_ms: int) -> Order | None:
        """Cancel an open order; None when it is unknown or no longer open."""
        with self._lock:
            order = self._by_id.get(order_id)
            if order is None or not order.is_open:
                return None
            self.open_orders.remove(order)
            order.status, order.updated_ms = "canceled", now_ms
            rows = self._history_data()[0].setdefault((order.base, order.quote), [])
            bisect.insort(rows, order, key=lambda o: o.created_ms)
            return order

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


class World:
    """Prices plus lazily built accounts, one per (exchange, account name)."""

    def __init__(
        self,
        seed: int = 7,
        order_history: int | Mapping[str, int] = DEFAULT_ORDER_HISTORY,
        *,
        now_ms: int | None = None,
    ) -> None:
        self.seed = seed
        self.prices = PriceModel(seed)
        now = int(time.time() * 1000) if now_ms is None else now_ms
        self.anchor_ms = now // MINUTE_MS * MINUTE_MS
        self._order_history = order_history
        self._accounts: dict[tuple[str, str], Account] = {}
        self._lock = threading.Lock()

    def history_size(self, name: str) -> int:
        if isinstance(self._order_history, Mapping):
            return int(self._order_history.get(name, DEFAULT_ORDER_HISTORY))
        return int(self._order_history)

    def account(self, exchange: str, name: str) -> Account:
        with self._lock:
            account = self._accounts.get((exchange, name))
            if account is None:
                account = Account(self, exchange, name, self.history_size(name), self.anchor_ms)
                self._accounts[(exchange, name)] = account
            return account

    def spot_assets(self, exchange: str) -> list[str]:
        """Every asset the exchange lists: traded ones plus those only held (ZZZ)."""
        codes = {a for pair in SPOT_PAIRS[exchange] for a in (pair.base, pair.quote)}
        codes.add("ZZZ")
        return sorted(codes, key=list(ASSETS).index)
