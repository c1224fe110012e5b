"""Whether a strategy may be enabled on a connection, with the reason for every yes or no.

`can_enable_strategy` is the rule on the connection (a recent safe test and its permissions);
`readiness_view` adds the strategy's own lines (margin limit, valid settings) for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from backfuture_core.diagnostics.reports import latest_report
from backfuture_core.formatting import format_money, format_time
from backfuture_core.models import CheckState, Connection, ConnectionReport, Status
from backfuture_core.strategy.params import StrategyParams, margin_cap
from backfuture_core.strategy.problems import Problem

MAX_TEST_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Reason:
    """One line of the readiness checklist: what is checked, whether it passes, and why."""

    label: str
    ok: bool
    detail: str = ""
    unknown: bool = False  # not passed because nobody can tell (the exchange does not say)

    @property
    def state(self) -> str:
        """ "pass", "unknown" or "fail": the page gives each its own coloured icon."""
        return "pass" if self.ok else "unknown" if self.unknown else "fail"


@dataclass(frozen=True)
class Readiness:
    ok: bool
    reasons: tuple[Reason, ...]


def _age(tested_at: str, now: datetime) -> timedelta | None:
    try:
        return now - datetime.fromisoformat(tested_at)
    except ValueError:
        return None


def _recent_test(report: ConnectionReport | None, now: datetime) -> Reason:
    label = "Recent successful connection test"
    if report is None:
        return Reason(label, False, "Run a connection test first.")
    if report.status not in (Status.ONLINE, Status.WARNING):
        return Reason(
            label, False, f"The last test ended {report.status.label}: fix it and test again."
        )
    age = _age(report.tested_at, now)
    if age is None or age > MAX_TEST_AGE:
        return Reason(label, False, "The last test is older than 7 days: test again.")
    return Reason(label, True, f"{report.status.label}, tested {format_time(report.tested_at)}.")


def _permission(report: ConnectionReport | None, check_id: str, label: str) -> Reason:
    check = report.check(check_id) if report is not None else None
    if check is None:
        return Reason(label, False, "Not tested yet.")
    if check.state == CheckState.PASS:
        return Reason(label, True, check.detail)
    if check.state == CheckState.UNKNOWN:
        return Reason(label, False, "The exchange did not confirm it. " + check.remedy, True)
    return Reason(label, False, f"{check.detail} {check.remedy}".strip())


def _withdrawal(report: ConnectionReport | None, confirmed: bool) -> Reason:
    label = "Withdrawal disabled"
    check = report.check("withdrawal_disabled") if report is not None else None
    if check is None:
        return Reason(label, False, "Not tested yet.")
    if check.state == CheckState.PASS:
        return Reason(label, True, check.detail)
    if check.state == CheckState.UNKNOWN and confirmed:
        return Reason(label, True, "Confirmed by you: the exchange does not say.")
    if check.state == CheckState.UNKNOWN:
        return Reason(
            label, False, "The exchange does not say: confirm that withdrawal is disabled.", True
        )
    return Reason(label, False, f"{check.detail} {check.remedy}")


def can_enable_strategy(
    db: Database,
    connection: Connection,
    *,
    market: str | None = None,
    withdrawal_confirmed: bool = False,
    now: datetime | None = None,
) -> Readiness:
    """Yes only with a recent online or warning test, trade permission, futures permission when
    the strategy trades futures, and withdrawal disabled (or confirmed when unknown)."""
    report = latest_report(db, connection.id)
    now = now or datetime.now(UTC)
    futures = (market or connection.market.value) == "futures"
    reasons = [
        _recent_test(report, now),
        _permission(report, "trade", "Trade permission"),
    ]
    if futures:
        reasons.append(_permission(report, "futures", "Futures permission"))
    reasons.append(_withdrawal(report, withdrawal_confirmed))
    return Readiness(all(r.ok for r in reasons), tuple(reasons))


# --- The page's readiness panel ------------------------------------------------------------------

MARGIN_FIELDS = ("margin_limit_pct", "margin_limit_amount")


@dataclass(frozen=True)
class ReadinessView:
    """The readiness panel: every line, whether all pass, and whether to ask the user to confirm
    that withdrawal is disabled (the exchange does not say)."""

    ok: bool
    lines: tuple[Reason, ...]
    ask_withdrawal: bool


def margin_line(
    params: StrategyParams, problems: list[Problem], quote_balance: float | None
) -> Reason:
    """Whether the margin limit fits the connection's balance (and the ladder fits the limit)."""
    label = "Margin limit fits the balance"
    errors = [p.message for p in problems if p.is_error and p.field in MARGIN_FIELDS]
    if errors:
        return Reason(label, False, " ".join(errors))
    if quote_balance is None:
        return Reason(label, False, "The balance could not be read.")
    cap = margin_cap(params, quote_balance)
    text = f"The margin limit allows {format_money(cap or 0, params.quote)} of a "
    return Reason(label, True, text + f"{format_money(quote_balance, params.quote)} balance.")


def withdrawal_unknown(db: Database, connection: Connection) -> bool:
    """The latest connection test could not tell whether withdrawal is disabled."""
    report = latest_report(db, connection.id)
    check = report.check("withdrawal_disabled") if report is not None else None
    return check is not None and check.state == CheckState.UNKNOWN


def readiness_view(
    db: Database,
    connection: Connection,
    params: StrategyParams,
    problems: list[Problem],
    quote_balance: float | None,
    *,
    withdrawal_confirmed: bool = False,
) -> ReadinessView:
    """`can_enable_strategy` lines plus the margin-limit line and the settings."""
    ready = can_enable_strategy(
        db, connection, market=params.market, withdrawal_confirmed=withdrawal_confirmed
    )
    lines = list(ready.reasons)
    lines.append(margin_line(params, problems, quote_balance))
    errors = [p.message for p in problems if p.is_error]
    lines.append(Reason("Settings valid", not errors, " ".join(errors[:3])))
    ask = withdrawal_unknown(db, connection)
    return ReadinessView(all(line.ok for line in lines), tuple(lines), ask)
