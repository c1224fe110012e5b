"""Messages: our errors, form problems, error categories and per-connection notices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import streamlit as st

from backfuture_core.errors import CATEGORIES, BackfutureError


class Notice(Protocol):
    """A refresh's problem with one connection (portfolio's notices have this shape)."""

    @property
    def connection(self) -> str: ...
    @property
    def level(self) -> str: ...  # "warning" (stale data shown) or "error"
    @property
    def text(self) -> str: ...


def show_error(exc: BackfutureError) -> None:
    """Our messages hold no secret and no user text, so they can go through st.error."""
    st.error(str(exc), icon=":material/error:")


def show_problems(problems: dict[str, str]) -> None:
    for label, message in problems.items():
        st.error(f"**{label}**: {message}", icon=":material/error:")


def show_category(category_id: str, reported_ip: str | None = None) -> None:
    category = CATEGORIES.get(category_id, CATEGORIES["unknown"])
    text = f"**{category.title}.** {category.cause} {category.remedy}"
    (st.warning if category.transient else st.error)(text, icon=":material/error:")
    if reported_ip:
        st.text(f"The exchange saw the request coming from {reported_ip}.")


def show_notices(notices: Iterable[Notice]) -> None:
    """A refresh's per-connection problems; connection names are user text, so plain text."""
    for notice in notices:
        with st.container(border=True):
            st.text(notice.connection)
            show = st.warning if notice.level == "warning" else st.error
            show(notice.text, icon=":material/warning:")
