"""Getting started: the seed guide's advice and the demo's start button and message."""

from __future__ import annotations

import streamlit as st

from backfuture_core import demo, guide
from pages._ui.run_context import ctx, require_vault


def guidance(*, steps: bool = True) -> None:
    """The seed's advice: connection steps, the permission table and naming advice."""
    if steps:
        st.subheader("How to connect an exchange")
        st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(guide.CONNECTION_STEPS, 1)))
    st.subheader("Required API permissions")
    rows = [f"| **{p}** | {needed} | {why} |" for p, needed, why in guide.PERMISSIONS]
    st.markdown("\n".join(["| Permission | Needed? | Why |", "|---|---|---|", *rows]))
    st.subheader("Naming a connection")
    st.caption(guide.NAMING_ADVICE)
    st.markdown("\n".join(f"- **{name}** — {why}" for name, why in guide.NAMING_EXAMPLES))


def start_demo_button(key: str) -> None:
    """'Start demo': sandbox exchange in this process plus demo connections."""
    if st.button("Start demo", icon=":material/play_circle:", key=key, type="primary"):
        with st.spinner("Starting the sandbox exchange…"):
            added = demo.start_demo(ctx().db, require_vault())
        st.session_state["demo.flash"] = f"Demo started: {len(added)} demo connections added."
        st.rerun()


def demo_flash() -> None:
    if message := st.session_state.pop("demo.flash", None):
        st.success(message, icon=":material/check_circle:")
