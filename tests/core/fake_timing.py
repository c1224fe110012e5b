"""An injected clock for the exchange adapter: sleeping moves time forward at once.

`FakeTiming.sleeps` records every wait the adapter asked for, so a test proves it waited (for
example at least a Retry-After) without waiting for real. Its clocks are the real ones plus the
time slept; `on_advance` lets a test move another clock (the sandbox's) along with it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from backfuture_core.exchanges.timing import Timing


class FakeTiming(Timing):
    def __init__(
        self, *, jitter: float = 0.0, on_advance: Callable[[float], None] | None = None
    ) -> None:
        self.offset = 0.0  # seconds slept so far, added to both clocks
        self.sleeps: list[float] = []
        self._jitter = jitter
        self._on_advance = on_advance

    def now(self) -> float:
        return time.monotonic() + self.offset

    def wall_ms(self) -> float:
        return (time.time() + self.offset) * 1000

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        if self._on_advance is not None:
            self._on_advance(self.offset)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is

    def jitter(self) -> float:
        return self._jitter
