"""The connection test: concurrent probes, the permission checklist, stored reports.

A test costs one round trip: the server time, the key info and the balance calls leave
together, and every check is derived from their answers afterwards. "Test all" runs every
connection in the same event loop. Errors arrive already classified by the adapter.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from backfuture_core.storage.connections import set_status
from backfuture_core.errors import CATEGORIES, BackfutureError, ExchangeError
from backfuture_core.exchanges.base import (
    SPOT,
    ExchangeAdapter,
    KeyInfo,
    create_adapter,
)
from backfuture_core.exchanges.runner import run_sync
from backfuture_core.models import (
    CHECK_IDS,
    Check,
    CheckState,
    Connection,
    ConnectionReport,
    Credentials,
    Status,
)
from backfuture_core.storage.database import audit, now_iso, write

CLOCK_TOLERANCE_MS = 1_000
TEST_DEADLINE_S = 20.0
# Errors that say something about the key itself, most telling first.
KEY_ERRORS = (
    "ip_not_allowed",
    "wrong_passphrase",
    "invalid_key",
    "account_frozen",
    "clock_skew",
    "no_permission",
)
REQUIRED = ("reachable", "key_valid", "read", "trade", "futures", "ip_restricted")

Outcome = Any  # a probe's result, or the ExchangeError it raised


@dataclass(frozen=True)
class Probes:
    """The raw answers of one test; each is a value or an ExchangeError (None: not asked)."""

    server_time: Outcome
    skew_ms: int | None
    key: Outcome
    spot: Outcome
    futures: Outcome
    resynced: bool = False

    def errors(self) -> list[ExchangeError]:
        answers = (self.server_time, self.key, self.spot, self.futures)
        return [a for a in answers if isinstance(a, ExchangeError)]

    def signed_ok(self) -> bool:
        return any(a is not None and not isinstance(a, ExchangeError) for a in self.signed())

    def signed(self) -> tuple[Outcome, ...]:
        return (self.key, self.spot, self.futures)


async def _outcome(coro) -> Outcome:
    try:
        return await coro
    except ExchangeError as exc:
        return exc


async def _probe_clock(adapter: ExchangeAdapter) -> tuple[Outcome, int | None]:
    result = await _outcome(adapter.clock_offset())
    return (result, None) if isinstance(result, ExchangeError) else result


async def probe(adapter: ExchangeAdapter) -> Probes:
    """Ask everything a test needs at once: one round trip when the exchange is healthy."""
    market = adapter.connection.market
    adapter.client(SPOT)  # import ccxt and build the client before the clock is timed
    (server, skew), key, spot, futures = await asyncio.gather(
        _probe_clock(adapter),
        _outcome(adapter.key_info()),
        _outcome(adapter.spot_balance()) if market.has_spot else _none(),
        _outcome(adapter.futures_balance()) if market.has_futures else _none(),
    )
    return Probes(server, skew, key, spot, futures, adapter.resynced)


async def _none() -> None:
    return None


# --- From probes to checks ---------------------------------------------------------------------


def _from_error(check_id: str, error: ExchangeError, state=CheckState.FAIL) -> Check:
    return Check(check_id, state, error.detail or error.category.cause, error.category.remedy)


def _main_error(probes: Probes) -> ExchangeError | None:
    errors = probes.errors()
    for category in KEY_ERRORS:
        for error in errors:
            if error.category.id == category:
                return error
    signed_errors = [a for a in probes.signed() if isinstance(a, ExchangeError)]
    return signed_errors[0] if signed_errors else (errors[0] if errors else None)


def _reachable(probes: Probes, main: ExchangeError | None) -> Check:
    if not isinstance(probes.server_time, ExchangeError) or probes.signed_ok():
        return Check("reachable", CheckState.PASS, "The exchange answered.")
    if main is not None and main.category.id in ("exchange_unavailable", "rate_limited"):
        return _from_error("reachable", main)
    if main is not None:  # the exchange answered the signed calls with an error
        return Check("reachable", CheckState.PASS, "The exchange answered.")
    return _from_error("reachable", probes.server_time)


def _key_valid(probes: Probes, main: ExchangeError | None) -> Check:
    if probes.signed_ok():
        return Check("key_valid", CheckState.PASS, "The exchange accepted the API Key.")
    if main is not None and main.category.id in ("invalid_key", "wrong_passphrase"):
        return _from_error("key_valid", main)
    if main is not None and main.category.id == "account_frozen":
        return _from_error("key_valid", main)
    if main is None:
        return Check("key_valid", CheckState.UNKNOWN, "The key was not used.")
    detail = f"Not confirmed: {main.category.title.lower()} ({main.detail or main.category.cause})"
    return Check("key_valid", CheckState.UNKNOWN, detail, main.category.remedy)


def _balance_check(check_id: str, answer: Outcome, label: str) -> Check:
    if isinstance(answer, ExchangeError):
        state = CheckState.FAIL if answer.category.id == "no_permission" else CheckState.UNKNOWN
        return _from_error(check_id, answer, state)
    return Check(check_id, CheckState.PASS, f"The {label} balance was read.")


def _read(probes: Probes, connection: Connection) -> Check:
    answer = probes.spot if connection.market.has_spot else probes.futures
    label = "spot" if connection.market.has_spot else "futures"
    key = probes.key
    if isinstance(key, KeyInfo) and key.read is False:
        cat = CATEGORIES["no_permission"]
        return Check("read", CheckState.FAIL, "The key has no read permission.", cat.remedy)
    return _balance_check("read", answer, label)


def _unknown(check_id: str, key: Outcome) -> Check:
    detail = (
        "The exchange did not say."
        if not isinstance(key, ExchangeError)
        else f"The key information could not be read: {key.category.title.lower()}."
    )
    return Check(check_id, CheckState.UNKNOWN, detail, "Check this permission on the exchange.")


def _trade(probes: Probes, connection: Connection) -> Check:
    key = probes.key
    allowed = None
    if isinstance(key, KeyInfo):
        allowed = key.spot_trade if connection.market.has_spot else key.futures_trade
    if allowed is None:
        return _unknown("trade", key)
    if allowed:
        return Check("trade", CheckState.PASS, "Trading is allowed.")
    cat = CATEGORIES["no_trading_permission"]
    return Check("trade", CheckState.FAIL, cat.cause, cat.remedy)


def _futures(probes: Probes, connection: Connection) -> Check:
    if not connection.market.has_futures:
        return Check("futures", CheckState.SKIPPED, "Not needed: this is a spot connection.")
    key = probes.key
    allowed = key.futures_trade if isinstance(key, KeyInfo) else None
    remedy = "Enable futures permission on the exchange, but keep withdrawal disabled."
    if allowed is False:
        return Check(
            "futures", CheckState.FAIL, "Futures trading is disabled for this key.", remedy
        )
    account = _balance_check("futures", probes.futures, "futures")
    if account.state != CheckState.PASS:
        return account
    if allowed is None:
        return _unknown("futures", key)
    return Check("futures", CheckState.PASS, "Futures trading is allowed; the account was read.")


def _withdrawal(probes: Probes) -> Check:
    key = probes.key
    allowed = key.withdraw if isinstance(key, KeyInfo) else None
    if allowed is None:
        return Check(
            "withdrawal_disabled",
            CheckState.UNKNOWN,
            "BackFuture could not confirm that withdrawal is disabled.",
            "Check on the exchange that withdrawal is disabled for this key; you will be asked "
            "to confirm it before a strategy can be enabled.",
        )
    if allowed:
        return Check(
            "withdrawal_disabled",
            CheckState.FAIL,
            "This key can withdraw funds.",
            "Disable withdrawal permission on the exchange (or create a new key without it). "
            "This permission must not be given to a trading bot.",
        )
    return Check("withdrawal_disabled", CheckState.PASS, "Withdrawal is disabled.")


def _ip_restricted(probes: Probes, main: ExchangeError | None) -> Check:
    if main is not None and main.category.id == "ip_not_allowed":
        seen = f" The exchange saw this computer as {main.reported_ip}." if main.reported_ip else ""
        return Check(
            "ip_restricted",
            CheckState.FAIL,
            f"The key's IP whitelist does not include this computer.{seen}",
            main.category.remedy,
        )
    key = probes.key
    ips = key.ip_whitelist if isinstance(key, KeyInfo) else None
    if ips is None:
        return _unknown("ip_restricted", key)
    if ips:
        return Check("ip_restricted", CheckState.PASS, "Restricted to " + ", ".join(ips) + ".")
    expiry = (
        f" Keys without an IP restriction expire; this one in {key.expires_in_days} days."
        if key.expires_in_days is not None
        else ""
    )
    return Check(
        "ip_restricted",
        CheckState.WARN,
        "Any IP address can use this key." + expiry,
        "Set an IP restriction on the exchange so that only this computer's IP can use the key.",
    )


def _clock(probes: Probes) -> Check:
    skew = probes.skew_ms
    if skew is None:
        return Check("clock", CheckState.UNKNOWN, "The exchange's time could not be read.")
    cat = CATEGORIES["clock_skew"]
    if abs(skew) > CLOCK_TOLERANCE_MS or probes.resynced:
        detail = f"This computer's clock is {abs(skew)} ms off the exchange's."
        return Check("clock", CheckState.WARN, detail, cat.remedy)
    return Check("clock", CheckState.PASS, f"Within {abs(skew)} ms of the exchange's clock.")


def build_checks(probes: Probes, connection: Connection) -> tuple[Check, ...]:
    main = _main_error(probes)
    checks = {
        "reachable": _reachable(probes, main),
        "key_valid": _key_valid(probes, main),
        "read": _read(probes, connection),
        "trade": _trade(probes, connection),
        "futures": _futures(probes, connection),
        "withdrawal_disabled": _withdrawal(probes),
        "ip_restricted": _ip_restricted(probes, main),
        "clock": _clock(probes),
    }
    return tuple(checks[i] for i in CHECK_IDS)


def overall_status(checks: Sequence[Check]) -> Status:
    """unsafe (withdrawal) > failed (a required check fails) > warning > online."""
    by_id = {c.id: c for c in checks}
    if by_id["withdrawal_disabled"].state == CheckState.FAIL:
        return Status.UNSAFE
    if any(by_id[i].state == CheckState.FAIL for i in REQUIRED):
        return Status.FAILED
    if by_id["key_valid"].state != CheckState.PASS:  # nothing proves the key works
        return Status.FAILED
    if any(c.state in (CheckState.WARN, CheckState.UNKNOWN) for c in checks):
        return Status.WARNING
    return Status.ONLINE


def _error_category(checks: Sequence[Check], main: ExchangeError | None) -> str | None:
    by_id = {c.id: c for c in checks}
    failed = any(by_id[i].state == CheckState.FAIL for i in REQUIRED)
    if main is not None and (failed or by_id["key_valid"].state != CheckState.PASS):
        return main.category.id
    if by_id["trade"].state == CheckState.FAIL:
        return "no_trading_permission"
    if by_id["read"].state == CheckState.FAIL or by_id["futures"].state == CheckState.FAIL:
        return "no_permission"
    return None


def make_report(probes: Probes, connection: Connection, duration_ms: int) -> ConnectionReport:
    checks = build_checks(probes, connection)
    main = _main_error(probes)
    status = overall_status(checks)
    category = _error_category(checks, main)
    key = probes.key
    extra: dict[str, Any] = {"clock_skew_ms": probes.skew_ms}
    if isinstance(key, KeyInfo):
        extra["permissions"] = list(key.permissions)
    return ConnectionReport(
        status=status,
        checks=checks,
        error_category=category,
        error_message=(CATEGORIES[category].cause if category else ""),
        duration_ms=duration_ms,
        tested_at=now_iso(),
        exchange=connection.exchange,
        connection_name=connection.name,
        reported_ip=main.reported_ip if main is not None and category == "ip_not_allowed" else None,
        extra=extra,
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
    )


# --- Running -----------------------------------------------------------------------------------


async def run_async(
    connection: Connection, credentials: Credentials, **adapter_options: Any
) -> ConnectionReport:
    started = time.perf_counter()
    try:
        options = {"deadline_s": TEST_DEADLINE_S, **adapter_options}
        adapter = create_adapter(connection, credentials, **options)
        async with adapter:
            probes = await probe(adapter)
    except BackfutureError as exc:
        return failure_report(connection, exc)
    return make_report(probes, connection, int((time.perf_counter() - started) * 1000))


def run(connection: Connection, credentials: Credentials) -> ConnectionReport:
    """Test one connection (from synchronous code)."""
    return run_sync(lambda: run_async(connection, credentials))


def run_each(
    pairs: Sequence[tuple[Connection, Credentials]],
) -> Iterator[tuple[int, ConnectionReport]]:
    """Test several connections at once, yielding (index, report) as each one finishes, so a
    page can show progress while the slowest exchange is still answering."""
    done: queue.Queue[tuple[int, ConnectionReport]] = queue.Queue()

    async def one(index: int, connection: Connection, credentials: Credentials) -> None:
        try:
            report = await run_async(connection, credentials)
        except Exception as exc:  # a report for every connection, whatever happens
            report = failure_report(
                connection, BackfutureError(f"The test crashed ({type(exc).__name__}).")
            )
        done.put((index, report))

    async def every() -> None:
        await asyncio.gather(*(one(i, c, creds) for i, (c, creds) in enumerate(pairs)))

    worker = threading.Thread(target=asyncio.run, args=(every(),), daemon=True)
    worker.start()
    for _ in pairs:
        yield done.get()
    worker.join()


def run_many(pairs: Sequence[tuple[Connection, Credentials]]) -> list[ConnectionReport]:
    """Test several connections at once; the reports come back in the same order."""
    return [report for _, report in sorted(run_each(pairs), key=lambda item: item[0])]


# --- Storage -----------------------------------------------------------------------------------


def report_json(report: ConnectionReport) -> str:
    """The report as pretty JSON (the download and the CLI); it never holds a secret."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def report_from_dict(data: dict) -> ConnectionReport:
    checks = tuple(
        Check(c["id"], CheckState(c["state"]), c.get("detail", ""), c.get("remedy", ""))
        for c in data.get("checks", [])
    )
    return ConnectionReport(
        status=Status(data["status"]),
        checks=checks,
        error_category=data.get("error_category"),
        error_message=data.get("error_message", ""),
        duration_ms=int(data.get("duration_ms", 0)),
        tested_at=data.get("tested_at", ""),
        exchange=data.get("exchange", ""),
        connection_name=data.get("connection_name", ""),
        reported_ip=data.get("reported_ip"),
        extra=data.get("extra") or {},
    )


def save_report(db: Database, connection_id: int, report: ConnectionReport) -> None:
    """Store the report in the connection's history and make its status the connection's."""
    with write(db):
        db.execute(
            "INSERT INTO reports (connection_id, tested_at, status, error_category, duration_ms,"
            " body) VALUES (?, ?, ?, ?, ?, ?)",
            [
                connection_id,
                report.tested_at,
                report.status.value,
                report.error_category,
                report.duration_ms,
                json.dumps(report.to_dict()),
            ],
        )
        set_status(db, connection_id, report.status, report.tested_at)
        audit(db, "connection tested", connection_id=connection_id, detail=report.status.value)


def report_history(db: Database, connection_id: int, limit: int = 20) -> list[ConnectionReport]:
    """The connection's reports, newest first."""
    rows = db.execute(
        "SELECT body FROM reports WHERE connection_id = ? ORDER BY id DESC LIMIT ?",
        [connection_id, limit],
    ).fetchall()
    return [report_from_dict(json.loads(body)) for (body,) in rows]


def latest_report(db: Database, connection_id: int) -> ConnectionReport | None:
    history = report_history(db, connection_id, limit=1)
    return history[0] if history else None
