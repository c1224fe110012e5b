"""Plain data shared across the core: connections, secrets, checks and reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Secret:
    """A plaintext secret that never shows itself: repr, str and format give '***'.

    It refuses pickling (so it cannot land in `st.cache_data`) and JSON has no encoder for it.
    Call `reveal()` at the single point where the value is really needed.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def hint(self) -> str:
        """The last 4 characters, the most BackFuture ever shows of a key."""
        return "…" + self._value[-4:] if len(self._value) >= 8 else "…"

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self):
        raise TypeError("Secrets cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


@dataclass(frozen=True)
class Credentials:
    api_key: Secret
    secret: Secret
    passphrase: Secret | None = None


class Market(StrEnum):
    SPOT = "spot"
    FUTURES = "futures"
    BOTH = "both"

    @property
    def label(self) -> str:
        return {"spot": "Spot", "futures": "Futures", "both": "Spot and futures"}[self.value]

    @property
    def has_futures(self) -> bool:
        return self in (Market.FUTURES, Market.BOTH)

    @property
    def has_spot(self) -> bool:
        return self in (Market.SPOT, Market.BOTH)


class Status(StrEnum):
    ONLINE = "online"
    WARNING = "warning"
    UNSAFE = "unsafe"
    FAILED = "failed"
    UNTESTED = "untested"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CheckState(StrEnum):
    PASS = "pass"  # noqa: S105 - a state name, not a password
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


# Display order of the connection test checklist (a contract: DESIGN.md section 3).
CHECK_IDS = (
    "reachable",
    "key_valid",
    "read",
    "trade",
    "futures",
    "withdrawal_disabled",
    "ip_restricted",
    "clock",
)

CHECK_TITLES = {
    "reachable": "Exchange reachable",
    "key_valid": "API Key valid",
    "read": "Read permission",
    "trade": "Trade permission",
    "futures": "Futures permission",
    "withdrawal_disabled": "Withdrawal disabled",
    "ip_restricted": "IP restriction",
    "clock": "Clock in sync",
}


@dataclass(frozen=True)
class Connection:
    id: int
    name: str
    exchange: str
    market: Market
    key_hint: str
    api_base_url: str | None = None
    proxy: str | None = None
    note: str = ""
    is_demo: bool = False
    status: Status = Status.UNTESTED
    created_at: str = ""
    updated_at: str = ""
    last_tested_at: str | None = None
    version: int = 1  # raised by every change; a change based on an older one is refused


@dataclass(frozen=True)
class Check:
    id: str
    state: CheckState
    detail: str = ""
    remedy: str = ""

    @property
    def title(self) -> str:
        return CHECK_TITLES.get(self.id, self.id)


@dataclass(frozen=True)
class ConnectionReport:
    status: Status
    checks: tuple[Check, ...]
    error_category: str | None = None
    error_message: str = ""
    duration_ms: int = 0
    tested_at: str = ""
    exchange: str = ""
    connection_name: str = ""
    reported_ip: str | None = None
    extra: dict = field(default_factory=dict)
    account_id: str | None = None  # the exchange account the key belongs to, when it says

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self) -> dict:
        """JSON-ready form (the CLI contract): never holds a secret."""
        data = asdict(self)
        data["status"] = self.status.value
        data["checks"] = [
            {"id": c.id, "state": c.state.value, "detail": c.detail, "remedy": c.remedy}
            for c in self.checks
        ]
        return data
