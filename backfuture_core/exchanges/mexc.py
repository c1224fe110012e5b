"""MEXC quirks: URL layout, error codes, the apiKeyInfo endpoint and the raw balance calls.

MEXC spot v3 and contract v1 share one host; ccxt's `fetchCurrencies` needs the withdraw-read
scope (a valid read+trade key would look invalid), so it is switched off.
"""

from __future__ import annotations

from typing import Any, ClassVar

from backfuture_core.exchanges.base import FUTURES, SPOT, ExchangeAdapter, KeyInfo

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


def _flag(permissions: set[str], name: str, known: bool) -> bool | None:
    return (name in permissions) if known else None


class MexcAdapter(ExchangeAdapter):
    exchange_id = "mexc"
    ERROR_CODES: ClassVar[dict[str, str]] = MEXC_ERROR_CODES

    def client_options(self, ccxt_id: str) -> dict[str, Any]:
        return {"fetchCurrencies": False}

    def _build_client(self, ccxt_id: str):
        client = super()._build_client(ccxt_id)
        client.has["fetchCurrencies"] = False  # needs SPOT_WITHDRAW_READ: never call it
        return client

    def point_urls(self, client, base: str) -> None:
        client.urls["api"] = {
            "spot": {"public": base, "private": base},
            "spot2": {"public": f"{base}/open/api/v2", "private": f"{base}/open/api/v2"},
            "contract": {"public": f"{base}/api/v1/contract", "private": f"{base}/api/v1/private"},
            "broker": {"private": f"{base}/api/v3/broker"},
        }

    async def key_info(self) -> KeyInfo:
        client = self.client(SPOT)
        body = await self.call(SPOT, "spot_private_get_apikeyinfo", {"accessKey": client.apiKey})
        raw = body.get("permissions")
        known = isinstance(raw, str)
        permissions = {p.strip() for p in raw.split(",") if p.strip()} if known else set()
        ips = body.get("ipWhiteList")
        validity = body.get("remainingValidity")
        return KeyInfo(
            read=(any(p.endswith("_READ") for p in permissions)) if known else None,
            spot_trade=_flag(permissions, "SPOT_DEAL_WRITE", known),
            futures_trade=_flag(permissions, "CONTRACT_DEAL_WRITE", known),
            withdraw=_flag(permissions, "SPOT_WITHDRAW_WRITE", known),
            ip_whitelist=(
                tuple(ip.strip() for ip in ips.split(",") if ip.strip())
                if isinstance(ips, str)
                else None
            ),
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
