"""The one list of exchanges BackFuture supports, as plain data.

Each entry says what the rest of the product needs to know about an exchange without importing
ccxt or the adapter: its names, its ccxt ids, the credentials a key needs, where the user manages
keys, the sandbox dialect that imitates it, and where its adapter lives ("module:Class",
imported only when an adapter is created). Adding an exchange is one entry here and one adapter
module holding its quirks.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backfuture_core.errors import ValidationError

if TYPE_CHECKING:  # the adapter imports stay lazy: they are only needed to talk to an exchange
    from backfuture_core.exchanges.base import ExchangeAdapter
    from backfuture_core.models import Connection, Credentials


@dataclass(frozen=True)
class ExchangeInfo:
    id: str  # the registry id used in the database, the CLI and the sandbox URL prefix
    name: str
    spot_ccxt_id: str
    futures_ccxt_id: str
    api_page: str  # where the user manages keys on the exchange
    adapter: str  # "module:Class" of the adapter, imported on first use
    sandbox_dialect: str  # the name of the sandbox dialect that speaks this exchange's API
    rest_url: str = ""  # the exchange's own REST address (an example for the API base URL)
    requires_passphrase: bool = False  # the key has a third credential (KuCoin, OKX, Bitget)


# One entry per exchange; keyword arguments keep the table readable as data.
# fmt: off
SUPPORTED: dict[str, ExchangeInfo] = {info.id: info for info in (
    ExchangeInfo(id="mexc", name="MEXC", spot_ccxt_id="mexc", futures_ccxt_id="mexc",
                 api_page="https://www.mexc.com/user/openapi", sandbox_dialect="mexc", rest_url="https://api.mexc.com",
                 adapter="backfuture_core.exchanges.mexc:MexcAdapter"),
    ExchangeInfo(id="kucoin", name="KuCoin", spot_ccxt_id="kucoin", futures_ccxt_id="kucoinfutures",
                 api_page="https://www.kucoin.com/account/api", sandbox_dialect="kucoin", rest_url="https://api.kucoin.com",
                 adapter="backfuture_core.exchanges.kucoin:KucoinAdapter", requires_passphrase=True),
    ExchangeInfo(id="binance", name="Binance", spot_ccxt_id="binance", futures_ccxt_id="binanceusdm",
                 api_page="https://www.binance.com/en/my/settings/api-management",
                 sandbox_dialect="binance", rest_url="https://api.binance.com", adapter="backfuture_core.exchanges.binance:BinanceAdapter"),
    ExchangeInfo(id="bybit", name="Bybit", spot_ccxt_id="bybit", futures_ccxt_id="bybit",
                 api_page="https://www.bybit.com/app/user/api-management", sandbox_dialect="bybit", rest_url="https://api.bybit.com",
                 adapter="backfuture_core.exchanges.bybit:BybitAdapter"),
    ExchangeInfo(id="okx", name="OKX", spot_ccxt_id="okx", futures_ccxt_id="okx",
                 api_page="https://www.okx.com/account/my-api", sandbox_dialect="okx", rest_url="https://www.okx.com",
                 adapter="backfuture_core.exchanges.okx:OkxAdapter", requires_passphrase=True),
    ExchangeInfo(id="bitget", name="Bitget", spot_ccxt_id="bitget", futures_ccxt_id="bitget",
                 api_page="https://www.bitget.com/account/newapi", sandbox_dialect="bitget", rest_url="https://api.bitget.com",
                 adapter="backfuture_core.exchanges.bitget:BitgetAdapter", requires_passphrase=True),
)}
# fmt: on

ROADMAP = ("Gate.io", "HTX", "BingX", "Coinbase")


def get_exchange(exchange_id: str) -> ExchangeInfo:
    """Raises ValidationError for an exchange BackFuture does not support (yet)."""
    try:
        return SUPPORTED[exchange_id]
    except KeyError:
        supported = ", ".join(info.name for info in SUPPORTED.values())
        raise ValidationError({"Exchange": f"Choose a supported exchange ({supported})."}) from None


def required_credentials(exchange_id: str) -> dict[str, bool]:
    """The credentials a key needs, under ccxt's `requiredCredentials` names (no ccxt import)."""
    info = get_exchange(exchange_id)
    return {"apiKey": True, "secret": True, "password": info.requires_passphrase}


def adapter_class(exchange_id: str) -> type[ExchangeAdapter]:
    """The exchange's adapter class, imported on first use (ValidationError if unsupported)."""
    module_name, _, class_name = get_exchange(exchange_id).adapter.partition(":")
    cls: type[ExchangeAdapter] = getattr(importlib.import_module(module_name), class_name)
    return cls


def create_adapter(
    connection: Connection, credentials: Credentials, **options: Any
) -> ExchangeAdapter:
    """The adapter for the connection's exchange (an async context manager).

    `options` are the adapter's keyword arguments: markets, timeout_ms, deadline_s, timing.
    """
    return adapter_class(connection.exchange)(connection, credentials, **options)
