"""Shared helpers for the benchmarks: options, ratio lines, the sandbox in a child process."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from backfuture_core.models import Connection, Credentials, Market, Secret
from backfuture_core.sandbox import demo_keys

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LATENCY_MS = 100.0
MAIN_KEY = "MEXC Spot Main (demo)"  # the connection of "one connection" figures


def parse_args(
    description: str, default_repeat: int, argv: Sequence[str] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    add_options(parser, default_repeat)
    return parser.parse_args(argv)


def figure_main(
    doc: str, default_repeat: int, run: Callable[[float, int], object], argv: Sequence[str] | None
) -> None:
    """A figure's command line: its options (see `add_options`), then `run(latency, repeat)`."""
    args = parse_args(doc.splitlines()[0], default_repeat, argv)
    run(args.latency, args.repeat)


def add_options(parser: argparse.ArgumentParser, default_repeat: int | None) -> None:
    parser.add_argument(
        "--latency",
        type=positive,
        default=DEFAULT_LATENCY_MS,
        metavar="MS",
        help="latency the sandbox adds to every request, in ms (default %(default)g)",
    )
    parser.add_argument(
        "-n",
        "--repeat",
        type=at_least_one,
        default=default_repeat,
        metavar="N",
        help="repetitions per measurement; the median is used"
        + (" (default %(default)s)" if default_repeat else " (default: per figure)"),
    )


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 (the ratios divide by it)")
    return value


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


@dataclass(frozen=True)
class Ratio:
    """One figure: a ratio with its raw medians and its target."""

    label: str
    value: float
    detail: str
    op: str  # "<=" or ">="
    target: float
    invalid: str = ""  # why the figure does not measure what it should (e.g. a page error)

    @property
    def ok(self) -> bool:
        if self.invalid:
            return False
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    def __str__(self) -> str:
        verdict = (
            f"NOT MEASURED ({self.invalid})" if self.invalid else "OK" if self.ok else "MISSED"
        )
        return (
            f"{self.label} = {self.value:.2f} ({self.detail}) "
            f"target {self.op} {self.target:g} {verdict}"
        )


def report(line: object) -> None:
    print(line, flush=True)


def reported(ratio: Ratio) -> Ratio:
    """Print a figure as soon as it is measured, and keep it."""
    report(ratio)
    return ratio


class SandboxProcess:
    """The sandbox exchange in a child process, with `latency_ms` added to every request.

    A real exchange's CPU time is not ours: serving the sandbox from the measuring process would
    add its request handling (and its share of the GIL) to BackFuture's figures.
    """

    def __init__(self, latency_ms: float) -> None:
        self.latency_ms = latency_ms
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "bench.sandbox_server", "--latency", f"{self.latency_ms}"]
        self._proc = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.__exit__(None, None, None)
            raise RuntimeError("the sandbox process did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()  # the child serves until its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def base_url(self, exchange: str) -> str:
        return f"{self.url}/{exchange}"


def demo_pairs(base_url: Callable[[str], str]) -> dict[str, tuple[Connection, Credentials]]:
    """A (connection, credentials) pair per sandbox demo key, by label, pointed at `base_url`."""
    pairs = {}
    for number, key in enumerate(demo_keys(), 1):
        connection = Connection(
            number,
            key.label,
            key.exchange,
            Market(key.market),
            key.api_key[-4:],
            api_base_url=base_url(key.exchange),
        )
        credentials = Credentials(
            Secret(key.api_key),
            Secret(key.secret),
            Secret(key.passphrase) if key.passphrase else None,
        )
        pairs[key.label] = (connection, credentials)
    return pairs
