"""MEXC quirks: URL layout, error codes, the apiKeyInfo endpoint and the raw balance calls.

MEXC spot v3 and contract v1 share one host; ccxt's `fetchCurrencies` needs the withdraw-read
scope (a valid read+trade key would look invalid), so it is switched off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo, split_list
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS, to_float

# reference/exchanges.md 1.3: spot v3 codes, then contract v1 codes.
MEXC_ERROR_CODES = {
    "400": "invalid_key",  # api key required
    "10072": "invalid_key",  # ccxt: BadRequest
    "700001": "invalid_key",
    "700002": "invalid_key",
    "700003": "clock_skew",
    "700005": "clock_skew",
    "700006": "ip_not_allowed",  # ccxt: BadRequest
    "700007": "no_permission",  # ccxt: AuthenticationError
    "70011": "no_trading_permission",
    "140002": "account_frozen",
    "30018": "account_frozen",
    "429": "rate_limited",
    "401": "invalid_key",
    "402": "invalid_key",
    "602": "invalid_key",
    "1000": "invalid_key",
    "10073": "clock_skew",
    "513": "clock_skew",  # "Invalid request(for open api serves time more or less than 10 s)"
    "406": "ip_not_allowed",
    "701": "no_permission",
    "702": "no_permission",
    "703": "no_permission",
    "704": "no_permission",
    "510": "rate_limited",
    "500": "exchange_unavailable",
    "501": "exchange_unavailable",
    "503": "exchange_unavailable",
    "504": "exchange_unavailable",
    "604": "exchange_unavailable",
    "801": "exchange_unavailable",
}


def swap_balance(balance: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """MEXC contract assets as a ccxt-shaped balance that counts what ccxt leaves out: ccxt
    reads only availableBalance and frozenBalance, so margin held by open positions and their
    unrealised PnL vanish. Here used = frozen + position margin and total = equity."""
    rows = (balance.get("info") or {}).get("data")
    if not isinstance(rows, list):
        return {"free": {}, "used": {}, "total": {}}
    out: dict[str, dict[str, float]] = {"free": {}, "used": {}, "total": {}}
    for row in rows:
        if not isinstance(row, dict) or not row.get("currency"):
            continue
        code = str(row["currency"])
        free = to_float(row.get("availableBalance"))
        used = sum(
            v for v in (to_float(row.get("frozenBalance")), to_float(row.get("positionMargin")))
            if not math.isnan(v)
        )  # fmt: skip
        equity = to_float(row.get("equity"))
        out["free"][code] = free
        out["used"][code] = used
        if math.isnan(equity):
            equity = (0.0 if math.isnan(free) else free) + used
        out["total"][code] = equity
    return out


def _flag(permissions: set[str], name: str, known: bool) -> bool | None:
    return (name in permissions) if known else None


class MexcAdapter(ExchangeAdapter):
    exchange_id = "mexc"
    ERROR_CODES: ClassVar[dict[str, str]] = MEXC_ERROR_CODES
    PAGING: ClassVar[dict[tuple[str, str], Paging]] = {
        # Spot v3: a symbol per call; allOrders covers at most 7 days and 1000 rows.
        (SPOT, "open"): Paging("fetch_open_orders", None, per_symbol=True),
        (SPOT, "orders"): Paging("fetch_orders", 1000, 7 * DAY_MS, per_symbol=True),
        (SPOT, "trades"): Paging("fetch_my_trades", 1000, 30 * DAY_MS, per_symbol=True),
        # Contract: numbered pages of at most 100; fills need a symbol.
        (FUTURES, "open"): Paging(
            "fetch_open_orders", 100, page_param="page_num", params={"type": "swap"}
        ),
        (FUTURES, "orders"): Paging(
            "fetch_orders", 100, 7 * DAY_MS, "page_num", params={"type": "swap"}
        ),
        (FUTURES, "trades"): Paging(
            "fetch_my_trades", 100, 7 * DAY_MS, "page_num", "end_time", per_symbol=True
        ),
    }

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        return {"fetchCurrencies": False}

    def prepare_client(self, client: Client) -> None:
        client.has["fetchCurrencies"] = False  # needs SPOT_WITHDRAW_READ: never call it

    def point_urls(self, client: Client, base: str) -> None:
        client.urls["api"] = {
            "spot": {"public": base, "private": base},
            "spot2": {"public": f"{base}/open/api/v2", "private": f"{base}/open/api/v2"},
            "contract": {"public": f"{base}/api/v1/contract", "private": f"{base}/api/v1/private"},
            "broker": {"private": f"{base}/api/v3/broker"},
        }

    async def key_info(self) -> KeyInfo:
        client = self.client(SPOT)
        body = await self.call(SPOT, "spot_private_get_apikeyinfo", {"accessKey": client.apiKey})
        listed = split_list(body.get("permissions"))
        known = listed is not None
        permissions = set(listed or ())
        validity = body.get("remainingValidity")
        return KeyInfo(
            read=(any(p.endswith("_READ") for p in permissions)) if known else None,
            spot_trade=_flag(permissions, "SPOT_DEAL_WRITE", known),
            futures_trade=_flag(permissions, "CONTRACT_DEAL_WRITE", known),
            withdraw=_flag(permissions, "SPOT_WITHDRAW_WRITE", known),
            ip_whitelist=split_list(body.get("ipWhiteList")),
            permissions=tuple(sorted(permissions)),
            expires_in_days=validity if isinstance(validity, int) else None,
        )

    async def spot_balance(self) -> Any:
        body = await self.call(SPOT, "spot_private_get_account")
        if not isinstance(body, dict) or not isinstance(body.get("balances"), list):
            raise self.classify(ValueError("account without balances"))
        return body

    async def futures_balance(self) -> Any:
        body = await self.call(FUTURES, "contract_private_get_account_assets")
        if not isinstance(body, dict) or body.get("success") is not True:
            raise self.classify(ValueError("contract assets without success"))
        return body

    async def fetch_futures_balance(self) -> dict:
        await self.load_markets(FUTURES)
        return swap_balance(await self.call(FUTURES, "fetch_balance", {"type": "swap"}))
