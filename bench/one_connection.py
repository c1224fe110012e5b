"""Figure 1: BackFuture's connection test of one connection, divided by the latency L.

The floor is one round trip (DESIGN.md section 7): every probe leaves at once. Target: at most 2.
Measured as the caller sees it: `run()` of diagnostics/run.py from synchronous code, including its
event loop, the ccxt client and closing it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from backfuture_core.diagnostics.run import run as run_connection_test
from backfuture_core.models import Connection, Credentials, Status
from bench.common import MAIN_KEY, Ratio, SandboxProcess, demo_pairs, median, ms, parse_args, report

DEFAULT_REPEAT = 9
TARGET = 2.0
USABLE = (Status.ONLINE, Status.WARNING, Status.UNSAFE)


def time_test(connection: Connection, credentials: Credentials) -> float:
    """Seconds for one connection test; the test must have reached the exchange."""
    started = time.perf_counter()
    result = run_connection_test(connection, credentials)
    elapsed = time.perf_counter() - started
    if result.status not in USABLE:
        raise RuntimeError(f"the connection test failed: {result.error_category}")
    return elapsed


def run(latency_ms: float, repeat: int, sandbox: SandboxProcess | None = None) -> Ratio:
    with contextlib.ExitStack() as stack:
        if sandbox is None:
            sandbox = stack.enter_context(SandboxProcess(latency_ms))
        connection, credentials = demo_pairs(sandbox.base_url)[MAIN_KEY]
        time_test(connection, credentials)  # warm-up: imports, the sandbox's world
        samples = [time_test(connection, credentials) for _ in range(repeat)]
    one = median(samples)
    detail = f"median {ms(one)}, L = {latency_ms:g} ms, n = {repeat}"
    return judged("connection test / L", one / (latency_ms / 1000), detail, TARGET)


def judged(label: str, value: float, detail: str, target: float) -> Ratio:
    """The figure against its target (at most), printed as it is measured."""
    ratio = Ratio(label, value, detail, "<=", target)
    report(ratio)
    return ratio


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], DEFAULT_REPEAT, argv)
    run(args.latency, args.repeat)


if __name__ == "__main__":
    main()
