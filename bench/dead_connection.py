"""Figure 6: the Balances page with the demo plus one dead connection, over the same page
without it.

The dead connection points at a loopback listener that accepts connections (the kernel
completes the handshake) and never answers: an exchange that cannot be reached in time. The
page is opened with Streamlit's AppTest (from app.py, then switched to the page), in demo mode,
on all connections, in a fresh session each time (Streamlit's caches cleared), on a temporary
data folder, with the exchange deadline at its default. A page that waited for the dead
exchange would take the deadline longer; one that draws what has arrived and fills in the rest
stays close to the page without it. Target: at most 1.5.

Runs in its own process (`--worker`): demo mode serves the sandbox from the app's own process.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import MAIN_KEY, REPO, Ratio, add_options, median, ms, report, reported
from bench.pages import APP, Skipped, open_page
from bench.streamlit_server import FAST_KDF_ENV, data_env

DEFAULT_REPEAT = 5
TARGET = 1.5
DEAD = "Dead Exchange"


def worker(latency_ms: float, repeat: int) -> dict[str, Any]:
    """Seconds of each timed visit, without and with the dead connection (after a warm-up)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from backfuture_core.config import Settings
    from backfuture_core.demo import start_demo
    from backfuture_core.sandbox import demo_keys, shared_sandbox
    from backfuture_core.security.vault import open_vault
    from backfuture_core.storage.connections import ConnectionForm, add_connection
    from backfuture_core.storage.database import open_db

    settings = Settings.from_env()
    sandbox = shared_sandbox()
    if latency_ms > 0:
        sandbox.set_fault("latency", seconds=latency_ms / 1000)

    def visit() -> float:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=300).run()
        started = time.perf_counter()
        at = open_page(at, "balances", {})
        if at.exception:
            raise Skipped(f"pages/balances.py raised: {at.exception[0].message}")
        return time.perf_counter() - started

    def visits() -> list[float]:
        visit()  # warm-up: imports, the sandbox's world, market lists cached on disk
        return [visit() for _ in range(repeat)]

    db = open_db(settings.db_path)
    try:
        vault = open_vault(db, settings)
        start_demo(db, vault)
        without = visits()
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(256)
            key = next(k for k in demo_keys() if k.label == MAIN_KEY)
            url = f"http://127.0.0.1:{listener.getsockname()[1]}"
            form = ConnectionForm(
                exchange=key.exchange, name=DEAD, api_key=key.api_key, secret=key.secret,
                market=key.market, api_base_url=url,
            )  # fmt: skip
            add_connection(db, vault, form)
            with_dead = visits()
    finally:
        db.close()
    return {
        "without": without,
        "with": with_dead,
        "deadline": settings.exchange_deadline_s,
    }


def run_worker(latency_ms: float, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="backfuture-bench-") as tmp:
        env = {**os.environ, **FAST_KDF_ENV, **data_env(Path(tmp))}
        command = [sys.executable, "-m", "bench.dead_connection", "--worker"]
        command += ["--latency", f"{latency_ms}", "-n", str(repeat)]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if done.returncode == 0 and lines else {}
    if "skipped" in answer:
        raise Skipped(answer["skipped"])
    if "with" not in answer:
        raise RuntimeError(f"the dead-connection worker failed:\n{done.stderr[-3000:]}")
    return answer


def run(latency_ms: float, repeat: int) -> list[Ratio]:
    label = "balances page with a dead connection / without"
    try:
        answer = run_worker(latency_ms, repeat)
    except Skipped as exc:
        report(f"{label}: skipped: {exc}")
        return []
    slow, fast = median(answer["with"]), median(answer["without"])
    detail = (
        f"medians {ms(slow)} / {ms(fast)}, deadline {answer['deadline']:g} s, "
        f"L = {latency_ms:g} ms, n = {len(answer['with'])}"
    )
    return [reported(Ratio(label, slow / fast, detail, "<=", TARGET))]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser, DEFAULT_REPEAT)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.worker:
        run(args.latency, args.repeat)
        return
    try:
        answer = worker(args.latency, args.repeat)
    except Skipped as exc:
        answer = {"skipped": str(exc)}
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
