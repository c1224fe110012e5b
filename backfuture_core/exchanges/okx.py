"""OKX quirks: one URL family, string error codes, the account-config key info, one account.

OKX v5 has one host (`urls['api']['rest']`) and one unified trading account: spot and
derivatives share `GET /api/v5/account/balance`, and a key's `perm` ("read_only", "trade",
"withdraw") does not split spot from futures trading. Whether derivatives can be traded at all
is the account mode (`acctLv` "1" = spot mode), read from the same config answer. The futures
probe therefore reuses the config and balance calls the other probes make: a test sends each
request once. The key info answer carries the account id (`uid`) and the bound IPs (`ip`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo, split_list
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS

# OKX v5 error codes (docs "Error Code", REST 50000-5xxxx; reference/exchanges.md 3.2).
OKX_ERROR_CODES = {
    "50100": "account_frozen",  # API frozen (ccxt: ExchangeError)
    "50101": "invalid_key",  # key of the other environment (demo trading vs live)
    "50102": "clock_skew",
    "50103": "invalid_key",
    "50104": "wrong_passphrase",
    "50105": "wrong_passphrase",
    "50106": "invalid_key",
    "50107": "clock_skew",
    "50110": "ip_not_allowed",  # ccxt: PermissionDenied
    "50111": "invalid_key",
    "50112": "clock_skew",  # ccxt: AuthenticationError
    "50113": "invalid_key",  # signature: wrong secret
    "50114": "invalid_key",
    "50119": "invalid_key",  # ccxt: ExchangeError
    "50120": "no_permission",  # ccxt: ExchangeError
    "50007": "account_frozen",
    "50009": "account_frozen",
    "50027": "account_restricted",  # the account is restricted from trading
    "4088": "account_restricted",  # identity verification needed (ccxt: ManualInteractionNeeded)
    "51732": "account_restricted",  # KYC level not met (ccxt: AuthenticationError)
    "51734": "account_restricted",  # KYC country not supported (ccxt: AuthenticationError)
    "51010": "futures_not_enabled",  # the account mode does not support this
    "50011": "rate_limited",
    "50061": "rate_limited",
    "50001": "exchange_unavailable",
    "50004": "exchange_unavailable",
    "50005": "exchange_unavailable",
    "50013": "exchange_unavailable",
    "50026": "exchange_unavailable",
}
KNOWN_PERMS = frozenset({"read_only", "trade", "withdraw"})
SPOT_MODE = "1"  # acctLv 1: spot only; 2 spot and futures, 3 multi-currency, 4 portfolio margin


class OkxAdapter(ExchangeAdapter):
    exchange_id = "okx"
    ERROR_CODES: ClassVar[dict[str, str]] = OKX_ERROR_CODES
    CANDLES_PER_CALL: ClassVar[int] = 300  # market/candles; history-candles answers 100
    # Orders pending and history (7 days) list 100 rows a call behind an `after` cursor; ccxt
    # follows the cursor itself with `paginate` (one adapter call per listing).
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = {
        (market, kind): Paging(method, None, window, params={"paginate": True, **extra})
        for market, extra in ((SPOT, {"instType": "SPOT"}), (FUTURES, {"instType": "SWAP"}))
        for kind, method, window in (
            ("open", "fetch_open_orders", None),
            ("orders", "fetch_closed_orders", 7 * DAY_MS),
            ("trades", "fetch_my_trades", 3 * DAY_MS),
        )
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared: dict[str, asyncio.Task[Any]] = {}

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        return {"fetchMarkets": {"types": ["spot", "swap"]}}

    def prepare_client(self, client: Client) -> None:
        client.has["fetchCurrencies"] = False  # a signed asset call the dashboard never needs

    def point_urls(self, client: Client, base: str) -> None:
        client.urls["api"] = {"rest": base}

    def _once(self, name: str, make: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """One request shared by every probe that needs its answer."""
        if name not in self._shared:
            self._shared[name] = asyncio.ensure_future(make())
        return self._shared[name]

    def _config(self) -> asyncio.Task[Any]:
        return self._once("config", lambda: self._first_row("private_get_account_config"))

    def _balance(self) -> asyncio.Task[Any]:
        return self._once("balance", lambda: self._first_row("private_get_account_balance"))

    async def _first_row(self, method: str) -> dict:
        body = await self.call(SPOT, method)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise ExchangeError(
                "wrong_address", "The answer has no account data.", exchange=self.info.name
            )
        return data[0]

    async def key_info(self) -> KeyInfo:
        config = await self._config()
        listed = split_list(config.get("perm"))
        if listed is None:
            raise ExchangeError(
                "wrong_address", "The key information has no permissions.", exchange=self.info.name
            )
        perms = set(listed)
        known = perms <= KNOWN_PERMS  # an unknown token could be anything, withdrawal included
        ips = split_list(config.get("ip"))
        uid = config.get("uid")
        return KeyInfo(
            read=True,  # every OKX key reads ("read_only" is always granted)
            spot_trade="trade" in perms,
            futures_trade="trade" in perms,  # no spot/futures split; the mode is the account's
            withdraw=("withdraw" in perms) if known or "withdraw" in perms else None,
            ip_whitelist=ips,
            permissions=tuple(sorted(perms)),
            account_id=str(uid) if uid not in (None, "") else None,
        )

    async def spot_balance(self) -> Any:
        row = await self._balance()
        if not isinstance(row.get("details"), list):
            raise ExchangeError(
                "wrong_address", "The balance answer has no details.", exchange=self.info.name
            )
        return row

    async def futures_balance(self) -> Any:
        """The trading account holds derivatives margin too; spot mode cannot trade them."""
        config, row = await asyncio.gather(self._config(), self.spot_balance())
        if str(config.get("acctLv", "")) == SPOT_MODE:
            raise ExchangeError(
                "futures_not_enabled",
                "The account is in Spot mode (acctLv 1): switch the account mode to trade "
                "derivatives.",
                exchange=self.info.name,
            )
        return row

    async def close(self) -> None:
        for task in self._shared.values():
            if not task.done():
                task.cancel()
        self._shared.clear()
        await super().close()
