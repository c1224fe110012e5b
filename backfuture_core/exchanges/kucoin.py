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

# reference/exchanges.md 2.3 (ccxt maps most of these to AuthenticationError).
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
    "400303": "no_permission",
    "411100": "account_frozen",
    "429000": "rate_limited",
    "200002": "rate_limited",
    "500000": "exchange_unavailable",
    "101030": "no_permission",
}


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

    async def key_info(self) -> KeyInfo:
        body = await self.call(SPOT, "private_get_user_api_key")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise self.classify(ValueError("api-key answer without data"))
        listed = split_list(data.get("permission"))
        known = listed is not None
        permissions = set(listed or ())
        ips = data.get("ipWhitelist")
        return KeyInfo(
            read=("General" in permissions) if known else None,
            spot_trade=("Spot" in permissions) if known else None,
            futures_trade=("Futures" in permissions) if known else None,
            withdraw=bool(permissions & {"Transfer", "Withdrawal"}) if known else None,
            # No whitelist field on a readable answer: the key has no IP restriction.
            ip_whitelist=() if ips is None and known else split_list(ips),
            permissions=tuple(sorted(permissions)),
        )

    async def spot_balance(self) -> Any:
        body = await self.call(SPOT, "private_get_accounts", {"type": "trade"})
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise self.classify(ValueError("accounts answer without data"))
        return body

    async def futures_balance(self) -> Any:
        body = await self.call(SPOT, "futuresprivate_get_account_overview", {"currency": "USDT"})
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise self.classify(ValueError("account overview without data"))
        return body
