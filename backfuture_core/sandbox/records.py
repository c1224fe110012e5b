"""The records of the sandbox's world: orders, fills and futures positions, exchange-neutral
(each dialect renders them in its exchange's shape)."""

from __future__ import annotations

from dataclasses import dataclass

from backfuture_core.sandbox.prices import hash64, text_key

NUMERIC_IDS = ("okx", "bitget")


@dataclass
class Order:
    """A spot order; each dialect renders it in its exchange's shape."""

    id: str
    client_id: str
    base: str
    quote: str
    side: str  # "buy" | "sell"
    type: str  # "limit" | "market"
    price: float  # limit price, 0 for market orders
    amount: float
    created_ms: int
    updated_ms: int
    filled: float = 0.0
    avg_price: float = 0.0
    status: str = "open"  # "open" | "filled" | "canceled"

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


class RecordIds:
    """Deterministic ids of one account's records, shaped like those of its exchange."""

    def __init__(self, seed: int, exchange: str, account: str) -> None:
        self.seed = seed
        self.exchange = exchange
        self.account = account

    def number(self, salt: int, purpose: str) -> int:
        return hash64(self.seed, text_key(f"{self.exchange}:{self.account}:{purpose}"), salt)

    def order_ids(self, t_ms: int, seq: int) -> tuple[str, str]:
        """Order id and client order id; (t_ms, seq) must be unique within the account."""
        salt = t_ms * 1000 + seq
        rnd = self.number(salt, "id")
        client = f"{rnd:016x}{self.number(salt, 'client'):016x}"
        client_id = f"{client[:8]}-{client[8:12]}-{client[12:16]}-{client[16:20]}-{client[20:]}"
        if self.exchange == "mexc":
            return f"C02__{4 * 10**20 + t_ms * 10**6 + seq % 10**6:021d}", client_id
        if self.exchange == "binance":  # a growing integer per symbol; clientOrderId 22+ chars
            return str(t_ms // 10 + seq % 10), "web_" + client[:28]
        if self.exchange == "bybit":  # a 19-digit number (spot) and an orderLinkId
            return str(10**18 + (t_ms * 1000 + seq % 1000) % (9 * 10**18)), client[:32]
        if self.exchange in NUMERIC_IDS:  # OKX, Bitget: 18-19 digit numbers
            return str(10**18 + t_ms * 10**5 % 10**17 + seq % 10**5), client_id
        return f"{t_ms // 1000:08x}{seq:08x}{rnd & 0xFFFFFFFF:08x}", client_id

    def trade_id(self, salt: int) -> str:
        if self.exchange in ("kucoin", *NUMERIC_IDS):
            return str(10**15 + self.number(salt, "trade") % (9 * 10**15))
        if self.exchange == "binance":
            return str(10**8 + self.number(salt, "trade") % (9 * 10**8))
        if self.exchange == "bybit":
            return str(2 * 10**18 + self.number(salt, "trade") % (10**18))
        return f"{self.number(salt, 'trade'):016x}{self.number(salt, 'trade2'):016x}"

    def position_id(self, opened_ms: int) -> str:
        return f"{self.number(opened_ms, 'position') % 10**9:09d}"
