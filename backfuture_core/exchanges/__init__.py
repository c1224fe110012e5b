"""Registry of supported exchanges. A later exchange joins by adding one entry and one module.

ccxt is imported lazily (it takes most of a second), only when credentials or a client are
needed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from backfuture_core.errors import ValidationError


@dataclass(frozen=True)
class ExchangeInfo:
    id: str
    name: str
    spot_ccxt_id: str
    futures_ccxt_id: str
    api_page: str  # where the user manages keys on the exchange

    @property
    def requires_passphrase(self) -> bool:
        return required_credentials(self.id).get("password", False)


SUPPORTED: dict[str, ExchangeInfo] = {
    "mexc": ExchangeInfo("mexc", "MEXC", "mexc", "mexc", "https://www.mexc.com/user/openapi"),
    "kucoin": ExchangeInfo(
        "kucoin", "KuCoin", "kucoin", "kucoinfutures", "https://www.kucoin.com/account/api"
    ),
}

ROADMAP = ("Binance", "OKX", "Bitget", "Gate.io", "HTX", "BingX", "Coinbase", "Bybit")


def get_exchange(exchange_id: str) -> ExchangeInfo:
    """Raises ValidationError for an exchange BackFuture does not support (yet)."""
    try:
        return SUPPORTED[exchange_id]
    except KeyError:
        supported = ", ".join(info.name for info in SUPPORTED.values())
        raise ValidationError({"Exchange": f"Choose a supported exchange ({supported})."}) from None


@functools.cache
def required_credentials(exchange_id: str) -> dict[str, bool]:
    """ccxt's own `requiredCredentials` for the exchange (e.g. KuCoin needs `password`)."""
    import ccxt

    info = get_exchange(exchange_id)
    return dict(getattr(ccxt, info.spot_ccxt_id)().requiredCredentials)
