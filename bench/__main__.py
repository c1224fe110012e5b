"""Run every benchmark, or the ones named.

Figures: one_connection (1), plain_ccxt (2), many_connections (3), pages (4), startup (5),
dead_connection (6), exchanges (7: each exchange; 8: test all of 100).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Sequence

from bench import (
    dead_connection,
    exchanges,
    many_connections,
    one_connection,
    pages,
    plain_ccxt,
    startup,
)
from bench.common import Ratio, SandboxProcess, add_options, report

FIGURES = {
    "one_connection": one_connection,
    "plain_ccxt": plain_ccxt,
    "many_connections": many_connections,
    "pages": pages,
    "startup": startup,
    "dead_connection": dead_connection,
    "exchanges": exchanges,
}
ON_SANDBOX = (
    "one_connection",
    "plain_ccxt",
    "many_connections",
    "exchanges",
)  # share one sandbox process


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "figures",
        nargs="*",
        choices=[*FIGURES, []],  # [] lets argparse accept no figure at all (run every one)
        metavar="FIGURE",
        help="one of: " + ", ".join(FIGURES) + " (default: all)",
    )
    add_options(parser, None)
    args = parser.parse_args(argv)
    chosen = args.figures or list(FIGURES)
    report(f"BackFuture benchmarks: ratios with their raw medians, L = {args.latency:g} ms")
    started = time.perf_counter()
    ratios: list[Ratio] = []
    with contextlib.ExitStack() as stack:
        sandbox = None
        if any(name in ON_SANDBOX for name in chosen):
            sandbox = stack.enter_context(SandboxProcess(args.latency))
        for name in chosen:
            module = FIGURES[name]
            repeat = args.repeat or module.DEFAULT_REPEAT
            measured = (
                module.run(args.latency, repeat, sandbox)
                if name in ON_SANDBOX
                else module.run(args.latency, repeat)
            )
            ratios += measured if isinstance(measured, list) else [measured]
    met = sum(r.ok for r in ratios)
    unmeasured = sum(bool(r.invalid) for r in ratios)
    report(
        f"{met} of {len(ratios)} figures met their targets, {len(ratios) - met - unmeasured} "
        f"missed, {unmeasured} not measured ({time.perf_counter() - started:.0f} s in all)"
    )


if __name__ == "__main__":
    main()
