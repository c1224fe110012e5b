"""AppTest fixtures and helpers: a session started from app.py, as the real server starts it.

AppTest runs app.py first; after `switch_page`, it runs the switched-to page on its own (the
`pages/` folder puts it in Streamlit's legacy multipage mode). Pages open their run context
lazily (pages/_ui/run_context.py), so both work without reaching into Streamlit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def page_path(page: str) -> str:
    return str(ROOT / "pages" / f"{page}.py")


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app(app_env):
    """A fresh app session on an empty data folder, after its first run."""
    return AppTest.from_file(APP, default_timeout=60).run()


def open_page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"pages/{page}.py").run()


def rendered_text(at: AppTest) -> str:
    """Everything the last run sent to the browser.

    Iterating an AppTest walks its whole element tree (main area, sidebar and the event area
    of toasts and dialogs, every nested block); each node's proto is the message the browser
    gets: labels, values, options, help texts, dataframes' data.
    """
    return "\n".join(str(getattr(node, "proto", "")) for node in at)


def session_state_text(at: AppTest) -> str:
    """Everything the session holds server-side that could hold user input, through public APIs.

    - `at.session_state.items()`: every key the app set and every keyed widget's value;
    - each rendered widget's `.value`, keyed or not: it reads the session's value for that
      widget. A widget not rendered in a run is dropped from the session at the run's end, so
      together these cover all widget state. Streamlit's own `$$`-prefixed flags are left out:
      they are set by Streamlit, never from user input.
    """
    parts = [f"{key!r}: {value!r}" for key, value in at.session_state.items()]
    parts += [f"{node.id}: {node.value!r}" for node in at if isinstance(node, Widget)]
    return "\n".join(parts)


def in_order(node):
    """The page's elements from top to bottom (`in_order(at.main)`)."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from in_order(child)
