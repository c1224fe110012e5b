"""Figure 2: a plain ccxt check of the same key, divided by BackFuture's connection test.

The plain way: a fresh `ccxt.async_support.mexc` client pointed at the sandbox, with every ccxt
default (rate limiting on) except the URLs, calling `fetch_balance()`, which downloads the
markets first. Target: at least 3.

ccxt's `load_markets` calls fetchCurrencies first, and MEXC's currency endpoint needs the
withdraw-read scope (SPOT_WITHDRAW_READ), which a safe key lacks. By default the plain client
checks the healthy key and sets `has['fetchCurrencies'] = False`; `--plain-key withdraw` checks
the demo key that has the scope, with fetchCurrencies left on (both sides then test that key).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from backfuture_core.sandbox import DemoKey, demo_keys
from bench.common import (
    MAIN_KEY,
    Ratio,
    SandboxProcess,
    add_options,
    demo_pairs,
    median,
    ms,
    report,
)
from bench.one_connection import time_test

DEFAULT_REPEAT = 5
TARGET = 3.0
PLAIN_KEYS = {"main": MAIN_KEY, "withdraw": "MEXC Withdrawal Enabled (demo)"}


def point_urls(exchange: Any, base: str) -> None:
    """Send every REST call of a ccxt mexc client to the sandbox (sandbox/__init__.py)."""
    exchange.urls["api"] = {
        "spot": {"public": base, "private": base},
        "spot2": {"public": base + "/open/api/v2", "private": base + "/open/api/v2"},
        "contract": {"public": base + "/api/v1/contract", "private": base + "/api/v1/private"},
        "broker": {"private": base + "/api/v3/broker"},
    }


async def plain_check(key: DemoKey, base: str, *, currencies: bool, rate_limit: bool) -> float:
    """Seconds from creating the client to the balance (closing it is not counted)."""
    import ccxt.async_support as ccxt_async

    started = time.perf_counter()
    config: dict[str, Any] = {"apiKey": key.api_key, "secret": key.secret}
    if not rate_limit:
        config["enableRateLimit"] = False
    exchange = ccxt_async.mexc(config)
    point_urls(exchange, base)
    if not currencies:
        exchange.has["fetchCurrencies"] = False
    try:
        await exchange.fetch_balance()
        return time.perf_counter() - started
    finally:
        await exchange.close()


def run(
    latency_ms: float,
    repeat: int,
    sandbox: SandboxProcess | None = None,
    plain_key: str = "main",
) -> Ratio:
    label = PLAIN_KEYS[plain_key]
    key = next(k for k in demo_keys() if k.label == label)
    currencies = plain_key == "withdraw"
    with contextlib.ExitStack() as stack:
        if sandbox is None:
            sandbox = stack.enter_context(SandboxProcess(latency_ms))
        base = sandbox.base_url("mexc")
        connection, credentials = demo_pairs(sandbox.base_url)[label]

        def plain(rate_limit: bool) -> float:
            check = plain_check(key, base, currencies=currencies, rate_limit=rate_limit)
            return asyncio.run(check)

        plain(False), time_test(connection, credentials)  # warm-up
        plains, unthrottled, ours = [], [], []
        for _ in range(repeat):  # interleaved, so that drift hits both sides alike
            plains.append(plain(True))
            unthrottled.append(plain(False))
            ours.append(time_test(connection, credentials))
    p, u, o = median(plains), median(unthrottled), median(ours)
    ratio = Ratio(
        "plain ccxt fetch_balance / connection test",
        p / o,
        f"medians {ms(p)} / {ms(o)}, L = {latency_ms:g} ms, n = {repeat}",
        ">=",
        TARGET,
    )
    report(ratio)
    scope = (
        f"key {label!r} has the withdraw-read scope ccxt's fetchCurrencies needs; left on"
        if currencies
        else f"key {label!r} lacks the withdraw-read scope ccxt's fetchCurrencies needs, "
        "so has['fetchCurrencies'] = False"
    )
    report(f"  note: {scope}; the same key on both sides")
    report(
        f"  note: without ccxt's rate limiter the plain check takes {ms(u)} "
        f"({u / o:.2f} x the connection test); the sandbox lists only a few markets "
        "(megabytes on the real MEXC)"
    )
    return ratio


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser, DEFAULT_REPEAT)
    parser.add_argument(
        "--plain-key",
        choices=sorted(PLAIN_KEYS),
        default="main",
        help="main: the healthy key, fetchCurrencies off; withdraw: the key with the scope",
    )
    args = parser.parse_args(argv)
    run(args.latency, args.repeat, plain_key=args.plain_key)


if __name__ == "__main__":
    main()
