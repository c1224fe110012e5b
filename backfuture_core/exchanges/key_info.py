"""What an exchange's key-info endpoint says about an API key, in one shape for every exchange."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeyInfo:
    """What an exchange's key-info endpoint says about a key; None where it does not say."""

    read: bool | None
    spot_trade: bool | None
    futures_trade: bool | None
    withdraw: bool | None
    ip_whitelist: tuple[str, ...] | None
    permissions: tuple[str, ...] = ()
    expires_in_days: int | None = None
    # Whether the key is limited to some IPs when the exchange says so but not which (Binance),
    # or masks the list (KuCoin "203.**.154"): None where `ip_whitelist` says it all.
    ip_restricted: bool | None = None
    ip_list_masked: bool = False
    account_id: str | None = None  # the account the key belongs to (keys of one account share it)
    created_at_ms: int | None = None  # when the key was created, where the exchange says


def split_list(value: Any) -> tuple[str, ...] | None:
    """A comma-separated field ("SPOT_DEAL_WRITE,SPOT_ACCOUNT_READ") as its items; None when the
    field is not text (the exchange did not say)."""
    if not isinstance(value, str):
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())
