"""The sandbox's one world, which every exchange dialect serves: prices and the accounts.

Everything is derived from the seed, so two sandboxes with the same seed serve the same world
(times are relative to the moment the world was created, floored to the minute). An account
is one data set on one exchange (see :mod:`.accounts`), built the first time a request needs
it; every key of the account (:class:`~.keys.DemoKey`) sees its holdings and reports its id.

The order-history size is ``order_history`` (default 300 orders per history-bearing account):
an int for every account, or a mapping from account name to size, e.g. ``{"main": 10_000}``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from backfuture_core.sandbox.accounts import Account
from backfuture_core.sandbox.keys import DemoKey
from backfuture_core.sandbox.prices import ASSETS, SPOT_PAIRS, PriceModel
from backfuture_core.values import MINUTE_MS

DEFAULT_ORDER_HISTORY = 300


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

    def account_of(self, key: DemoKey) -> Account:
        """The account a key belongs to."""
        return self.account(key.exchange, key.account)

    def spot_assets(self, exchange: str) -> list[str]:
        """Every asset the exchange lists: traded ones plus those only held (ZZZ)."""
        codes = {a for pair in SPOT_PAIRS[exchange] for a in (pair.base, pair.quote)}
        codes.add("ZZZ")
        return sorted(codes, key=list(ASSETS).index)
