"""House rules that keep the design honest."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_streamlit():
    offenders = []
    for path in (ROOT / "backfuture_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert offenders == []


def test_streamlit_config_is_locked_down():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["allowedHosts"] == ["localhost", "127.0.0.1"]
    assert config["server"]["enableCORS"] is True
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == 1
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["runner"]["magicEnabled"] is False
    assert config["browser"]["gatherUsageStats"] is False


def test_no_html_rendering_and_no_recreate():
    for path in [
        *ROOT.glob("pages/*.py"),
        ROOT / "app.py",
        *(ROOT / "backfuture_core").rglob("*.py"),
    ]:
        text = path.read_text()
        assert "unsafe_allow_html=True" not in text, path
        assert "recreate=True" not in text, path


def test_test_network_guard_blocks_outside_addresses():
    import socket

    import pytest

    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
