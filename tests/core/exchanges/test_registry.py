"""The one registry of exchanges: plain data, import-light, and every entry complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backfuture_core.errors import ValidationError
from backfuture_core.exchanges.base import ExchangeAdapter
from backfuture_core.exchanges.registry import (
    SUPPORTED,
    adapter_class,
    get_exchange,
    required_credentials,
)
from backfuture_core.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[3]


def test_credentials_are_data_read_without_importing_ccxt():
    """KuCoin needs a passphrase and MEXC does not, known without loading ccxt or an adapter."""
    code = (
        "import sys\n"
        "from backfuture_core.exchanges.registry import get_exchange, required_credentials\n"
        "assert get_exchange('kucoin').requires_passphrase\n"
        "assert not get_exchange('mexc').requires_passphrase\n"
        "assert required_credentials('kucoin')['password'] is True\n"
        "assert required_credentials('mexc')['password'] is False\n"
        "heavy = ('ccxt', 'backfuture_core.exchanges.base', 'backfuture_core.exchanges.kucoin',\n"
        "         'backfuture_core.exchanges.mexc')\n"
        "loaded = [m for m in sys.modules if m.startswith(heavy)]\n"
        "assert loaded == [], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.parametrize("exchange_id", sorted(SUPPORTED))
def test_credentials_agree_with_ccxt(exchange_id):
    import ccxt

    info = get_exchange(exchange_id)
    for ccxt_id in {info.spot_ccxt_id, info.futures_ccxt_id}:
        needed = getattr(ccxt, ccxt_id)().requiredCredentials
        assert bool(needed.get("password")) == info.requires_passphrase, ccxt_id
        assert required_credentials(exchange_id) == {
            "apiKey": True,
            "secret": True,
            "password": info.requires_passphrase,
        }


@pytest.mark.parametrize("exchange_id", sorted(SUPPORTED))
def test_every_entry_names_its_adapter_and_sandbox_dialect(exchange_id):
    info = get_exchange(exchange_id)
    cls = adapter_class(exchange_id)
    assert issubclass(cls, ExchangeAdapter)
    assert cls.exchange_id == exchange_id
    assert info.api_page.startswith("https://")
    with Sandbox() as sb:
        assert sb.base_url(info.sandbox_dialect).startswith("http://127.0.0.1:")


def test_an_unsupported_exchange_is_a_clear_validation_error():
    with pytest.raises(ValidationError, match="MEXC, KuCoin, Binance, Bybit"):
        get_exchange("gate")
    with pytest.raises(ValidationError):
        adapter_class("gate")
