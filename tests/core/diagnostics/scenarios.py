"""Helpers of the connection-test scenarios against the sandbox: fresh keys, connections,
credentials, running a test on an injected clock, and reading the sandbox's request log."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import Counter
from typing import Any

import pytest

from backfuture_core.diagnostics.run import run_async
from backfuture_core.models import (
    CheckState,
    Connection,
    ConnectionReport,
    Credentials,
    Market,
    Secret,
)
from backfuture_core.sandbox import DemoKey, Sandbox, demo_keys
from tests.core.fake_timing import FakeTiming

KEYS = {k.label.removesuffix(" (demo)"): k for k in demo_keys()}
MEXC_SPOT = KEYS["MEXC Spot Main"]
KUCOIN_FULL = KEYS["KuCoin Futures Conservative"]  # General, Spot, Futures; 127.0.0.1 only
PASS, WARN, FAIL, UNKNOWN, SKIPPED = (
    CheckState.PASS,
    CheckState.WARN,
    CheckState.FAIL,
    CheckState.UNKNOWN,
    CheckState.SKIPPED,
)
# Endpoints that download markets or currencies: a connection test never needs them.
MARKET_DOWNLOADS = {
    "/api/v3/exchangeInfo",
    "/api/v3/capital/config/getall",
    "/api/v1/contract/detail",
    "/api/v2/symbols",
    "/api/v3/currencies",
    "/api/v1/contracts/active",
    "/api/v1/market/allTickers",
    "/api/v3/margin/symbols",
    "/api/v1/isolated/symbols",
}
TIME_PATH = {"mexc": "/api/v3/time", "kucoin": "/api/v1/timestamp"}
KEY_PATH = {"mexc": "/api/v3/apiKeyInfo", "kucoin": "/api/v1/user/api-key"}
SPOT_PATH = {"mexc": "/api/v3/account", "kucoin": "/api/v1/accounts"}
FUTURES_PATH = {"mexc": "/api/v1/private/account/assets", "kucoin": "/api/v1/account-overview"}
# The account probe: MEXC's uid (M14), KuCoin's account mode (K7; the uid is in the key info).
ACCOUNT_PATH = {"mexc": "/api/v3/uid", "kucoin": "/api/ua/v1/account/mode"}
SPOT_PROBES = {
    x: {TIME_PATH[x], KEY_PATH[x], SPOT_PATH[x], ACCOUNT_PATH[x]} for x in ("mexc", "kucoin")
}
EXCHANGES = pytest.mark.parametrize("exchange", ["mexc", "kucoin"])
_serial = itertools.count(1)


def template(exchange: str) -> DemoKey:
    return MEXC_SPOT if exchange == "mexc" else KUCOIN_FULL


def futures_template(exchange: str) -> DemoKey:
    return KEYS["MEXC Futures"] if exchange == "mexc" else KUCOIN_FULL


def fresh_key(sb: Sandbox, template: DemoKey, **changes: Any) -> DemoKey:
    """A copy of `template` under a new API key, registered with the sandbox."""
    n = next(_serial)
    api_key = f"mx0vglTEST{n:015d}" if template.exchange == "mexc" else f"64d3e0{n:018x}"
    key = dataclasses.replace(template, api_key=api_key, label=f"{template.label} #{n}", **changes)
    sb.add_key(key)
    return key


def demo_key(sb: Sandbox, exchange: str, mexc_label: str, kucoin_label: str) -> DemoKey:
    """A fresh copy of the exchange's demo key of that label."""
    return fresh_key(sb, KEYS[mexc_label if exchange == "mexc" else kucoin_label])


def connection_for(sb: Sandbox, key: DemoKey, market: str | None = None) -> Connection:
    return Connection(
        id=1,
        name=key.label,
        exchange=key.exchange,
        market=Market(market or key.market),
        key_hint="…" + key.api_key[-4:],
        api_base_url=sb.base_url(key.exchange),
    )


def credentials_for(key: DemoKey, **wrong: str) -> Credentials:
    values = {"api_key": key.api_key, "secret": key.secret, "passphrase": key.passphrase}
    values.update(wrong)
    passphrase = values["passphrase"]
    return Credentials(
        Secret(values["api_key"]),
        Secret(values["secret"]),
        Secret(passphrase) if passphrase else None,
    )


def world_clock(sb: Sandbox) -> FakeTiming:
    """An injected clock that moves the sandbox's clock along with ours: time passes for both
    sides, so waiting never looks like a difference between the clocks."""
    return FakeTiming(on_advance=lambda offset: sb.set_fault("clock_skew", ms=round(offset * 1000)))


def run_test(
    sb: Sandbox,
    key: DemoKey,
    market: str | None = None,
    creds: Credentials | None = None,
    **opts: Any,
) -> ConnectionReport:
    """diagnostics' run_async with adapter options (timeouts, deadline, timing); the adapter
    sleeps on an injected clock unless the test passes its own."""
    conn = connection_for(sb, key, market)
    opts.setdefault("timing", FakeTiming())
    return asyncio.run(run_async(conn, creds or credentials_for(key), **opts))


def states(report: ConnectionReport) -> dict[str, CheckState]:
    return {c.id: c.state for c in report.checks}


def paths(sb: Sandbox, exchange: str, api_key: str | None = None) -> Counter[str]:
    return Counter(
        r.path
        for r in sb.requests
        if r.exchange == exchange and (api_key is None or r.api_key == api_key)
    )
