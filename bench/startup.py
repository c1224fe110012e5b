"""Figure 5: start-up of `streamlit run app.py`, divided by that of a one-line Streamlit app.

Both are started the same way in the same run (free loopback port, headless, the repository's
.streamlit/config.toml, a temporary data folder), alternately. Two moments are timed from the
launch: the server is ready (`/_stcore/health` answers 200, then `/` is fetched), and the first
page is served: a session opened over the app's WebSocket, as a browser does, has run the
script to the end without an exception. Target: at most 1.5 for each.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bench.common import REPO, Ratio, figure_main, median, ms, reported
from bench.streamlit_server import data_env, free_port, stop, streamlit_command

if TYPE_CHECKING:
    from aiohttp import ClientSession

DEFAULT_REPEAT = 7
TARGET = 1.5
ONE_LINE_APP = 'import streamlit as st\n\nst.write("Hello")\n'
START_TIMEOUT_S = 60.0


async def _until_ready(
    session: ClientSession, base: str, proc: subprocess.Popen, started: float
) -> float:
    import aiohttp

    while time.perf_counter() - started < START_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            async with session.get(base + "/_stcore/health") as answer:
                if answer.status == 200:
                    return time.perf_counter() - started
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.01)
    raise TimeoutError("streamlit did not become ready")


async def _first_page(session: ClientSession, base: str, started: float) -> float:
    """Open a session as the browser does and wait until the script's first run has ended."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with session.get(base + "/") as answer:
        if answer.status != 200:
            raise RuntimeError(f"GET / answered {answer.status}")
        await answer.read()
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    async with session.ws_connect(url, protocols=("streamlit",)) as ws:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        await ws.send_bytes(rerun.SerializeToString())
        async for frame in ws:
            msg = ForwardMsg()
            msg.ParseFromString(frame.data)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
                raise RuntimeError("the app raised: " + msg.delta.new_element.exception.message)
            if kind == "script_finished":
                if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"the script ended with status {msg.script_finished}")
                return time.perf_counter() - started
    raise RuntimeError("the WebSocket closed before the script finished")


async def _measure(script: Path, env: dict[str, str], log: IO[str]) -> tuple[float, float]:
    import aiohttp

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    command = streamlit_command(script, port)
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    try:
        async with aiohttp.ClientSession() as session:
            ready = await _until_ready(session, base, proc, started)
            first = await _first_page(session, base, started)
    finally:
        stop(proc)
    return ready, first


def start_once(script: Path, env: dict[str, str], log: IO[str]) -> tuple[float, float]:
    """Seconds from launch to (server ready, first page served) for one start."""
    return asyncio.run(_measure(script, env, log))


def run(latency_ms: float, repeat: int) -> list[Ratio]:
    del latency_ms  # no exchange is involved
    with tempfile.TemporaryDirectory(prefix="backfuture-bench-") as tmp:
        one_line = Path(tmp, "one_line_app.py")
        one_line.write_text(ONE_LINE_APP)
        env = {**os.environ, **data_env(Path(tmp))}
        # As on a normal install, imports use cached bytecode (written by the warm-up start).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        apps = {"app": REPO / "app.py", "one": one_line}
        times: dict[str, list[tuple[float, float]]] = {"app": [], "one": []}
        log_path = Path(tmp, "streamlit.log")
        with log_path.open("w") as log:
            try:
                for script in apps.values():  # warm-up: the file cache, the vault's creation
                    start_once(script, env, log)
                for i in range(repeat):  # alternate which starts first
                    for name in ("app", "one") if i % 2 == 0 else ("one", "app"):
                        times[name].append(start_once(apps[name], env, log))
            except (RuntimeError, TimeoutError) as exc:
                log.flush()
                said = log_path.read_text()[-3000:]
                raise RuntimeError(f"{exc}; streamlit said:\n{said}") from exc
    ratios = []
    for index, moment in ((1, "first page"), (0, "server ready")):
        a = median([t[index] for t in times["app"]])
        o = median([t[index] for t in times["one"]])
        detail = f"medians {ms(a)} / {ms(o)}, n = {repeat}"
        ratios.append(
            reported(Ratio(f"start-up to {moment} / one-line app", a / o, detail, "<=", TARGET))
        )
    return ratios


def main(argv: Sequence[str] | None = None) -> None:
    figure_main(__doc__, DEFAULT_REPEAT, run, argv)


if __name__ == "__main__":
    main()
