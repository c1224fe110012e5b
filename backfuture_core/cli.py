"""Command line for scripts and health checks (DESIGN.md section 3).

    python -m backfuture_core test --exchange mexc|kucoin [--api-base-url URL]
                                   [--market spot|futures|both] [--json]
    python -m backfuture_core test --connection NAME [--json]
    python -m backfuture_core sandbox [--port N] [--host 127.0.0.1]

Keys come only from the environment (BACKFUTURE_API_KEY, BACKFUTURE_API_SECRET,
BACKFUTURE_API_PASSPHRASE), never from argv, which other users of the machine can see.
Exit codes: 0 online or warning, 1 failed or unsafe, 2 bad usage (or the test could not run).
Heavy modules (ccxt, the database, the sandbox) are imported only by the command that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from backfuture_core.errors import ValidationError  # light: no ccxt, no database
from backfuture_core.validation import problems_text

if TYPE_CHECKING:
    from backfuture_core.models import ConnectionReport, Credentials

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
KEY_ENV = (
    ("api_key", "BACKFUTURE_API_KEY", "API Key"),
    ("secret", "BACKFUTURE_API_SECRET", "Secret Key"),
    ("passphrase", "BACKFUTURE_API_PASSPHRASE", "Passphrase"),
)
MASTER_PASSPHRASE_ENV = "BACKFUTURE_MASTER_PASSPHRASE"  # noqa: S105 - a variable name
STATE_MARKS = {"pass": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]", "unknown": "[ ?? ]"}


class UsageError(Exception):
    """Bad usage detected after parsing: printed to stderr, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m backfuture_core",
        description="BackFuture from the command line: test exchange keys, run the sandbox.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    test = commands.add_parser(
        "test",
        help="test an API key or a saved connection",
        description="Run the connection test. For --exchange the key is read from the "
        "environment variables BACKFUTURE_API_KEY, BACKFUTURE_API_SECRET and (KuCoin) "
        "BACKFUTURE_API_PASSPHRASE, never from the command line. Exit code: 0 online or "
        "warning, 1 failed or unsafe, 2 bad usage.",
    )
    target = test.add_mutually_exclusive_group(required=True)
    target.add_argument("--exchange", metavar="ID", help="exchange id: mexc or kucoin")
    target.add_argument("--connection", metavar="NAME", help="a connection saved in the app")
    test.add_argument(
        "--api-base-url",
        metavar="URL",
        help="replaces the exchange's REST base URL (regional domain, gateway, sandbox)",
    )
    test.add_argument("--market", metavar="MARKET", help="spot (default), futures or both")
    test.add_argument("--json", action="store_true", help="print the report as JSON")
    sandbox = commands.add_parser(
        "sandbox",
        help="serve the sandbox exchange and print its demo keys",
        description="Serve the embedded MEXC and KuCoin sandbox until Ctrl-C.",
    )
    sandbox.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        choices=["127.0.0.1"],
        help="the sandbox only ever listens on loopback",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "sandbox" and not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 (any free port) and 65535")
    if (
        args.command == "test"
        and args.connection is not None
        and (args.api_base_url is not None or args.market is not None)
    ):
        parser.error("--api-base-url and --market apply to --exchange, not --connection")
    try:
        if args.command == "sandbox":
            return serve_sandbox(args.port)
        return run_saved_test(args) if args.connection is not None else run_key_test(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


# --- test --------------------------------------------------------------------------------------


FLAGS = {"Exchange": "--exchange", "Market": "--market", "API base URL": "--api-base-url"}


def _env_credentials(needs_passphrase: Callable[[], bool]) -> Credentials:
    """The key from the environment, checked like the app's form checks it.

    `needs_passphrase` is asked last: it imports ccxt, which a usage error need not wait for.
    """
    from backfuture_core.models import Credentials, Secret
    from backfuture_core.validation import clean_key

    values: dict[str, str] = {}
    for field, variable, label in KEY_ENV:
        if field == "passphrase" and not needs_passphrase():
            continue
        try:
            value = clean_key(label, os.environ.get(variable, ""))
        except ValidationError as exc:
            raise UsageError(f"{variable}: {' '.join(exc.problems.values())}") from None
        if not value:
            raise UsageError(
                f"{variable} is not set: put the {label} in this environment variable "
                "(keys are never read from the command line)."
            )
        values[field] = value
    passphrase = values.get("passphrase")
    return Credentials(
        Secret(values["api_key"]),
        Secret(values["secret"]),
        Secret(passphrase) if passphrase else None,
    )


def run_key_test(args: argparse.Namespace) -> int:
    from backfuture_core.exchanges.registry import get_exchange
    from backfuture_core.validation import BASE_URL_EXAMPLE, Problems, clean_market, clean_url

    fields = Problems()  # collects every rejected option, as the app's form does
    fields.attempt("exchange", get_exchange, (args.exchange or "").strip().lower())
    fields.attempt("market", clean_market, args.market or "spot")
    info = fields.cleaned.get("exchange")
    example = info.rest_url if info else BASE_URL_EXAMPLE
    fields.attempt("url", clean_url, "API base URL", args.api_base_url or "", example=example)
    try:
        fields.raise_if_any()
    except ValidationError as exc:
        raise UsageError(problems_text(exc, FLAGS)) from None
    info, market, url = (fields.cleaned[k] for k in ("exchange", "market", "url"))
    credentials = _env_credentials(lambda: info.requires_passphrase)

    from backfuture_core.diagnostics.run import run
    from backfuture_core.models import Connection

    connection = Connection(
        id=0,
        name=f"{info.name} (command line)",
        exchange=info.id,
        market=market,
        key_hint=credentials.api_key.hint,
        api_base_url=url,
    )
    report = run(connection, credentials)
    return _print_report(report, as_json=args.json)


def run_saved_test(args: argparse.Namespace) -> int:
    """Test a saved connection from the data folder and store the report as the app does."""
    from backfuture_core import demo
    from backfuture_core.config import Settings
    from backfuture_core.diagnostics.saved import run_saved
    from backfuture_core.errors import BackfutureError
    from backfuture_core.security.vault import open_vault, vault_mode
    from backfuture_core.storage.connections import find_connection
    from backfuture_core.storage.database import open_db

    settings = Settings.from_env()
    if not settings.db_path.exists():
        raise UsageError(
            f"There is no BackFuture database in {settings.data_dir} (set BACKFUTURE_DATA_DIR)."
        )
    try:
        db = open_db(settings.db_path)
    except BackfutureError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            (connection,) = demo.resolved([find_connection(db, args.connection)])
            passphrase = None
            if vault_mode(db) == "passphrase":
                passphrase = os.environ.get(MASTER_PASSPHRASE_ENV)
                if not passphrase:
                    raise UsageError(
                        "The vault is protected by a master passphrase: put it in the "
                        f"environment variable {MASTER_PASSPHRASE_ENV}."
                    )
            vault = open_vault(db, settings, passphrase)
        except BackfutureError as exc:
            raise UsageError(f"{args.connection}: {exc}") from None
        # Damaged keys end in a failed report (exit 1); a report not saved is said on stderr.
        (outcome,) = run_saved(db, vault, [connection])
    finally:
        db.close()
    code = _print_report(outcome.report, as_json=args.json)
    if not outcome.saved:
        print(f"error: {args.connection}: {outcome.not_saved}", file=sys.stderr)
    return code if outcome.saved else EXIT_FAILED


def _print_report(report: ConnectionReport, *, as_json: bool) -> int:
    from backfuture_core.diagnostics.run import failure_message
    from backfuture_core.errors import CATEGORIES
    from backfuture_core.models import Status

    if as_json:
        from backfuture_core.diagnostics.reports import report_json

        print(report_json(report))
    else:
        print(f"{report.connection_name}: {report.status.label}")
        for check in report.checks:
            if check.state.value == "skipped":
                print(f"  [skip]  {check.title}: {check.detail}")
                continue
            print(f"  {STATE_MARKS[check.state.value]}  {check.title}: {check.detail}")
            if check.remedy and check.state.value != "pass":
                print(f"          What to do: {check.remedy}")
        if why := failure_message(report):
            print(why)
        elif report.error_category:
            category = CATEGORIES[report.error_category]
            print(f"{category.title}: {category.cause} {category.remedy}")
        if report.reported_ip:
            print(f"The exchange saw this computer as {report.reported_ip}.")
    return EXIT_OK if report.status in (Status.ONLINE, Status.WARNING) else EXIT_FAILED


# --- sandbox -----------------------------------------------------------------------------------


def serve_sandbox(port: int) -> int:
    import signal
    import threading

    from backfuture_core.sandbox import Sandbox

    def stop(signum, frame):
        raise KeyboardInterrupt

    try:
        sandbox = Sandbox(port=port).start()
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    previous = signal.signal(signal.SIGTERM, stop)  # `kill` stops it as cleanly as Ctrl-C
    try:
        lines = [f"BackFuture sandbox exchange on {sandbox.url} (Ctrl-C to stop)"]
        for exchange in ("mexc", "kucoin"):
            lines.append(f"  {exchange} API base URL: {sandbox.base_url(exchange)}")
        lines.append("Demo keys (fake values, for the sandbox only):")
        for key in sandbox.keys:
            lines.append(f"- {key.label} [{key.exchange}, {key.market}]")
            lines.append(f"    api key:    {key.api_key}")
            lines.append(f"    secret:     {key.secret}")
            if key.passphrase:
                lines.append(f"    passphrase: {key.passphrase}")
        # One write: a script that reads the first line and stops the server gets it all.
        print("\n".join(lines), flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    return EXIT_OK
