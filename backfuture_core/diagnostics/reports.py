"""Connection test reports in storage: save one (it sets the connection's status), read the
history and the latest, and the report as JSON (the download and the CLI; never a secret)."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from backfuture_core.errors import NotFound
from backfuture_core.exchanges.redact import redact_report
from backfuture_core.models import Check, CheckState, ConnectionReport, Status
from backfuture_core.storage.connections import GONE, set_status
from backfuture_core.storage.database import audit, write


def report_json(report: ConnectionReport) -> str:
    """The report as pretty JSON (the download and the CLI); it never holds a secret."""
    return json.dumps(redact_report(report).to_dict(), indent=2, ensure_ascii=False)


def report_from_dict(data: dict[str, Any]) -> ConnectionReport:
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
        account_id=data.get("account_id"),
    )


def save_report(db: Database, connection_id: int, report: ConnectionReport) -> None:
    """Store the report in the connection's history and make its status the connection's.

    Raises NotFound (nothing stored) when the connection was deleted while it was tested.
    """
    with write(db):
        if db.execute("SELECT 1 FROM connections WHERE id = ?", [connection_id]).fetchone() is None:
            raise NotFound(GONE)
        db.execute(
            "INSERT INTO reports (connection_id, tested_at, status, error_category, duration_ms,"
            " body) VALUES (?, ?, ?, ?, ?, ?)",
            [
                connection_id,
                report.tested_at,
                report.status.value,
                report.error_category,
                report.duration_ms,
                json.dumps(redact_report(report).to_dict()),  # untrusted text redacted
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


def latest_account_ids(db: Database) -> dict[int, str]:
    """connection id -> the exchange account id its latest report read, for connections tested
    since their keys were saved (new keys make a connection untested again)."""
    rows = db.execute(
        "SELECT r.connection_id, json_extract(r.body, '$.account_id') FROM reports r"
        " JOIN connections c ON c.id = r.connection_id"
        " WHERE c.status != 'untested'"
        " AND r.id IN (SELECT MAX(id) FROM reports GROUP BY connection_id)"
    ).fetchall()
    return {int(conn_id): str(account) for conn_id, account in rows if account not in (None, "")}
