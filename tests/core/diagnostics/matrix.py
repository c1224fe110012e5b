"""The scenario matrix of one exchange as data: each scenario names a key (a demo key changed
by some fields), a market, an optional fault, and the expected status, category and states."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backfuture_core.diagnostics.run import run_async
from backfuture_core.models import CHECK_IDS, CheckState, Status
from backfuture_core.sandbox import DemoKey, Sandbox
from tests.core.diagnostics import scenarios as sc
from tests.core.fake_timing import FakeTiming

ROOT = Path(__file__).resolve().parents[3]
UNREACHABLE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Scenario:
    name: str
    status: Status
    category: str | None
    states: str  # one letter per check in CHECK_IDS order: P W F U S
    market: str = "spot"
    changes: dict[str, Any] = field(default_factory=dict)
    fault: tuple[str, dict[str, Any]] | None = None
    wrong: dict[str, str] = field(default_factory=dict)  # wrong credentials


LETTERS = {"P": sc.PASS, "W": sc.WARN, "F": sc.FAIL, "U": sc.UNKNOWN, "S": sc.SKIPPED}


def expected_states(letters: str) -> dict[str, CheckState]:
    return {i: LETTERS[x] for i, x in zip(CHECK_IDS, letters, strict=True)}


def run_scenario(sb: Sandbox, template: DemoKey, s: Scenario) -> Any:
    key = sc.fresh_key(sb, template, **s.changes)
    if s.fault is not None:
        kind, params = s.fault
        sb.set_fault(kind, key=None if kind == "clock_skew" else key.api_key, **params)
    creds = sc.credentials_for(key, **s.wrong)
    return sc.run_test(sb, key, s.market, creds)


def check_scenario(sb: Sandbox, template: DemoKey, s: Scenario) -> None:
    """Run one scenario and assert its status, category and every check's state."""
    report = run_scenario(sb, template, s)
    assert report.status == s.status
    assert report.error_category == s.category
    assert {c.id: c.state for c in report.checks} == expected_states(s.states)


def check_never_green(sb: Sandbox, template: DemoKey, fault: str | None) -> None:
    """A malformed answer (fault "malformed_json") or an unreachable address (fault None)
    fails the test and confirms nothing it could not read."""
    key = sc.fresh_key(sb, template)
    conn = sc.connection_for(sb, key)
    if fault is None:
        conn = dataclasses.replace(conn, api_base_url=UNREACHABLE)
    else:
        sb.set_fault(fault, key=key.api_key)
    report = asyncio.run(run_async(conn, sc.credentials_for(key), timing=FakeTiming()))
    assert report.status == Status.FAILED
    assert sc.states(report)["key_valid"] != sc.PASS
    assert sc.states(report)["withdrawal_disabled"] == sc.UNKNOWN
    if fault is None:
        assert report.error_category in {"network_unreachable", "exchange_unavailable"}
        assert not any(state == sc.PASS for state in sc.states(report).values())


def run_cli(
    exchange: str, url: str, key: DemoKey, tmp: Path, *args: str
) -> subprocess.CompletedProcess:
    """`python -m backfuture_core test --exchange ... --json` in a real process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKFUTURE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        BACKFUTURE_DATA_DIR=str(tmp / "data"),
        BACKFUTURE_KEY_DIR=str(tmp / "keys"),
        BACKFUTURE_API_KEY=key.api_key,
        BACKFUTURE_API_SECRET=key.secret,
    )
    if key.passphrase:
        env["BACKFUTURE_API_PASSPHRASE"] = key.passphrase
    argv = ["test", "--exchange", exchange, "--api-base-url", url, "--json", *args]
    return subprocess.run(
        [sys.executable, "-m", "backfuture_core", *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def cli_report(result: subprocess.CompletedProcess) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout)
    return report
