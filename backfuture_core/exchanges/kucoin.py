"""KuCoin quirks: ten URL keys, string error codes, the api-key endpoint, passphrase.

KuCoin spot and futures are two ccxt classes (`kucoin`, `kucoinfutures`) over the same signing;
the spot client reaches the futures account through its `futuresPrivate` API, so a connection
test needs one client. Options that make ccxt call extra endpoints are turned off.
"""

from __future__ import annotations

from typing import Any, ClassVar

from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo, split_list
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS

# reference/exchanges.md 2.3 and section 4 (K8); ccxt maps most to AuthenticationError.
KUCOIN_ERROR_CODES = {
    "400001": "invalid_key",
    "400002": "clock_skew",
    "400003": "invalid_key",
    "400004": "wrong_passphrase",
    "400005": "invalid_key",
    "400006": "ip_not_allowed",
    "400007": "no_permission",
    "400008": "invalid_key",  # V1/V2 key: create a V3 key
    "400010": "no_permission",
    "400303": "account_restricted",  # K8: identity verification (KYC) required
    "400301": "account_restricted",  # K8: restricted by local laws (region)
    "400302": "account_restricted",  # K8: region / compliance restriction
    "400500": "account_restricted",  # K8: not available in this country or region
    "404000": "wrong_address",  # "Url Not Found": the path does not exist at this address
    "411100": "account_frozen",
    "429000": "rate_limited",
    "200002": "rate_limited",
    "500000": "exchange_unavailable",
    "101030": "no_permission",
}


# K2: Transfer (legacy name) and Withdrawal allow withdrawing; any other permission not listed
# here leaves withdrawal unconfirmed (K1's documented values).
KNOWN_PERMISSIONS = frozenset(
    {"General", "Spot", "Margin", "Futures", "InnerTransfer", "Earn", "FlexTransfers"}
)
WITHDRAWING = frozenset({"Transfer", "Withdrawal"})


def withdrawal_allowed(permissions: set[str]) -> bool | None:
    """True when a permission allows withdrawing, None when one is unknown, else False."""
    if permissions & WITHDRAWING:
        return True
    return None if permissions - KNOWN_PERMISSIONS - WITHDRAWING else False


_PAGE_500 = {"pageSize": 500}  # ccxt does not pass `limit` on for KuCoin fills
# Spot and futures alike: numbered pages of at most 500 inside 7-day windows.
_PAGING = {
    "open": Paging("fetch_open_orders", 500, page_param="currentPage", params=_PAGE_500),
    "orders": Paging("fetch_closed_orders", 500, 7 * DAY_MS, "currentPage", params=_PAGE_500),
    "trades": Paging("fetch_my_trades", 500, 7 * DAY_MS, "currentPage", params=_PAGE_500),
}


class KucoinAdapter(ExchangeAdapter):
    exchange_id = "kucoin"
    ERROR_CODES: ClassVar[dict[str, str]] = KUCOIN_ERROR_CODES
    CANDLES_PER_CALL: ClassVar[int] = 1500
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = {
        (market, kind): plan for market in (SPOT, FUTURES) for kind, plan in _PAGING.items()
    }

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        types = ["swap"] if ccxt_id == "kucoinfutures" else ["spot"]
        return {
            "uta": False,
            "hf": False,
            "fetchMarkets": {"types": types, "fetchTickersFees": False},
        }

    def point_urls(self, client: Client, base: str) -> None:
        client.urls["api"] = dict.fromkeys(client.urls["api"], base)

    def load_markets_args(self) -> tuple[Any, ...]:
        # Margin symbol lists are two signed calls the dashboard never needs.
        return (False, {"marginables": False})

    def error_code_category(self, code: str, message: str) -> str | None:
        known = self.ERROR_CODES.get(code)
        if known is None and not (len(code) == 6 and code.isdigit()):
            return "wrong_address"  # every KuCoin code has six digits: this is not KuCoin
        return known

    async def key_info(self) -> KeyInfo:
        answer = await self.call(SPOT, "private_get_user_api_key")
        data = self.expect(
            self.expect(answer, "API key info", data=dict)["data"], "API key info", permission=str
        )
        permissions = set(split_list(data["permission"]) or ())
        ips = data.get("ipWhitelist")
        listed = () if ips is None else split_list(ips)  # no field: no IP restriction
        created = data.get("createdAt")
        uid = data.get("uid")
        return KeyInfo(
            read="General" in permissions,
            spot_trade="Spot" in permissions,
            futures_trade="Futures" in permissions,
            withdraw=withdrawal_allowed(permissions),
            ip_whitelist=listed,
            permissions=tuple(sorted(permissions)),
            # K3: KuCoin masks the whitelist ("203.**.154"): restricted, but to what is unsure.
            ip_list_masked=any("*" in ip for ip in listed or ()),
            account_id=str(uid) if isinstance(uid, (int, str)) and str(uid) else None,
            created_at_ms=created if type(created) is int else None,
        )

    async def account_mode(self) -> str | None:
        """K7: CLASSIC or UNIFIED (a unified account's funds may not show in the classic calls)."""
        answer = await self.call(SPOT, "utaprivate_get_account_mode")
        data = self.expect(self.expect(answer, "account mode", data=dict)["data"], "account mode")
        mode = data.get("selfAccountMode")
        return mode if isinstance(mode, str) else None

    async def spot_balance(self) -> Any:
        answer = await self.call(SPOT, "private_get_accounts", {"type": "trade"})
        return self.expect(answer, "spot accounts", data=list)

    async def futures_balance(self) -> Any:
        answer = await self.call(SPOT, "futuresprivate_get_account_overview", {"currency": "USDT"})
        return self.expect(answer, "futures account", data=dict)
