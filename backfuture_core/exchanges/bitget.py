"""Bitget quirks: twelve URL families on one host, string error codes, the authority codes of
the spot account-info key info, passphrase, and unified (UTA) accounts.

A classic account answers the v2 endpoints: key info `GET /api/v2/spot/account/info`
(`authorities`: four-letter codes, "...r" read only and "...w" read-write per business: `stow`
spot trade, `coow` futures orders, `wwow` withdrawal; `ips`; `userId`), spot assets and the
USDT-M futures accounts. A unified account refuses every classic call with 40085; the same
three questions then go to the v3 unified endpoints (one more round trip, for those accounts
only).
"""

from __future__ import annotations

from typing import Any, ClassVar

from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo, split_list
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS

# Bitget's common error codes (docs "Error codes"; reference/exchanges.md 3.3).
BITGET_ERROR_CODES = {
    "40001": "invalid_key",
    "40002": "invalid_key",
    "40003": "invalid_key",
    "40004": "clock_skew",
    "40005": "clock_skew",
    "40006": "invalid_key",
    "40008": "clock_skew",
    "40009": "invalid_key",  # signature: wrong secret
    "40010": "invalid_key",
    "40011": "wrong_passphrase",
    "40012": "wrong_passphrase",  # "apikey/password is incorrect"
    "40013": "account_frozen",  # user status is abnormal (ccxt: ExchangeError)
    "40014": "no_permission",
    "40016": "account_restricted",  # the user must bind a phone or Google authenticator
    "40018": "ip_not_allowed",  # ccxt: PermissionDenied
    "40024": "account_restricted",  # regional restriction (ccxt: RestrictedLocation)
    "40031": "account_frozen",
    "40037": "invalid_key",
    "429": "rate_limited",
    "1001": "rate_limited",
    "40200": "exchange_unavailable",
    "40015": "exchange_unavailable",  # ccxt: ExchangeError
    "40604": "exchange_unavailable",
    "500": "exchange_unavailable",
}
UNIFIED_ONLY = "40085"  # "You are in Unified Account mode, and the Classic Account API is not..."
READ_ONLY = frozenset({"coor", "cpor", "stor", "smor", "ttor", "wtor", "taxr", "chor", "p2pr"})
READ_WRITE = frozenset({"coow", "cpow", "stow", "smow", "ttow", "wtow", "wwow", "chow", "p2pw"})
LEGACY = frozenset({"readonly", "trade"})  # the coarse values of older keys
PRODUCT = {"productType": "USDT-FUTURES"}


def _authorities(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip().lower() for v in value if v.strip())
    return split_list(value)


def parse_key_info(data: dict) -> KeyInfo:
    """The checklist facts of a spot account-info (or unified account-info) answer."""
    listed = _authorities(data.get("authorities") or data.get("permissions"))
    if listed is None:
        raise ValueError("account info without authorities")
    perms = set(listed)
    known = perms <= READ_ONLY | READ_WRITE | LEGACY
    legacy_trade = "trade" in perms
    uid = data.get("userId") or data.get("uid")
    return KeyInfo(
        read=bool(perms),
        spot_trade="stow" in perms or legacy_trade,
        futures_trade="coow" in perms or legacy_trade,
        withdraw=True if "wwow" in perms else (False if known else None),
        ip_whitelist=split_list(data.get("ips")),
        permissions=tuple(sorted(perms)),
        account_id=str(uid) if uid else None,
    )


_SWAP = {"type": "swap", "productType": "USDT-FUTURES"}
# 100 rows a call, history within 90 days behind an `idLessThan` cursor. ccxt's paginate
# follows the cursor on spot but drops the `type` of a futures listing without a symbol (it
# then lists spot), so futures listings are single calls. Windows of 7 days keep a spot call
# under Bitget's 100 rows for any account that does not trade all day; fills need a symbol.
_PAGING = {
    (market, kind): Paging(
        method,
        None,
        None if kind == "open" else 7 * DAY_MS,
        per_symbol=kind == "trades",
        params=extra,
    )
    for market, extra in ((SPOT, {"paginate": True}), (FUTURES, _SWAP))
    for kind, method in (
        ("open", "fetch_open_orders"),
        ("orders", "fetch_closed_orders"),
        ("trades", "fetch_my_trades"),
    )
}


class BitgetAdapter(ExchangeAdapter):
    exchange_id = "bitget"
    ERROR_CODES: ClassVar[dict[str, str]] = BITGET_ERROR_CODES
    CANDLES_PER_CALL: ClassVar[int] = 1000  # spot and mix candles: at most 1000 a call
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = _PAGING

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        return {
            "uta": False,
            "fetchMarkets": {"types": ["spot", "swap"]},
            "defaultSubTypes": ["linear"],
        }

    def prepare_client(self, client: Client) -> None:
        client.has["fetchCurrencies"] = False  # the coin list is megabytes the test never needs

    def point_urls(self, client: Client, base: str) -> None:
        client.urls["api"] = dict.fromkeys(client.urls["api"], base)

    def _invalid(self, what: str) -> ExchangeError:
        detail = f"The {what} answer has no data."
        return ExchangeError("wrong_address", detail, exchange=self.info.name)

    async def _data(self, method: str, unified: str, params: dict | None = None) -> Any:
        """The `data` of a classic call; on a unified account, of its unified counterpart."""
        try:
            body = await self.call(SPOT, method, params or {})
        except ExchangeError as error:
            if error.code != UNIFIED_ONLY:
                raise
            body = await self.call(SPOT, unified)
        return body.get("data") if isinstance(body, dict) else None

    async def key_info(self) -> KeyInfo:
        data = await self._data(
            "private_spot_get_v2_spot_account_info", "private_uta_get_v3_account_info"
        )
        if not isinstance(data, dict):
            raise self._invalid("account info")
        try:
            return parse_key_info(data)
        except ValueError:
            raise self._invalid("account info") from None

    async def spot_balance(self) -> Any:
        data = await self._data(
            "private_spot_get_v2_spot_account_assets", "private_uta_get_v3_account_assets"
        )
        if not isinstance(data, (list, dict)):
            raise self._invalid("spot assets")
        return data

    async def futures_balance(self) -> Any:
        data = await self._data(
            "private_mix_get_v2_mix_account_accounts", "private_uta_get_v3_account_assets", PRODUCT
        )
        if not isinstance(data, (list, dict)):
            raise self._invalid("futures account")
        return data
