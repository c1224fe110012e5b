"""The AppTest helpers' secret canaries see what they promise (a test of the tests)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import rendered_text, session_state_text


def canary_app() -> None:
    import streamlit as st

    st.session_state.setdefault("app.kept", {"nested": ["CANARY-user-key"]})
    st.text_input("Keyless")
    st.text_input("Keyed", key="keyed")
    with st.form("form"):
        st.text_input("In a form", type="password", key="form.secret")
        st.form_submit_button("Save")
    st.sidebar.caption("CANARY-sidebar")
    st.toast("CANARY-toast")
    with st.expander("Nested"), st.container():
        st.text("CANARY-nested")


def test_session_state_text_holds_user_keys_and_every_widget_value():
    at = AppTest.from_function(canary_app, default_timeout=30).run()
    at.text_input[0].input("CANARY-keyless")
    at.text_input(key="keyed").input("CANARY-keyed")
    at.text_input(key="form.secret").input("CANARY-form")
    at.button(key="FormSubmitter:form-Save").click().run()
    assert not at.exception
    state = session_state_text(at)
    for canary in ("CANARY-user-key", "CANARY-keyless", "CANARY-keyed", "CANARY-form"):
        assert canary in state


def test_rendered_text_reaches_sidebar_events_and_nested_blocks():
    at = AppTest.from_function(canary_app, default_timeout=30).run()
    assert not at.exception
    shown = rendered_text(at)
    for canary in ("CANARY-sidebar", "CANARY-toast", "CANARY-nested"):
        assert canary in shown
