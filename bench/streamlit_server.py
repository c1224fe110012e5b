"""`streamlit run` as a child process on a free loopback port, and its clean stop.

Shared by the start-up benchmark (bench/startup.py) and the browser test (tests/e2e), so both
start the app the same way: headless, on 127.0.0.1, with the repository's .streamlit/config.toml
(the child runs in the repository), on a data folder of the caller's choosing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

# Argon2id at its smallest cost: a passphrase set in a test or benchmark takes no time.
FAST_KDF_ENV = {"BACKFUTURE_KDF_MEMORY_KIB": "1024", "BACKFUTURE_KDF_ITERATIONS": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def data_env(folder: Path) -> dict[str, str]:
    """The variables that put BackFuture's database and keyfile under `folder`."""
    return {
        "BACKFUTURE_DATA_DIR": str(folder / "data"),
        "BACKFUTURE_KEY_DIR": str(folder / "keys"),
    }


def streamlit_command(script: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.headless=true",
    ]


def stop(proc: subprocess.Popen) -> None:
    """Ask the server to stop; kill it if it has not within 10 seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
