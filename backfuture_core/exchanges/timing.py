"""The adapter's sense of time: its clocks, its sleep and its back-off jitter, in one object.

Production uses the system's; tests pass their own (`create_adapter(..., timing=...)`, or
`diagnostics` run functions' adapter options) so that retries, Retry-After and deadlines run
on an injected clock and no test waits for real.
"""

from __future__ import annotations

import asyncio
import random
import time


class Timing:
    """The system clock, `asyncio.sleep` and `random.random`; subclass to fake any of them."""

    def now(self) -> float:
        """Monotonic seconds, for deadlines."""
        return time.monotonic()

    def wall_ms(self) -> float:
        """Wall-clock milliseconds since the epoch, to compare with the exchange's clock."""
        return time.time() * 1000

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def jitter(self) -> float:
        """A number in [0, 1) that spreads retries apart (not cryptographic)."""
        return random.random()


SYSTEM_TIMING = Timing()
