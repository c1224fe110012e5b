"""Figures 7 and 8: the connection test of each exchange over the latency L, the requests one
test sends, and "test all" of 100 connections spread over the six exchanges over one test.

Every exchange's test is one round trip (all probes leave together, no market download):
target at most 1.2 x L each. A hundred connections run concurrently: target at most 2 x one.
The request counts come from an in-process sandbox (no latency); the times from the sandbox in a
child process, so its CPU time is not counted as BackFuture's.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from itertools import cycle, islice

from backfuture_core.diagnostics.run import run as run_connection_test
from backfuture_core.diagnostics.run import run_many
from backfuture_core.sandbox import Sandbox
from bench.common import Ratio, SandboxProcess, demo_pairs, median, ms, parse_args, report
from bench.one_connection import judged, time_test

DEFAULT_REPEAT = 7
ONE_TARGET = 1.2
MANY_TARGET = 2.0
MANY = 100
HEALTHY = {
    "mexc": "MEXC Spot Main (demo)",
    "kucoin": "KuCoin Futures Conservative (demo)",
    "binance": "Binance Spot Main (demo)",
    "bybit": "Bybit Unified Futures (demo)",
    "okx": "OKX Spot Main (demo)",
    "bitget": "Bitget Spot Main (demo)",
}


def requests_per_test() -> dict[str, int]:
    """How many requests one connection test of each exchange sends (in-process sandbox)."""
    counts = {}
    with Sandbox() as sandbox:
        pairs = demo_pairs(sandbox.base_url)
        for exchange, label in HEALTHY.items():
            run_connection_test(*pairs[label])  # warm-up: clients, the sandbox's world
            sandbox.clear_requests()
            run_connection_test(*pairs[label])
            counts[exchange] = len(sandbox.requests)
    return counts


def run(latency_ms: float, repeat: int, sandbox: SandboxProcess | None = None) -> list[Ratio]:
    counts = requests_per_test()
    ratios = []
    with contextlib.ExitStack() as stack:
        if sandbox is None:
            sandbox = stack.enter_context(SandboxProcess(latency_ms))
        pairs = demo_pairs(sandbox.base_url)
        for exchange, label in HEALTHY.items():
            time_test(*pairs[label])  # warm-up
            one = median([time_test(*pairs[label]) for _ in range(repeat)])
            detail = f"median {ms(one)}, {counts[exchange]} requests, L = {latency_ms:g} ms"
            ratios.append(
                judged(f"{exchange} test / L", one / (latency_ms / 1000), detail, ONE_TARGET)
            )
        every = list(islice(cycle([pairs[label] for label in HEALTHY.values()]), MANY))

        def test_all() -> float:
            started = time.perf_counter()
            reports = run_many(every)
            elapsed = time.perf_counter() - started
            assert len(reports) == MANY
            return elapsed

        test_all()  # warm-up
        mains = [pairs[HEALTHY["mexc"]]]
        ones, alls = [], []
        for _ in range(max(repeat // 2, 1)):
            ones.append(time_test(*mains[0]))
            alls.append(test_all())
    o, a = median(ones), median(alls)
    detail = f"medians {ms(a)} / {ms(o)}, six exchanges, L = {latency_ms:g} ms"
    ratios.append(judged(f"test all ({MANY}) / test one", a / o, detail, MANY_TARGET))
    return ratios


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], DEFAULT_REPEAT, argv)
    report(f"requests per test: {requests_per_test()}")
    run(args.latency, args.repeat)


if __name__ == "__main__":
    main()
