"""MEXC quirks: URL layout, error codes, the apiKeyInfo endpoint and the raw balance calls.

MEXC spot v3 and contract v1 share one host; ccxt's `fetchCurrencies` needs the withdraw-read
scope (a valid read+trade key would look invalid), so it is switched off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from backfuture_core.exchanges.base import FUTURES, SPOT, Client, ExchangeAdapter
from backfuture_core.exchanges.key_info import KeyInfo, split_list
from backfuture_core.exchanges.paging import Paging
from backfuture_core.values import DAY_MS, to_float

# reference/exchanges.md 1.3 and section 4 (M9-M13): spot v3 codes, then contract v1 codes.
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
    "30018": "account_restricted",  # M10: "market order is disabled", not a frozen account
    "403": "exchange_unavailable",  # M9: "Access Denied" (frequency or access rules), ccxt: 403
    "404": "wrong_address",  # the path does not exist at this address
    "60005": "account_restricted",  # M13: "your account is abnormal"
    "6001": "account_restricted",  # M13 (contract): "trading forbidden"
    "730100": "account_restricted",  # M13: "Unusual user status"
    "429": "rate_limited",
    "401": "invalid_key",  # M12: "No authority" (wrong or inactive key; the detail says which)
    "402": "invalid_key",
    "602": "invalid_key",
    "1000": "futures_not_enabled",  # M11 (contract): "Account does not exist"
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
# M3: the documented permission tokens (spot v3 "Create an APIKey for a sub-account", wallet
# endpoints). A token containing WITHDRAW that is not a _READ token enables withdrawal; any
# other token BackFuture does not know leaves withdrawal unconfirmed.
KNOWN_PERMISSIONS = frozenset(
    {
        "SPOT_ACCOUNT_READ", "SPOT_ACCOUNT_WRITE", "SPOT_DEAL_READ", "SPOT_DEAL_WRITE",
        "CONTRACT_ACCOUNT_READ", "CONTRACT_ACCOUNT_WRITE", "CONTRACT_DEAL_READ",
        "CONTRACT_DEAL_WRITE", "SPOT_TRANSFER_READ", "SPOT_TRANSFER_WRITE",
        "SPOT_WITHDRAW_READ", "SPOT_WITHDRAW_WRITE",
    }
)  # fmt: skip


def withdrawal_allowed(permissions: set[str]) -> bool | None:
    """True when a token allows withdrawing, None when a token is unknown, else False."""
    if any("WITHDRAW" in p and not p.endswith("_READ") for p in permissions):
        return True
    return None if permissions - KNOWN_PERMISSIONS else False


def created_ms(value: Any) -> int | None:
    """MEXC's createTime ("2026-09-14T18:53:36.000+00:00" or epoch ms) in epoch ms."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def swap_balance(balance: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """MEXC contract assets as a ccxt-shaped balance that counts what ccxt leaves out: ccxt
    reads only availableBalance and frozenBalance, so margin held by open positions and their
    unrealised PnL vanish. Here used = frozen + position margin and total = equity."""
    info = balance.get("info")
    rows = info.get("data") if isinstance(info, dict) else None
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
        answer = await self.call(SPOT, "spot_private_get_apikeyinfo", {"accessKey": client.apiKey})
        body = self.expect(answer, "API key info", permissions=str)
        permissions = set(split_list(body["permissions"]) or ())
        validity = body.get("remainingValidity")
        return KeyInfo(
            read=any(p.endswith("_READ") for p in permissions),
            spot_trade="SPOT_DEAL_WRITE" in permissions,
            futures_trade="CONTRACT_DEAL_WRITE" in permissions,
            withdraw=withdrawal_allowed(permissions),
            ip_whitelist=split_list(body.get("ipWhiteList")),
            permissions=tuple(sorted(permissions)),
            expires_in_days=validity if type(validity) is int else None,
            created_at_ms=created_ms(body.get("createTime")),
        )

    async def account_id(self) -> str | None:
        """M14: GET /api/v3/uid, shared by every key of the account."""
        body = self.expect(await self.call(SPOT, "spot_private_get_uid"), "uid", uid=(str, int))
        return str(body["uid"])

    async def spot_balance(self) -> Any:
        answer = await self.call(SPOT, "spot_private_get_account")
        return self.expect(answer, "spot account", balances=list)

    async def futures_balance(self) -> Any:
        answer = await self.call(FUTURES, "contract_private_get_account_assets")
        body = self.expect(answer, "futures account", success=bool, data=list)
        if body["success"] is not True:
            raise self.classify(ValueError("contract assets without success"))
        return body

    async def fetch_futures_balance(self) -> dict:
        await self.load_markets(FUTURES)
        return swap_balance(await self.call(FUTURES, "fetch_balance", {"type": "swap"}))
