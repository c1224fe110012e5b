"""Running connection tests: one (`run`, `run_async`) or several at once (`run_each`,
`run_many`), and the report each test ends in, including one for a test that could not start
(`failure_report`, whose reason `failure_message` returns).

Several tests share one event loop through `exchanges.runner`, so "test all" costs about one
round trip; `run_each` yields each report as it arrives so a page can show progress.
`adapter_options` reach the adapter unchanged (timeout_ms, deadline_s, timing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from backfuture_core.diagnostics.checks import (
    build_checks,
    error_category,
    key_facts,
    main_error,
    overall_status,
)
from backfuture_core.diagnostics.probes import Probes, probe
from backfuture_core.errors import CATEGORIES, BackfutureError, ExchangeError
from backfuture_core.exchanges import runner
from backfuture_core.exchanges.key_info import KeyInfo
from backfuture_core.exchanges.redact import Redactor, redact_report
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.models import (
    CHECK_IDS,
    Check,
    CheckState,
    Connection,
    ConnectionReport,
    Credentials,
    Status,
)
from backfuture_core.storage.database import now_iso

TEST_DEADLINE_S = 20.0
NOT_RUN = "could_not_run"  # marks a failure report in its `extra`

Pair = tuple[Connection, Credentials]


def make_report(probes: Probes, connection: Connection, duration_ms: int) -> ConnectionReport:
    checks = build_checks(probes, connection)
    main = main_error(probes)
    category = error_category(checks, main)
    key = probes.key
    extra: dict[str, Any] = {"clock_skew_ms": probes.skew_ms}
    if isinstance(key, KeyInfo):
        extra["permissions"] = list(key.permissions)
    extra.update(key_facts(probes))
    return ConnectionReport(
        status=overall_status(checks),
        checks=checks,
        error_category=category,
        error_message=(CATEGORIES[category].cause if category else ""),
        duration_ms=duration_ms,
        tested_at=now_iso(),
        exchange=connection.exchange,
        connection_name=connection.name,
        reported_ip=main.reported_ip if main is not None and category == "ip_not_allowed" else None,
        extra=extra,
        account_id=probes.account_id,
    )


def failure_report(connection: Connection, error: BackfutureError) -> ConnectionReport:
    """A report for a test that could not start (e.g. the keys cannot be decrypted)."""
    category = error.category.id if isinstance(error, ExchangeError) else "unknown"
    checks = tuple(
        Check(i, CheckState.UNKNOWN, "Not checked: the test could not run.") for i in CHECK_IDS
    )
    return ConnectionReport(
        status=Status.FAILED,
        checks=checks,
        error_category=category,
        error_message=str(error),
        tested_at=now_iso(),
        exchange=connection.exchange,
        connection_name=connection.name,
        extra={NOT_RUN: True},
    )


def failure_message(report: ConnectionReport) -> str:
    """Why the test could not run, for a report made by `failure_report` (else ""): shown
    instead of its category, which only says that the cause was not the exchange's answer."""
    return report.error_message if report.extra.get(NOT_RUN) else ""


async def run_async(
    connection: Connection, credentials: Credentials, **adapter_options: Any
) -> ConnectionReport:
    """Test one connection inside a running event loop."""
    started = time.perf_counter()
    try:
        options = {"deadline_s": TEST_DEADLINE_S, **adapter_options}
        async with create_adapter(connection, credentials, **options) as adapter:
            probes = await probe(adapter)
    except BackfutureError as exc:
        report = failure_report(connection, exc)
    else:
        report = make_report(probes, connection, int((time.perf_counter() - started) * 1000))
    return redact_report(report, Redactor.for_credentials(credentials))  # untrusted text


def run(
    connection: Connection, credentials: Credentials, **adapter_options: Any
) -> ConnectionReport:
    """Test one connection (from synchronous code)."""
    return runner.run_sync(lambda: run_async(connection, credentials, **adapter_options))


def run_each(
    pairs: Sequence[Pair], **adapter_options: Any
) -> Iterator[tuple[int, ConnectionReport]]:
    """Test several connections at once, yielding (index, report) as each one finishes, so a
    page can show progress while the slowest exchange is still answering."""

    def job(connection: Connection, credentials: Credentials) -> runner.Job[ConnectionReport]:
        return lambda: run_async(connection, credentials, **adapter_options)

    for index, outcome in runner.run_each([job(c, creds) for c, creds in pairs]):
        if isinstance(outcome, Exception):  # a report for every connection, whatever happens
            crashed = BackfutureError(f"The test crashed ({type(outcome).__name__}).")
            outcome = failure_report(pairs[index][0], crashed)
        yield index, outcome


def run_many(pairs: Sequence[Pair], **adapter_options: Any) -> list[ConnectionReport]:
    """Test several connections at once; the reports come back in the same order."""
    reports = sorted(run_each(pairs, **adapter_options), key=lambda item: item[0])
    return [report for _, report in reports]
