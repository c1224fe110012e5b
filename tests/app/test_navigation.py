"""Every registered page runs from app.py without an exception (the meta-test)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.app.conftest import APP, open_page


def registered_pages() -> list[str]:
    tree = ast.parse(Path(APP).read_text())
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "Page"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_only_existing_pages_registered():
    root = Path(APP).parent
    pages = registered_pages()
    assert "pages/overview.py" in pages
    assert all((root / page).is_file() for page in pages)


@pytest.mark.parametrize("page", [p for p in registered_pages() if "unlock" not in p])
def test_page_runs(app, page):
    at = open_page(app, Path(page).stem)
    assert not at.exception
    assert at.title


def test_overview_empty_state_explains_connecting(app):
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "Create a new API key" in text
    assert "Disable withdrawal permission" in text


def test_start_demo_from_overview(app):
    at = app.button(key="overview.start_demo").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Demo started: 5 demo connections")
    names = at.dataframe[0].value["Connection"].tolist()
    assert "MEXC Spot Main (demo)" in names
    at = open_page(at, "settings")
    at.button(key="settings.remove_demo").click().run()
    assert not at.exception
    assert "5 demo connections removed" in at.success[0].value
