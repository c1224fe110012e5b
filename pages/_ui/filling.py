"""A page part that fills in as answers arrive: drawn at once with what has come, then looked
at again every POLL_S seconds while an exchange's answer is still out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import streamlit as st

from backfuture_core.portfolio.background import POLL_S


class Polled(Protocol):
    @property
    def polling(self) -> bool: ...


V = TypeVar("V", bound=Polled)


def filling_in(first: V, again: Callable[[], V], render: Callable[[V, bool], None]) -> None:
    """Render `first` now; while answers are out, a fragment calls `again()` every POLL_S and
    renders that (`render(view, polled)`), and one full run follows the last answer."""
    pending = [first]

    @st.fragment(run_every=POLL_S if first.polling else None)
    def shown() -> None:
        polled = not pending  # a fragment's own run (the full run draws what it fetched)
        view = pending.pop() if pending else again()
        if polled and not view.polling:
            st.rerun()  # every answer is in: one full run, which stops the polling
        render(view, polled)

    shown()
