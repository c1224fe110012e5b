"""Kill trials: a process writing BackFuture's data is killed (SIGKILL) at random points; after
each kill the database must pass SQLite's `PRAGMA integrity_check`, the vault must open and
every saved secret must decrypt, and no write the writer saw committed may be missing.

    python -m bench.kill_trials [-n 100] [--seed 1]

The writer (a forked child, so it starts at once) adds connections, saves test reports, sets,
changes and removes the master passphrase and stores settled order history, in a random order,
telling the parent before each step; the parent kills it after a random number of steps, so the
kill lands anywhere in a write, including the first start (keyfile and database creation). The
trials share one data folder, so each starts from what the previous kill left. Not a benchmark
of speed: it prints counts. tests/core/test_kill_writes.py runs a few trials in CI.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

from backfuture_core.config import KdfParams, Settings
from backfuture_core.errors import BackfutureError, VaultLocked, WrongMasterKey
from backfuture_core.security.vault import Vault, open_vault, remove_passphrase, set_passphrase
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import open_db

PASSPHRASES = ("first master passphrase", "second master passphrase")
FAST_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)  # the writer changes it often
KEYS = {"api_key": "mx0vglAPIKEY1234", "secret": "SECRETvalue0123456789"}


@dataclass
class Counts:
    trials: int = 0
    kills: int = 0
    integrity_failures: int = 0
    undecryptable_secrets: int = 0
    lost_writes: int = 0
    writer_errors: int = 0  # the writer stopped on its own: its start or a write raised
    secrets_checked: int = 0
    steps: dict[str, int] = field(default_factory=dict)

    @property
    def corruptions(self) -> int:
        return (
            self.integrity_failures
            + self.undecryptable_secrets
            + self.lost_writes
            + self.writer_errors
        )

    def __str__(self) -> str:
        steps = ", ".join(f"{k} {v}" for k, v in sorted(self.steps.items()))
        return (
            f"kill trials: {self.trials}, killed mid-run: {self.kills}, writes started: {steps}\n"
            f"integrity check failures: {self.integrity_failures}, secrets checked: "
            f"{self.secrets_checked}, secrets that did not decrypt: "
            f"{self.undecryptable_secrets}, committed writes lost: {self.lost_writes}, writer "
            f"errors: {self.writer_errors}"
        )


def unlock(db, settings: Settings) -> tuple[Vault, str | None]:
    """The vault with whichever key protects it now, and that passphrase (None: keyfile)."""
    for passphrase in (None, *PASSPHRASES):
        try:
            return open_vault(db, settings, passphrase), passphrase
        except (VaultLocked, WrongMasterKey):
            continue
    raise WrongMasterKey("none of the trial's keys opens the vault")


# --- The writer (a forked child) ---------------------------------------------------------------


def _history(db, connection, step: int) -> None:
    from backfuture_core.portfolio.results import Activity
    from backfuture_core.portfolio.rows import ORDER_COLUMNS, TRADE_COLUMNS, tag_rows, to_frame
    from backfuture_core.portfolio.settled import with_settled

    start = 1_700_000_000_000 + step * 60_000
    orders = [
        {
            "market": "spot", "time": start + i, "symbol": "BTC/USDT", "quote": "USDT",
            "side": "buy", "type": "limit", "status": "closed", "price": 100.0, "average": 100.0,
            "amount": 1.0, "filled": 1.0, "cost": 100.0, "order_id": f"{step}-{i}",
        }
        for i in range(20)
    ]  # fmt: skip
    with_settled(
        db,
        connection,
        Activity(
            connection_id=connection.id,
            connection=connection.name,
            exchange=connection.exchange,
            orders=to_frame(tag_rows(orders, connection), ORDER_COLUMNS),
            trades=to_frame([], TRADE_COLUMNS),
            since_ms=start,
            until_ms=start + 60_000,
            coverage={("spot", "orders", "BTC/USDT"): (start, start + 60_000)},
        ),
    )


def _writer(settings: Settings, pipe: Pipe, seed: int) -> None:
    from backfuture_core.diagnostics.reports import save_report
    from backfuture_core.diagnostics.run import failure_report
    from backfuture_core.errors import ExchangeError

    rng = random.Random(seed)
    pipe.send(("open", None))
    db = open_db(settings.db_path)
    vault, passphrase = unlock(db, settings)

    def add(step: int) -> None:
        name = f"Trial {seed} step {step}"
        form = core.ConnectionForm(exchange="mexc", name=name, market="spot", **KEYS)
        core.add_connection(db, vault, form)
        pipe.send(("committed", name))

    def report(step: int) -> None:
        connections = core.list_connections(db)
        if connections:
            target = rng.choice(connections)
            save_report(db, target.id, failure_report(target, ExchangeError("rate_limited")))

    def passphrase_change(step: int) -> None:
        nonlocal passphrase
        if passphrase is None:
            set_passphrase(db, settings, vault, PASSPHRASES[0])
            passphrase = PASSPHRASES[0]
        elif passphrase == PASSPHRASES[0]:
            set_passphrase(db, settings, vault, PASSPHRASES[1], passphrase)
            passphrase = PASSPHRASES[1]
        else:
            remove_passphrase(db, settings, vault, passphrase)
            passphrase = None

    def history(step: int) -> None:
        connections = core.list_connections(db)
        if connections:
            _history(db, rng.choice(connections), step)

    steps: dict[str, Callable[[int], None]] = {
        "add": add,
        "report": report,
        "passphrase": passphrase_change,
        "history": history,
    }
    for step in range(1_000_000):
        kind = rng.choice(list(steps))
        pipe.send(("step", kind))
        steps[kind](step)


# --- The trials --------------------------------------------------------------------------------


def _check(settings: Settings, committed: list[str], counts: Counts) -> None:
    """What a kill must never cause: a damaged file, a secret that does not decrypt, a lost
    committed write. Opening the data is the next start, as the app would make it."""
    if settings.db_path.exists():
        conn = sqlite3.connect(settings.db_path)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                counts.integrity_failures += 1
        finally:
            conn.close()
    db = open_db(settings.db_path)
    try:
        vault, _ = unlock(db, settings)
        names = set()
        for connection in core.list_connections(db):
            names.add(connection.name)
            counts.secrets_checked += 1
            try:
                keys = core.load_credentials(db, vault, connection.id)
                if keys.secret.reveal() != KEYS["secret"]:
                    counts.undecryptable_secrets += 1
            except BackfutureError:
                counts.undecryptable_secrets += 1
        counts.lost_writes += len(set(committed) - names)
    finally:
        db.close()


def run_trials(n: int, data: Path, *, seed: int = 1, max_steps: int = 40) -> Counts:
    """`n` kill trials on the data folder `data` (a new one for a first start)."""
    settings = Settings(data_dir=data / "data", key_dir=data / "keys", kdf=FAST_KDF)
    rng, counts, committed = random.Random(seed), Counts(), []
    fork = multiprocessing.get_context("fork")
    for trial in range(n):
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_writer, args=(settings, send, seed * 1000 + trial))
        child.start()
        send.close()
        try:
            for _ in range(rng.randint(1, max_steps)):
                try:
                    kind, value = receive.recv()
                except EOFError:  # the writer stopped on its own (an error): no kill to count
                    break
                if kind == "committed":
                    committed.append(value)
                else:
                    counts.steps[value or "open"] = counts.steps.get(value or "open", 0) + 1
        finally:
            if child.pid is not None and child.exitcode is None:
                os.kill(child.pid, signal.SIGKILL)
            child.join()
            receive.close()
        counts.kills += child.exitcode == -signal.SIGKILL
        counts.writer_errors += child.exitcode not in (-signal.SIGKILL, 0)
        counts.trials += 1
        _check(settings, committed, counts)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kill_trials", description=__doc__)
    parser.add_argument("-n", type=int, default=100, help="trials (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="backfuture-kill-") as folder:
        counts = run_trials(args.n, Path(folder), seed=args.seed)
    print(counts)
    print(f"corruptions: {counts.corruptions}")


if __name__ == "__main__":
    main()
