"""Figure 3: "test all" of the 10 sandbox demo connections, divided by the test of one.

Every connection of a "test all" runs concurrently (DESIGN.md section 7), so ten should cost
about one round trip too. Target: at most 1.5.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from backfuture_core.diagnostics.run import run_many
from bench.common import MAIN_KEY, Ratio, SandboxProcess, demo_pairs, median, ms, parse_args
from bench.one_connection import judged, time_test

DEFAULT_REPEAT = 9
TARGET = 1.5


def run(latency_ms: float, repeat: int, sandbox: SandboxProcess | None = None) -> Ratio:
    with contextlib.ExitStack() as stack:
        if sandbox is None:
            sandbox = stack.enter_context(SandboxProcess(latency_ms))
        pairs = demo_pairs(sandbox.base_url)
        every = list(pairs.values())
        one = pairs[MAIN_KEY]

        def test_all() -> float:
            started = time.perf_counter()
            reports = run_many(every)
            elapsed = time.perf_counter() - started
            assert len(reports) == len(every)
            return elapsed

        time_test(*one), test_all()  # warm-up
        ones, alls = [], []
        for _ in range(repeat):
            ones.append(time_test(*one))
            alls.append(test_all())
    o, a = median(ones), median(alls)
    detail = f"medians {ms(a)} / {ms(o)}, L = {latency_ms:g} ms, n = {repeat}"
    return judged(f"test all ({len(every)}) / test one", a / o, detail, TARGET)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], DEFAULT_REPEAT, argv)
    run(args.latency, args.repeat)


if __name__ == "__main__":
    main()
