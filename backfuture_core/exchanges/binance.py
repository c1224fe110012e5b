"""Binance quirks: URL families, error codes, apiRestrictions, the ambiguous -2015, balances.

Binance answers `-2015` ("Invalid API-key, IP, or permissions for action.") for an unknown key,
an IP address not on the key's list and a missing permission alike. The key-info call
(`GET /sapi/v1/account/apiRestrictions`) tells them apart where it can: when it answered, the key
and this computer's IP are accepted, so a later -2015 is a missing permission; when it fails
with -2015 itself, Binance does not say which of the three it is, and the error says so.
Binance reports whether an IP restriction exists, never the list. The account id is the `uid`
of `GET /api/v3/account`, the spot balance call (one request serves both).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS

# developers.binance.com: spot "Error codes", derivatives "Error code" (reference 3.1, 0.4).
BINANCE_ERROR_CODES = {
    "-2015": "invalid_key",  # key, IP or permission: see _explained_2015
    "-2014": "invalid_key",  # API-key format invalid
    "-2008": "invalid_key",  # invalid Api-Key ID
    "-1022": "invalid_key",  # signature not valid (wrong Secret Key)
    "-1002": "no_permission",  # you are not authorized to execute this request
    "-1021": "clock_skew",  # timestamp outside recvWindow
    "-1003": "rate_limited",  # too much request weight
    "-1015": "rate_limited",  # too many new orders
    "-1000": "exchange_unavailable",  # unknown error while processing
    "-1001": "exchange_unavailable",  # internal error (disconnected)
    "-1004": "exchange_unavailable",  # server busy
    "-1006": "exchange_unavailable",  # unexpected response from the message bus
    "-1007": "exchange_unavailable",  # timeout waiting for the backend
    "-1008": "exchange_unavailable",  # server overloaded (ccxt: OperationFailed)
    "1": "exchange_unavailable",  # "System is under maintenance."
    "-4087": "account_restricted",  # futures: user can only place reduce-only orders
    "-4088": "account_restricted",  # futures: user cannot place orders currently
}
AMBIGUOUS = (
    "Binance refused the key with code -2015, which it sends for an unknown API Key, for a "
    "computer IP that is not on the key's IP list, and for a missing permission alike; it does "
    "not say which. Check that the key exists and that its IP list includes this computer."
)
_PERMISSION_2015 = (
    "Binance accepted the key from this computer but refused the {what} with code -2015: "
    "the key lacks the permission for it."
)

# developers.binance.com: spot allOrders and myTrades cover at most 24 hours and 1000 rows and
# need a symbol; USD-M futures allOrders and userTrades cover at most 7 days and 1000 rows.
_PAGING = {
    (SPOT, "open"): Paging("fetch_open_orders", None),
    (SPOT, "orders"): Paging("fetch_orders", 1000, DAY_MS, per_symbol=True),
    (SPOT, "trades"): Paging("fetch_my_trades", 1000, DAY_MS, per_symbol=True),
    (FUTURES, "open"): Paging("fetch_open_orders", None),
    (FUTURES, "orders"): Paging("fetch_orders", 1000, 7 * DAY_MS, per_symbol=True),
    (FUTURES, "trades"): Paging("fetch_my_trades", 1000, 7 * DAY_MS, per_symbol=True),
}


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    return value if isinstance(value, bool) else None


class BinanceAdapter(ExchangeAdapter):
    exchange_id = "binance"
    ERROR_CODES: ClassVar[dict[str, str]] = BINANCE_ERROR_CODES
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = _PAGING
    CANDLES_PER_CALL: ClassVar[int] = 1000  # spot klines: limit at most 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._restrictions: asyncio.Task[Any] | None = None
        self._account: asyncio.Task[Any] | None = None

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        types = ["linear"] if ccxt_id == "binanceusdm" else ["spot"]
        return {
            "fetchCurrencies": False,  # sapi capital/config/getall: a signed call never needed
            "fetchMargins": False,  # sapi margin pair lists: two signed calls never needed
            "fetchMarkets": {"types": types},
            "fetchOpenOrders": {"warnWithoutSymbol": False},
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        }

    def prepare_client(self, client: Client) -> None:
        client.has["fetchCurrencies"] = False

    def point_urls(self, client: Client, base: str) -> None:
        # Every family keeps its path (/api/v3, /sapi/v1, /fapi/v3...) under the one base URL.
        urls = client.urls["api"]
        client.urls["api"] = {
            name: base + "/" + url.split("/", 3)[3] if isinstance(url, str) else url
            for name, url in urls.items()
        }

    # --- the shared calls -----------------------------------------------------------------

    def _shared(self, attr: str, method: str, *args: Any) -> asyncio.Task[Any]:
        """One request for every probe that needs its answer (key info and balance alike)."""
        task: asyncio.Task[Any] | None = getattr(self, attr)
        if task is None:
            task = asyncio.ensure_future(self.call(SPOT, method, *args))
            setattr(self, attr, task)
        return task

    def _restrictions_call(self) -> asyncio.Task[Any]:
        return self._shared("_restrictions", "sapi_get_account_apirestrictions")

    def _account_call(self) -> asyncio.Task[Any]:
        return self._shared("_account", "private_get_account", {"omitZeroBalances": "true"})

    async def _explained_2015(self, error: ExchangeError, what: str) -> ExchangeError:
        """A -2015 on a balance call, told apart with the key-info answer where it can be."""
        if error.code != "-2015":
            return error
        try:
            await asyncio.shield(self._restrictions_call())
        except ExchangeError:
            return ExchangeError("invalid_key", AMBIGUOUS, exchange=self.info.name, code=error.code)
        detail = _PERMISSION_2015.format(what=what)
        return ExchangeError("no_permission", detail, exchange=self.info.name, code=error.code)

    def unreadable(self, what: str) -> ExchangeError:
        """An answer without the fields this adapter reads: not Binance's API at this address."""
        detail = f"The answer to the {what} request lacks the fields Binance sends."
        return ExchangeError("wrong_address", detail, exchange=self.info.name)

    # --- probes ---------------------------------------------------------------------------

    async def key_info(self) -> KeyInfo:
        answers: tuple[Any, ...] = await asyncio.gather(
            asyncio.shield(self._restrictions_call()),
            asyncio.shield(self._account_call()),
            return_exceptions=True,
        )
        restrictions, account = answers
        if isinstance(restrictions, ExchangeError):
            if restrictions.code == "-2015":
                raise ExchangeError(
                    "invalid_key", AMBIGUOUS, exchange=self.info.name, code=restrictions.code
                )
            raise restrictions
        if isinstance(restrictions, BaseException):
            raise restrictions
        body = restrictions if isinstance(restrictions, dict) else {}
        read = _flag(body, "enableReading")
        ip_restrict = _flag(body, "ipRestrict")
        if read is None or ip_restrict is None:
            raise self.unreadable("key-information")
        uid = account.get("uid") if isinstance(account, dict) else None
        created = body.get("createTime")
        granted = [name for name, value in body.items() if value is True]
        return KeyInfo(
            read=read,
            spot_trade=_flag(body, "enableSpotAndMarginTrading"),
            futures_trade=_flag(body, "enableFutures"),
            withdraw=_flag(body, "enableWithdrawals"),
            # Binance says whether an IP restriction exists, never which addresses it holds.
            ip_whitelist=None if ip_restrict else (),
            permissions=tuple(sorted(granted)),
            ip_restricted=ip_restrict,
            account_id=str(uid) if isinstance(uid, int | str) and uid != "" else None,
            created_at_ms=created if isinstance(created, int) else None,
        )

    async def spot_balance(self) -> Any:
        try:
            body = await asyncio.shield(self._account_call())
        except ExchangeError as error:
            raise await self._explained_2015(error, "spot account") from None
        if not isinstance(body, dict) or not isinstance(body.get("balances"), list):
            raise self.unreadable("spot account")
        return body

    async def futures_balance(self) -> Any:
        try:
            body = await self.call(SPOT, "fapiprivatev3_get_account")
        except ExchangeError as error:
            raise await self._explained_2015(error, "USD-M futures account") from None
        if not isinstance(body, dict) or not isinstance(body.get("assets"), list):
            raise self.unreadable("futures account")
        return body
