"""House rules that keep the design honest."""

from __future__ import annotations

import ast
import re
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


# --- The shape of the house (DESIGN.md section 1) --------------------------------------------

CORE = ROOT / "backfuture_core"
MAX_MODULE_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every backfuture_core module `path` imports at run time, at any depth (lazy imports in
    functions count; imports only for the type checker do not)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return {name for name in found if name.split(".")[0] == "backfuture_core"}


def _core_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in CORE.rglob("*.py")}


def test_no_core_module_is_a_catch_all():
    too_long = {
        _module_name(path): n
        for path in CORE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def test_every_core_module_says_what_it_holds():
    missing = [
        name
        for name, path in _core_modules().items()
        if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []


def test_only_demo_and_cli_know_the_sandbox():
    allowed = {"backfuture_core.demo", "backfuture_core.cli"}
    offenders = [
        name
        for name, path in _core_modules().items()
        if not name.startswith("backfuture_core.sandbox")
        and name not in allowed
        and any(i.startswith("backfuture_core.sandbox") for i in _imports(path))
    ]
    assert offenders == []
    pages = [
        p.name for p in (ROOT / "pages").rglob("*.py") if "backfuture_core.sandbox" in p.read_text()
    ]
    assert pages == []


def test_the_sandbox_is_written_apart_from_the_adapters():
    sandbox = [p for n, p in _core_modules().items() if n.startswith("backfuture_core.sandbox")]
    offenders = [
        p.name
        for p in sandbox
        if any(i.startswith("backfuture_core.exchanges") for i in _imports(p))
    ]
    assert offenders == []


def test_portfolio_never_reaches_the_backtester():
    modules = _core_modules()
    graph = {name: {i for i in _imports(path) if i in modules} for name, path in modules.items()}
    start = [n for n in modules if n.startswith("backfuture_core.portfolio")]
    seen, todo = set(start), list(start)
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert not any("backtest" in name for name in seen), sorted(seen)


def test_no_import_cycle_between_core_modules():
    modules = _core_modules()
    graph = {
        name: {i for i in _imports(path) if i in modules and i != name}
        for name, path in modules.items()
    }
    # A package's __init__ is reached through its children's names; drop parent links.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


# Streamlit's private entry points that tests once patched or read (written as patterns, so
# that this file, which names them, does not itself look like a test that uses them).
PRIVATE_STREAMLIT = (
    re.compile(r"_mpa_v[0-9]"),
    re.compile(r"\._t[r]ee\b"),
    re.compile(r"\._s[t]ate\b"),
)


def test_tests_and_bench_use_only_public_streamlit_paths():
    offenders = []
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        text = path.read_text()
        offenders += [f"{path.name}: {p.pattern}" for p in PRIVATE_STREAMLIT if p.search(text)]
    assert offenders == []
