"""End-to-end fixtures: `streamlit run app.py` on a free loopback port, driven by the system
Chromium through Playwright. Skipped when Chromium is missing, unless BACKFUTURE_REQUIRE_E2E is
set (CI sets it, so the test cannot silently not run there)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bench.streamlit_server import FAST_KDF_ENV, data_env, free_port, stop, streamlit_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} not healthy after {timeout} s")


@pytest.fixture(scope="session")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        installed = False
    else:
        installed = True
    if not installed or not CHROMIUM.exists():
        message = "system Chromium (/usr/bin/chromium) or Playwright is not installed"
        if os.environ.get("BACKFUTURE_REQUIRE_E2E"):
            pytest.fail(message + " but BACKFUTURE_REQUIRE_E2E is set")
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, chromium):
    data = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {**os.environ, **data_env(data), **FAST_KDF_ENV}
    log = (data / "streamlit.log").open("wb")
    command = streamlit_command(ROOT / "app.py", port)
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()
        server_log = (data / "streamlit.log").read_text(errors="replace")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit.log").write_text(server_log)


@pytest.fixture
def page(chromium, app_url):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
