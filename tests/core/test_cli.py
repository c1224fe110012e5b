"""The command line as scripts use it: a real `python -m backfuture_core` process against a
sandbox started in the test process (loopback only). The many ways to misuse it are checked
in process through `cli.main(argv)`, which spares a ccxt import per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from backfuture_core import cli as cli_module
from backfuture_core.config import Settings
from backfuture_core.diagnostics.reports import latest_report
from backfuture_core.errors import CATEGORIES
from backfuture_core.models import CHECK_IDS, CHECK_TITLES, Status
from backfuture_core.sandbox import DemoKey, Sandbox, demo_keys
from backfuture_core.security.vault import open_vault, set_passphrase
from backfuture_core.storage.connections import ConnectionForm, add_connection, find_connection
from backfuture_core.storage.database import open_db
from tests.conftest import FAST_KDF

ROOT = Path(__file__).resolve().parents[2]
KEYS = {k.label.removesuffix(" (demo)"): k for k in demo_keys()}
MASTER = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A clean environment: no BACKFUTURE_* variable of the caller, a temporary data folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKFUTURE_")}
    clean.update(
        PYTHONPATH=str(ROOT),
        BACKFUTURE_DATA_DIR=str(tmp_path / "data"),
        BACKFUTURE_KEY_DIR=str(tmp_path / "keys"),
        BACKFUTURE_KDF_MEMORY_KIB=str(FAST_KDF.memory_kib),
        BACKFUTURE_KDF_ITERATIONS=str(FAST_KDF.iterations),
    )
    return clean


def cli(env: dict[str, str], *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backfuture_core", *args],
        cwd=ROOT,
        env={**env, **extra_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def key_test(
    sandbox: Sandbox, env: dict[str, str], exchange: str, *args: str, **extra_env: str
) -> subprocess.CompletedProcess:
    """`test --exchange EXCHANGE --api-base-url <the sandbox's> ARGS` in a real process."""
    url = sandbox.base_url(exchange)
    return cli(env, "test", "--exchange", exchange, "--api-base-url", url, *args, **extra_env)


def key_env(key: DemoKey) -> dict[str, str]:
    values = {"BACKFUTURE_API_KEY": key.api_key, "BACKFUTURE_API_SECRET": key.secret}
    if key.passphrase:
        values["BACKFUTURE_API_PASSPHRASE"] = key.passphrase
    return values


def assert_no_secret(result: subprocess.CompletedProcess, key: DemoKey) -> None:
    output = result.stdout + result.stderr
    for secret in filter(None, (key.secret, key.passphrase, key.api_key)):
        assert secret not in output


def test_online_key_prints_the_json_report_and_exits_0(sandbox, env):
    key = KEYS["MEXC Spot Main"]
    result = key_test(sandbox, env, "mexc", "--json", **key_env(key))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "online"
    assert report["error_category"] is None
    assert [c["id"] for c in report["checks"]] == list(CHECK_IDS)
    assert all({"id", "state", "detail"} <= set(c) for c in report["checks"])
    assert {c["state"] for c in report["checks"]} == {"pass", "skipped"}
    assert_no_secret(result, key)


def test_wrong_ip_key_exits_1_with_its_category(sandbox, env):
    key = KEYS["KuCoin Wrong IP"]
    result = key_test(sandbox, env, "kucoin", "--market", "spot", "--json", **key_env(key))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "failed"
    assert report["error_category"] == "ip_not_allowed"
    assert report["reported_ip"] == "127.0.0.1"
    assert_no_secret(result, key)


def test_an_unreachable_address_is_network_unreachable_and_exits_1(env):
    """Issue 12: "Exchange unavailable: wait and run the test again" for a refused connection."""
    key = KEYS["MEXC Spot Main"]
    args = ("test", "--exchange", "mexc", "--api-base-url", "http://127.0.0.1:9", "--json")
    result = cli(env, *args, **key_env(key))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "failed"
    assert report["error_category"] == "network_unreachable"
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["reachable"]["detail"] == "127.0.0.1:9 refused the connection."
    assert checks["trade"]["detail"] == "Not checked: the exchange was not reached."
    assert_no_secret(result, key)


@pytest.mark.parametrize("exchange", ["mexc", "kucoin"])
def test_an_address_that_answers_404_is_wrong_address_and_exits_1(sandbox, env, exchange):
    key = KEYS["MEXC Spot Main" if exchange == "mexc" else "KuCoin Futures Conservative"]
    url = f"{sandbox.url}/not-an-exchange"  # the sandbox answers 404 under any other prefix
    args = ("test", "--exchange", exchange, "--market", "spot", "--api-base-url", url, "--json")
    result = cli(env, *args, **key_env(key))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["error_category"] == "wrong_address"
    reachable = next(c for c in report["checks"] if c["id"] == "reachable")
    assert reachable["state"] == "fail"
    assert f"127.0.0.1:{sandbox.port} answered HTTP 404" in reachable["detail"]
    assert_no_secret(result, key)


def test_the_json_report_carries_the_account_id(sandbox, env):
    key = KEYS["MEXC Spot Main"]
    result = key_test(sandbox, env, "mexc", "--json", **key_env(key))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["account_id"]


def test_a_missing_key_variable_is_bad_usage(sandbox, env):
    key = KEYS["MEXC Spot Main"]
    sent = len(sandbox.requests)
    result = key_test(sandbox, env, "mexc", BACKFUTURE_API_KEY=key.api_key)
    assert result.returncode == 2
    assert "BACKFUTURE_API_SECRET" in result.stderr
    assert result.stdout == ""
    assert len(sandbox.requests) == sent  # nothing was sent to the exchange


def test_an_unknown_exchange_is_bad_usage(env):
    result = cli(env, "test", "--exchange", "gate", **key_env(KEYS["MEXC Spot Main"]))
    assert result.returncode == 2
    assert "--exchange" in result.stderr
    assert "MEXC" in result.stderr  # the supported exchanges are named
    assert result.stdout == ""


def _saved_connection(tmp_path: Path, sandbox: Sandbox, key: DemoKey, name: str) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", key_dir=tmp_path / "keys", kdf=FAST_KDF)
    db = open_db(settings.db_path)
    try:
        vault = open_vault(db, settings)
        add_connection(
            db,
            vault,
            ConnectionForm(
                exchange=key.exchange,
                name=name,
                api_key=key.api_key,
                secret=key.secret,
                passphrase=key.passphrase or "",
                api_base_url=sandbox.base_url(key.exchange),
            ),
        )
    finally:
        db.close()
    return settings


def test_saved_connection_is_tested_and_its_report_saved(sandbox, env, tmp_path):
    key = KEYS["MEXC No IP Restriction"]
    settings = _saved_connection(tmp_path, sandbox, key, "Scalper MEXC")
    result = cli(env, "test", "--connection", "scalper mexc")  # names are not case-sensitive
    assert result.returncode == 0, result.stderr
    assert "Warning" in result.stdout
    assert "IP restriction" in result.stdout
    assert_no_secret(result, key)
    db = open_db(settings.db_path)
    try:
        conn = find_connection(db, "Scalper MEXC")
        assert conn.status == Status.WARNING
        report = latest_report(db, conn.id)
        assert report is not None
        assert report.status == Status.WARNING
        assert report.check("ip_restricted").state == "warn"
    finally:
        db.close()


def test_sandbox_command_serves_until_terminated(env):
    proc = subprocess.Popen(
        [sys.executable, "-m", "backfuture_core", "sandbox", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert "http://127.0.0.1:" in first, first
        url = first.split("http://", 1)[1].split()[0]
        with urllib.request.urlopen(f"http://{url}/mexc/api/v3/time", timeout=5) as answer:
            assert "serverTime" in json.loads(answer.read())
    finally:
        proc.terminate()
        out = proc.stdout.read()  # the rest: the wrapper may already hold it, so no communicate()
        proc.wait(timeout=15)
        proc.stdout.close()
    assert proc.returncode == 0, out
    for key in demo_keys():  # the demo keys are fake and printed on purpose
        assert key.api_key in out
        assert key.secret in out


def test_help_does_not_import_ccxt(env):
    script = (
        "import runpy, sys\n"
        "for argv in (['--help'], ['test', '--help'], ['sandbox', '--help']):\n"
        "    sys.argv = ['backfuture_core', *argv]\n"
        "    try:\n"
        "        runpy.run_module('backfuture_core', run_name='__main__', alter_sys=True)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "print('ccxt loaded:', any(m.split('.')[0] == 'ccxt' for m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "BACKFUTURE_API_SECRET" in result.stdout  # the help names the variables
    assert result.stdout.rstrip().endswith("ccxt loaded: False")


# ------------------------------------------------------- in process: the many ways to misuse it
API_VARIABLES = ("BACKFUTURE_API_KEY", "BACKFUTURE_API_SECRET", "BACKFUTURE_API_PASSPHRASE")


@pytest.fixture
def cli_env(app_env, monkeypatch) -> Settings:
    """The CLI's environment in this process: temporary data folder, no key variables."""
    for variable in (*API_VARIABLES, "BACKFUTURE_MASTER_PASSPHRASE"):
        monkeypatch.delenv(variable, raising=False)
    return app_env


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli_module.main(list(argv))
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("exchange", "missing"),
    [
        ("mexc", "BACKFUTURE_API_KEY"),
        ("mexc", "BACKFUTURE_API_SECRET"),
        ("kucoin", "BACKFUTURE_API_KEY"),
        ("kucoin", "BACKFUTURE_API_PASSPHRASE"),
    ],
)
def test_each_missing_variable_is_named(sandbox, cli_env, monkeypatch, capsys, exchange, missing):
    key = KEYS["MEXC Spot Main"] if exchange == "mexc" else KEYS["KuCoin Wrong IP"]
    for variable, value in key_env(key).items():
        if variable != missing:
            monkeypatch.setenv(variable, value)
    url = sandbox.base_url(exchange)
    code, out, err = run_main(capsys, "test", "--exchange", exchange, "--api-base-url", url)
    assert (code, out) == (2, "")
    assert missing in err
    assert "command line" in err  # and where keys are never read from


def test_a_key_with_spaces_is_refused_before_any_request(sandbox, cli_env, monkeypatch, capsys):
    monkeypatch.setenv("BACKFUTURE_API_KEY", "mx0vgl KEY WITH SPACES")
    monkeypatch.setenv("BACKFUTURE_API_SECRET", "a-secret-of-some-length")
    sent = len(sandbox.requests)
    url = sandbox.base_url("mexc")
    code, out, err = run_main(capsys, "test", "--exchange", "mexc", "--api-base-url", url)
    assert (code, out) == (2, "")
    assert "BACKFUTURE_API_KEY" in err
    assert "a-secret-of-some-length" not in err
    assert len(sandbox.requests) == sent


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["test", "--exchange", "mexc", "--market", "margin"], "--market"),
        (["test", "--exchange", "mexc", "--api-base-url", "ftp://example.org"], "--api-base-url"),
        (["test", "--exchange", "mexc", "--api-base-url", "https://u:p@example.org"], "--api-base"),
        (["test", "--exchange", "mexc", "--api-key", "mx0vglKEYONARGV"], "--api-key"),
        (["test", "--exchange", "mexc", "--secret", "on-the-command-line"], "--secret"),
        (["test", "--connection", "Main", "--market", "spot"], "--connection"),
        (["test", "--exchange", "mexc", "--connection", "Main"], "not allowed"),
        (["test"], "--exchange"),
        (["sandbox", "--host", "0.0.0.0"], "--host"),  # noqa: S104 - refused, the point of it
        (["sandbox", "--port", "70000"], "--port"),
        ([], "usage"),
    ],
)
def test_bad_usage_exits_2(cli_env, monkeypatch, capsys, argv, message):
    for variable, value in key_env(KEYS["MEXC Spot Main"]).items():
        monkeypatch.setenv(variable, value)
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert message in err
    assert out == ""


def test_unknown_connection_or_missing_database_is_bad_usage(sandbox, cli_env, tmp_path, capsys):
    code, _, err = run_main(capsys, "test", "--connection", "Anything")
    assert code == 2
    assert "BACKFUTURE_DATA_DIR" in err  # no database there yet, and none was created
    assert not cli_env.db_path.exists()
    _saved_connection(tmp_path, sandbox, KEYS["MEXC Spot Main"], "Present")
    code, _, err = run_main(capsys, "test", "--connection", "Absent")
    assert code == 2
    assert "Absent" in err


def test_saved_connection_in_passphrase_mode_needs_the_master_passphrase(
    sandbox, cli_env, tmp_path, monkeypatch, capsys
):
    key = KEYS["KuCoin Wrong IP"]
    settings = _saved_connection(tmp_path, sandbox, key, "KuCoin bot")
    db = open_db(settings.db_path)
    set_passphrase(db, settings, open_vault(db, settings), MASTER)
    db.close()

    code, out, err = run_main(capsys, "test", "--connection", "KuCoin bot", "--json")
    assert (code, out) == (2, "")
    assert "BACKFUTURE_MASTER_PASSPHRASE" in err
    monkeypatch.setenv("BACKFUTURE_MASTER_PASSPHRASE", "not the passphrase 7")
    code, out, err = run_main(capsys, "test", "--connection", "KuCoin bot", "--json")
    assert (code, out) == (2, "")
    assert err
    monkeypatch.setenv("BACKFUTURE_MASTER_PASSPHRASE", MASTER)
    code, out, err = run_main(capsys, "test", "--connection", "KuCoin bot", "--json")
    assert code == 1, err
    assert json.loads(out)["error_category"] == "ip_not_allowed"
    db = open_db(settings.db_path)
    try:
        assert find_connection(db, "KuCoin bot").status == Status.FAILED
    finally:
        db.close()


def test_readable_output_names_every_check_and_the_remedy(sandbox, cli_env, monkeypatch, capsys):
    key = KEYS["MEXC Read Only"]
    for variable, value in key_env(key).items():
        monkeypatch.setenv(variable, value)
    url = sandbox.base_url("mexc")
    code, out, err = run_main(capsys, "test", "--exchange", "MEXC", "--api-base-url", url)
    assert code == 1, err
    assert "Failed" in out
    for title in CHECK_TITLES.values():
        assert title in out
    assert CATEGORIES["no_trading_permission"].remedy in out
    assert key.secret not in out + err
