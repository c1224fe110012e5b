"""`Problem`: one thing wrong with a strategy's settings, an error or only a warning.

`checks.validate` lists them for a whole set of settings; `ladder.build_ladder` adds the ones only
the ladder can see (Recovery Mode orders that do not fit the margin limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings; `field` names the StrategyParams field to highlight."""

    field: str
    message: str
    severity: str = "error"  # "error" blocks the strategy, "warning" only informs

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.is_error for p in problems)
