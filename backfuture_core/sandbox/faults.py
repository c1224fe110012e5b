"""Injected faults: their kinds and parameters, and which of them apply to one request.

Kinds and parameters: ``latency(seconds)``, ``timeout(seconds=30)``, ``rate_limit(retry_after=1)``,
``server_error(status=502, html=True)``, ``maintenance``, ``malformed_json``, ``clock_skew(ms)``,
``account(state)``: the key's account is in a state the dialect answers in its own words on the
requests it concerns (e.g. MEXC ``futures_not_opened``, KuCoin ``kyc_required`` or ``unified``;
each dialect's ``ACCOUNT_STATES`` lists its states).
Every kind takes ``count=N`` (only the next N matching requests). A fault applies to every
request (key=None) or only to those naming one API key. Latency and clock skew modify a request
and combine with everything; of the other kinds the first one set applies.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

FAULT_PARAMS: dict[str, frozenset[str]] = {
    "latency": frozenset({"seconds"}),
    "timeout": frozenset({"seconds"}),
    "rate_limit": frozenset({"retry_after"}),
    "server_error": frozenset({"status", "html"}),
    "maintenance": frozenset(),
    "malformed_json": frozenset(),
    "clock_skew": frozenset({"ms"}),
    "account": frozenset({"state"}),
}
FAULT_KINDS = tuple(FAULT_PARAMS)
MODIFIERS = frozenset({"latency", "clock_skew"})  # combine with each other and with the rest


@dataclass
class Fault:
    kind: str
    key: str | None
    params: dict[str, Any]
    remaining: int | None  # None = until cleared


@dataclass(frozen=True)
class Applied:
    """The faults that apply to one request."""

    skew_ms: int
    delay_seconds: float
    terminal: Fault | None  # the one fault that decides the answer, if any


class Faults:
    """The faults currently set (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def set(self, kind: str, key: str | None, params: dict[str, Any]) -> None:
        """Set a fault (see the module docstring); setting a kind again for a key replaces it."""
        if kind not in FAULT_PARAMS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULT_KINDS}")
        params = dict(params)
        count = params.pop("count", None)
        unknown = set(params) - FAULT_PARAMS[kind]
        if unknown:
            raise ValueError(f"fault {kind!r} takes no parameter(s) {sorted(unknown)}")
        if count is not None and int(count) < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(kind, key, params, None if count is None else int(count))
        with self._lock:
            self._faults = [f for f in self._faults if (f.kind, f.key) != (kind, key)]
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, api_key: str | None) -> Applied:
        """The faults for one request (every modifier plus the first other one), counted."""
        taken: list[Fault] = []
        terminal = None
        with self._lock:
            for fault in self._faults:
                if fault.key is not None and fault.key != api_key:
                    continue
                if fault.kind not in MODIFIERS:
                    if terminal is not None:
                        continue
                    terminal = fault
                taken.append(fault)
                if fault.remaining is not None:
                    fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        skew = sum(int(f.params.get("ms", 0)) for f in taken if f.kind == "clock_skew")
        delay = sum(float(f.params.get("seconds", 0)) for f in taken if f.kind == "latency")
        return Applied(skew, delay, terminal)
