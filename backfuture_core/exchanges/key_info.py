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


def split_list(value: Any) -> tuple[str, ...] | None:
    """A comma-separated field ("SPOT_DEAL_WRITE,SPOT_ACCOUNT_READ") as its items; None when the
    field is not text (the exchange did not say)."""
    if not isinstance(value, str):
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())
