"""Connection test reports: stored with the connection's status, exported as JSON by the
contract, and never holding a secret (nor do logs or error text)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import pytest

from backfuture_core.diagnostics.reports import (
    latest_report,
    report_from_dict,
    report_history,
    report_json,
    save_report,
)
from backfuture_core.diagnostics.run import run, run_async
from backfuture_core.errors import ExchangeError
from backfuture_core.exchanges.registry import create_adapter
from backfuture_core.models import CHECK_IDS, Status
from backfuture_core.storage.connections import (
    ConnectionForm,
    add_connection,
    get_connection,
    load_credentials,
)
from tests.core.diagnostics.scenarios import (
    EXCHANGES,
    KEYS,
    MEXC_SPOT,
    connection_for,
    credentials_for,
    fresh_key,
    run_test,
    template,
)
from tests.core.fake_timing import FakeTiming


def test_reports_round_trip_and_update_the_connection(sb, db, vault):
    key = fresh_key(sb, MEXC_SPOT)
    conn = add_connection(
        db,
        vault,
        ConnectionForm(
            exchange="mexc",
            name="Round trip",
            api_key=key.api_key,
            secret=key.secret,
            api_base_url=sb.base_url("mexc"),
        ),
    )
    assert latest_report(db, conn.id) is None
    first = run(conn, load_credentials(db, vault, conn.id))
    save_report(db, conn.id, first)
    sb.add_key(dataclasses.replace(key, ip_whitelist=()))
    second = run(conn, load_credentials(db, vault, conn.id))
    save_report(db, conn.id, second)

    assert (first.status, second.status) == (Status.ONLINE, Status.WARNING)
    assert latest_report(db, conn.id) == second
    assert report_history(db, conn.id) == [second, first]
    assert report_history(db, conn.id, limit=1) == [second]
    stored = get_connection(db, conn.id)
    assert stored.status == Status.WARNING
    assert stored.last_tested_at == second.tested_at
    assert report_from_dict(json.loads(report_json(first))) == first


def test_report_json_follows_the_contract(sb):
    key = fresh_key(sb, KEYS["MEXC Wrong IP"])
    data = json.loads(report_json(run_test(sb, key)))
    assert data["status"] == "failed"
    assert data["error_category"] == "ip_not_allowed"
    assert [c["id"] for c in data["checks"]] == list(CHECK_IDS)
    assert all({"id", "state", "detail"} <= set(c) for c in data["checks"])


@EXCHANGES
def test_no_secret_in_reports_json_or_database(sb, db, vault, settings, exchange):
    canary = "CanarySecret7f3a9c2e5b1d"
    api_key = "mx0vglCANARY0KEY7Q3Z9XK2W" if exchange == "mexc" else "64d3e0cafe0000canary0042"
    passphrase = "CanaryPass4e8d2a" if exchange == "kucoin" else None
    key = dataclasses.replace(
        template(exchange), api_key=api_key, secret=canary, passphrase=passphrase, market="spot"
    )
    sb.add_key(key)
    conn = add_connection(
        db,
        vault,
        ConnectionForm(
            exchange=exchange,
            name=f"Canary {exchange}",
            api_key=api_key,
            secret=canary,
            passphrase=passphrase or "",
            api_base_url=sb.base_url(exchange),
        ),
    )
    healthy = run(conn, load_credentials(db, vault, conn.id))
    # Failing calls carry URLs in their errors (MEXC's key-info URL holds the API key).
    sb.set_fault("server_error", key=api_key, status=502)
    failing = run(conn, load_credentials(db, vault, conn.id), timing=FakeTiming())
    assert (healthy.status, failing.status) == (Status.ONLINE, Status.FAILED)
    for report in (healthy, failing):
        save_report(db, conn.id, report)
        text = report_json(report) + repr(report)
        for secret in filter(None, (canary, api_key, passphrase)):
            assert secret not in text
    assert "signature" not in report_json(failing)

    db.conn.commit()
    files = [settings.db_path, settings.db_path.with_name(settings.db_path.name + "-wal")]
    stored = b"".join(p.read_bytes() for p in files if p.exists())
    for secret in filter(None, (canary, api_key, passphrase)):
        assert secret.encode() not in stored
    # ... but it is there, encrypted: the vault gives it back.
    assert load_credentials(db, vault, conn.id).secret.reveal() == canary


@pytest.mark.parametrize(
    ("exchange", "scenario"),
    [
        (exchange, scenario)
        for exchange in ("mexc", "kucoin")
        for scenario in ("wrong_secret", "wrong_passphrase", "server_error", "malformed_json")
        if not (exchange == "mexc" and scenario == "wrong_passphrase")  # MEXC has none
    ],
)
def test_secrets_stay_out_of_logs_and_error_text(sb, caplog, exchange, scenario):
    key = fresh_key(sb, template(exchange), market="both")
    creds = credentials_for(key)
    if scenario == "wrong_secret":
        creds = credentials_for(key, secret=key.secret + "x")
    elif scenario == "wrong_passphrase":
        creds = credentials_for(key, passphrase="not-" + key.passphrase)
    else:
        sb.set_fault(scenario, key=key.api_key)
    caplog.set_level(logging.DEBUG)  # everything ccxt, aiohttp and BackFuture log
    conn = connection_for(sb, key)
    errors = []

    async def every_error():
        async with create_adapter(conn, creds, timing=FakeTiming()) as adapter:
            for probe in (adapter.key_info, adapter.spot_balance, adapter.futures_balance):
                try:
                    await probe()
                except ExchangeError as exc:
                    errors.append(exc)
        return await run_async(conn, creds, timing=FakeTiming())

    report = asyncio.run(every_error())
    assert report.status != Status.ONLINE
    texts = [caplog.text, report_json(report), repr(report)]
    texts += [f"{e} {e.detail} {e!r} {e.__cause__!r} {e.__context__!r}" for e in errors]
    secrets = [s for s in (key.api_key, creds.secret.reveal(), key.secret, key.passphrase) if s]
    if creds.passphrase is not None:
        secrets.append(creds.passphrase.reveal())
    for text in texts:
        for secret in secrets:
            assert secret not in text
