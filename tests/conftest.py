"""Shared fixtures: temporary settings, database and vault; a loopback-only network guard."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import settings as hypothesis_settings

from backfuture_core.config import KdfParams, Settings
from backfuture_core.security.vault import open_vault
from backfuture_core.storage.database import open_db

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
hypothesis_settings.load_profile("ci")

# Small Argon2id cost for tests; the production default is asserted in test_vault.py.
FAST_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No test may reach beyond 127.0.0.1: non-loopback connects and lookups fail."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address):
        if isinstance(address, tuple) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {address[0]}")

    def connect(self, address):
        guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_loopback((host,)):
            raise socket.gaierror(f"tests may not resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", key_dir=tmp_path / "keys", kdf=FAST_KDF)


@pytest.fixture
def db(settings):
    handle = open_db(settings.db_path)
    yield handle
    handle.close()


@pytest.fixture
def vault(db, settings):
    return open_vault(db, settings)


@pytest.fixture
def app_env(settings, monkeypatch):
    """Environment for a Streamlit run against the temporary data folder."""
    monkeypatch.setenv("BACKFUTURE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BACKFUTURE_KEY_DIR", str(settings.key_dir))
    monkeypatch.setenv("BACKFUTURE_KDF_MEMORY_KIB", str(FAST_KDF.memory_kib))
    monkeypatch.setenv("BACKFUTURE_KDF_ITERATIONS", str(FAST_KDF.iterations))
    return settings
