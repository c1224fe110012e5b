"""Figure 4: the balances and orders pages with 10,000 orders, divided by the same with 100.

Each page is opened with Streamlit's AppTest (started from app.py, then switched to the page,
which opens its own run context), in demo mode, in a fresh session (Streamlit's caches
cleared) on a temporary data folder, with the sandbox's order history of
the "main" account sized by BACKFUTURE_SANDBOX_ORDER_HISTORY. The page shows that account: the
main demo connection and the whole history (the longest period, 90 days; `--period` to change)
are chosen through the widgets' keys before the page's first run, so one run is timed. The
unmeasured warm-up visit fills the database's store of closed orders, as a person's first visit
does; the timed visits are the later ones, which ask the exchange only for what is new.
Target: at most 3.

Each size runs in its own process (`--worker N`): demo mode serves the sandbox from the app's
own process, so the sandbox's work for 10,000 orders is counted too (a real exchange's is not).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import MAIN_KEY, REPO, Ratio, add_options, median, ms, report, reported
from bench.streamlit_server import FAST_KDF_ENV, data_env

DEFAULT_REPEAT = 3
TARGET = 3.0
PAGES = ("balances", "orders")
SIZES = (100, 10_000)
APP = str(REPO / "app.py")


class Skipped(Exception):
    """The figure cannot be measured (yet); the message says why."""


def missing_pages() -> list[str]:
    return [f"pages/{p}.py" for p in PAGES if not (REPO / "pages" / f"{p}.py").exists()]


# --- the worker: one order-history size, in its own process ------------------------------------


def widget_values(main_id: int, period: int | None) -> dict[str, dict[str, Any]]:
    """Per page, the widget values (by key) that make it show the sized account."""
    from backfuture_core.portfolio.orders_view import PERIOD_DAYS

    return {
        "balances": {"balances.connection": main_id},
        "orders": {"orders.connection": main_id, "orders.period": period or max(PERIOD_DAYS)},
    }


def open_page(at: Any, page: str, values: dict[str, Any]) -> Any:
    """Set the page's widgets through session state, switch to the page and run it once."""
    for key, value in values.items():
        at.session_state[key] = value
    at = at.switch_page(f"pages/{page}.py").run()
    if at.exception:
        raise Skipped(f"pages/{page}.py raised: {at.exception[0].message}")
    return at


def worker(orders: int, latency_ms: float, repeat: int, period: int | None) -> dict[str, Any]:
    """Open each page `repeat` times after a warm-up: seconds, table sizes, errors shown."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from backfuture_core.config import Settings
    from backfuture_core.demo import start_demo
    from backfuture_core.sandbox import shared_sandbox
    from backfuture_core.security.vault import open_vault
    from backfuture_core.storage.connections import find_connection
    from backfuture_core.storage.database import open_db

    settings = Settings.from_env()
    db = open_db(settings.db_path)
    try:
        start_demo(db, open_vault(db, settings))
        main_id = find_connection(db, MAIN_KEY).id
    finally:
        db.close()
    values = widget_values(main_id, period)
    sandbox = shared_sandbox()
    if sandbox.world.history_size("main") != orders:
        raise RuntimeError("the sandbox's order history was not sized")
    if latency_ms > 0:
        sandbox.set_fault("latency", seconds=latency_ms / 1000)
    rows: dict[str, int] = {}
    shown: dict[str, list[str]] = {p: [] for p in PAGES}

    def visit(pages: Sequence[str]) -> dict[str, float]:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=300).run()
        seconds = {}
        for page in pages:
            started = time.perf_counter()
            at = open_page(at, page, values[page])
            seconds[page] = time.perf_counter() - started
            rows[page] = max((len(frame.value) for frame in at.dataframe), default=0)
            errors = [str(e.value) for e in at.error]
            shown[page] += [e for e in errors if e not in shown[page]]
        return seconds

    warm_up = visit(PAGES)  # imports, the sandbox's world, on-disk caches
    # A page that shows an error measures nothing: do not spend repetitions on it.
    healthy = [p for p in PAGES if not shown[p]]
    samples = [visit(healthy) for _ in range(repeat)] if healthy else []
    seconds = {p: [s[p] for s in samples] if p in healthy else [warm_up[p]] for p in PAGES}
    return {
        "seconds": seconds,
        "rows": rows,
        "errors": shown,
        "period": values["orders"]["orders.period"],
    }


def run_worker(orders: int, latency_ms: float, repeat: int, period: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="backfuture-bench-") as tmp:
        env = {
            **os.environ,
            **FAST_KDF_ENV,
            **data_env(Path(tmp)),
            "BACKFUTURE_SANDBOX_ORDER_HISTORY": json.dumps({"main": orders}),
            # This figure is how the pages grow with the history; the deadline has its own
            # figure (dead_connection), so a first load is not cut off here.
            "BACKFUTURE_EXCHANGE_DEADLINE_S": "60",
        }
        command = [sys.executable, "-m", "bench.pages", "--worker", str(orders)]
        command += ["--latency", f"{latency_ms}", "-n", str(repeat)]
        command += ["--period", str(period)] if period else []
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if done.returncode == 0 and lines else {}
    if "skipped" in answer:
        raise Skipped(answer["skipped"])
    if "seconds" not in answer:
        raise RuntimeError(f"the {orders}-order worker failed:\n{done.stderr[-3000:]}")
    return answer


def run(latency_ms: float, repeat: int, period: int | None = None) -> list[Ratio]:
    label = "balances and orders pages"
    missing = missing_pages()
    if missing:
        report(f"{label}: skipped: pages not present ({', '.join(missing)})")
        return []
    try:
        small, big = (run_worker(n, latency_ms, repeat, period) for n in SIZES)
    except Skipped as exc:
        report(f"{label}: skipped: {exc}")
        return []
    ratios = []
    for page in PAGES:
        s, b = median(small["seconds"][page]), median(big["seconds"][page])
        n = min(len(small["seconds"][page]), len(big["seconds"][page]))
        failed = small["errors"][page] or big["errors"][page]
        figure = f"{page} page {SIZES[1]} / {SIZES[0]} orders"
        detail = f"medians {ms(b)} / {ms(s)}, L = {latency_ms:g} ms, n = {n}"
        invalid = "the page showed an error" if failed else ""
        ratios.append(reported(Ratio(figure, b / s, detail, "<=", TARGET, invalid)))
    report(
        f"  note: main demo connection, orders over {big['period']} days; rows in the largest "
        "table ("
        + ", ".join(f"{p} {small['rows'][p]} / {big['rows'][p]}" for p in PAGES)
        + f"); with {SIZES[0]} orders the pages take "
        + ", ".join(f"{p} {median(small['seconds'][p]) / (latency_ms / 1000):.1f} L" for p in PAGES)
    )
    for orders, answer in zip(SIZES, (small, big), strict=True):
        for page, errors in answer["errors"].items():
            for error in errors:
                report(f"  note: with {orders} orders the {page} page showed: {error}")
    return ratios


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser, DEFAULT_REPEAT)
    parser.add_argument(
        "--period", type=int, metavar="DAYS", help="the orders page's period (default: longest)"
    )
    parser.add_argument("--worker", type=int, metavar="ORDERS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is None:
        run(args.latency, args.repeat, args.period)
        return
    try:
        answer = worker(args.worker, args.latency, args.repeat, args.period)
    except Skipped as exc:
        answer = {"skipped": str(exc)}
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
