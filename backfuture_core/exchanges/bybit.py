"""Bybit quirks: one v5 host, `retCode` error bodies, the query-api key info, the UTA wallet.

Bybit v5 serves spot and derivatives from one host and one signing scheme, so one ccxt client
does everything. Errors come as `{"retCode": N, "retMsg": ...}` (mostly with HTTP 200), which the
shared classifier reads once they are put in its `code`/`msg` shape. `GET /v5/user/query-api`
says everything about the key: read-only or not, the permission lists, the IP list (`["*"]`:
none), the expiry (`deadlineDay`, `expiredAt`), the creation time and the account (`userID`).
The Unified Trading Account holds spot and derivatives in one wallet: one wallet-balance call
proves both.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any, ClassVar

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS

# bybit-exchange.github.io/docs/v5/error (reference 3.8 and 5).
BYBIT_ERROR_CODES = {
    "10003": "invalid_key",  # API key is invalid
    "10004": "invalid_key",  # error sign: wrong Secret Key
    "10007": "invalid_key",  # user authentication failed
    "33004": "invalid_key",  # the API key has expired
    "10002": "clock_skew",  # request time outside the recv_window
    "10010": "ip_not_allowed",  # unmatched IP
    "10009": "ip_not_allowed",  # IP banned
    "10005": "no_permission",  # permission denied
    "10006": "rate_limited",  # too many visits (UID)
    "10018": "rate_limited",  # too many visits (IP)
    "10008": "account_frozen",  # user banned (ccxt: AccountSuspended)
    "10027": "account_restricted",  # trading banned for this account
    "10024": "account_restricted",  # compliance rules triggered
    "10016": "exchange_unavailable",  # internal error or service restarting (ccxt: ExchangeError)
}
READ_ONLY_TOKENS = {"AccountTransfer", "SubMemberTransfer", "SubMemberTransferList"}
FUTURES_TOKENS = {"Order", "Position", "DerivativesTrade"}
NO_IP_LIST = ("*",)
# bybit-exchange.github.io/docs/v5: order/realtime 50 a page (cursor); order/history and
# execution/list 100 a page within 7 days.
_PAGING = {
    (market, kind): plan
    for market, params in (
        (SPOT, {"type": "spot"}),
        (FUTURES, {"type": "swap", "subType": "linear"}),
    )
    for kind, plan in {
        "open": Paging("fetch_open_orders", 50, params=params),
        "orders": Paging("fetch_closed_orders", 100, 7 * DAY_MS, params=params),
        "trades": Paging("fetch_my_trades", 100, 7 * DAY_MS, params=params),
    }.items()
}


def _iso_ms(value: Any) -> int | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _withdraw(wallet: Any) -> bool | None:
    """Withdrawal from the Wallet list: an explicit no only when every token is known."""
    if not isinstance(wallet, list):
        return None
    tokens = {str(t) for t in wallet}
    if any("Withdraw" in t for t in tokens):
        return True
    return None if tokens - READ_ONLY_TOKENS else False


def _tokens(permissions: dict[str, Any], group: str) -> set[str]:
    listed = permissions.get(group)
    return {str(t) for t in listed} if isinstance(listed, list) else set()


class BybitAdapter(ExchangeAdapter):
    exchange_id = "bybit"
    ERROR_CODES: ClassVar[dict[str, str]] = BYBIT_ERROR_CODES
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = _PAGING
    CANDLES_PER_CALL: ClassVar[int] = 1000  # market/kline: limit at most 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wallet: asyncio.Task[Any] | None = None

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        return {
            "fetchCurrencies": False,  # asset/coin/query-info: signed, never needed
            "fetchMarkets": {"types": ["spot", "linear"]},
        }

    def prepare_client(self, client: Client) -> None:
        client.has["fetchCurrencies"] = False

    def point_urls(self, client: Client, base: str) -> None:
        client.urls["api"] = dict.fromkeys(client.urls["api"], base)

    def classify(self, exc: BaseException) -> ExchangeError:
        """Bybit's `retCode`/`retMsg` body put in the shape the shared classifier reads."""
        text = str(exc)
        start = text.find("{")
        try:
            body = json.loads(text[start:]) if start >= 0 else None
        except ValueError:
            body = None
        if isinstance(body, dict) and "retCode" in body and "code" not in body:
            plain = json.dumps({"code": body["retCode"], "msg": body.get("retMsg") or ""})
            exc = type(exc)(f"bybit {plain}")
        return super().classify(exc)

    def unreadable(self, what: str) -> ExchangeError:
        detail = f"The answer to the {what} request lacks the fields Bybit sends."
        return ExchangeError("wrong_address", detail, exchange=self.info.name)

    async def key_info(self) -> KeyInfo:
        body = await self.call(SPOT, "private_get_v5_user_query_api")
        result = body.get("result") if isinstance(body, dict) else None
        permissions = result.get("permissions") if isinstance(result, dict) else None
        if not isinstance(result, dict) or not isinstance(permissions, dict):
            raise self.unreadable("key-information")
        read_only = result.get("readOnly")
        writable = None if read_only not in (0, 1) else read_only == 0
        spot = "SpotTrade" in _tokens(permissions, "Spot")
        futures = bool(
            FUTURES_TOKENS
            & (_tokens(permissions, "ContractTrade") | _tokens(permissions, "Derivatives"))
        )
        ips = result.get("ips")
        listed = tuple(str(ip) for ip in ips) if isinstance(ips, list) else None
        # deadlineDay and expiredAt are "only for keys with no IP bound" (apikey-info): a bound
        # key answers 0 and "" and never expires.
        unbound = listed in ((), NO_IP_LIST)
        days = result.get("deadlineDay") if unbound and result.get("expiredAt") else None
        uid = result.get("userID")
        return KeyInfo(
            read=True,  # every Bybit key reads ("readOnly": 1 means read only)
            spot_trade=None if writable is None else writable and spot,
            futures_trade=None if writable is None else writable and futures,
            withdraw=_withdraw(permissions.get("Wallet")),
            ip_whitelist=() if unbound else listed,
            permissions=tuple(
                sorted(
                    f"{group}:{token}"
                    for group in permissions
                    for token in _tokens(permissions, group)
                )
            ),
            expires_in_days=days if isinstance(days, int) and days >= 0 else None,
            account_id=str(uid) if isinstance(uid, int | str) and uid != "" else None,
            created_at_ms=_iso_ms(result.get("createdAt")),
        )

    def _wallet_call(self) -> asyncio.Task[Any]:
        """The Unified account's wallet, one request for the spot and futures probes."""
        if self._wallet is None:
            method = "private_get_v5_account_wallet_balance"
            self._wallet = asyncio.ensure_future(
                self.call(SPOT, method, {"accountType": "UNIFIED"})
            )
        return self._wallet

    async def _wallet_balance(self) -> Any:
        body = await asyncio.shield(self._wallet_call())
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("list"), list):
            raise self.unreadable("wallet balance")
        return body

    async def spot_balance(self) -> Any:
        return await self._wallet_balance()

    async def futures_balance(self) -> Any:
        return await self._wallet_balance()

    async def fetch_futures_balance(self) -> dict:
        """The Unified wallet holds spot and derivatives together: a connection that shows it
        as its spot balance lists it once, not again as futures."""
        if self.connection.market.has_spot:
            return {"free": {}, "used": {}, "total": {}}
        return await super().fetch_futures_balance()
