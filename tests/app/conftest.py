"""AppTest fixtures: every run starts from app.py, as the real server does."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def entrypoint_always_runs(monkeypatch):
    """AppTest re-detects the `pages/` folder on every run and then executes a switched-to
    page on its own (Streamlit's legacy multipage mode). The real server runs app.py, whose
    st.navigation turns that mode off, so make AppTest run the entrypoint too."""
    monkeypatch.setattr(script_runner, "_mpa_v1", lambda main_script: runpy.run_path(APP))


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
