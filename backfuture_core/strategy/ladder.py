"""The reinforcement ladder of one deal: every order's price and size, and the state of the
deal (average entry, break-even, take profit, liquidation) once it and those before it filled.

Pure arithmetic on `StrategyParams` and an entry price; `checks.validate` builds a ladder at a
nominal price to check the settings, the page builds one at the current price to preview it, and
the backtester scales one built at 1.0 to every deal's entry.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from backfuture_core.formatting import format_money
from backfuture_core.strategy.params import StrategyParams, pair_margin_cap
from backfuture_core.strategy.problems import Problem

MAINTENANCE_MARGIN_PCT = 0.5


@dataclass(frozen=True)
class LadderLevel:
    """One order of the ladder and the state of the deal once it (and all before it) filled."""

    index: int  # 0 = base order, 1..n = reinforcements, then recovery orders
    kind: str  # "base" | "reinforcement" | "recovery"
    label: str  # "Base order", "Reinforcement 3", "Recovery 1"
    deviation_pct: float  # how far below the entry price, in %
    price: float
    size: float  # order value in quote
    quantity: float  # in base currency
    cumulative_size: float
    cumulative_quantity: float
    average_price: float
    break_even_price: float  # average price plus the round-trip fee
    take_profit_price: float
    bounce_pct: float  # rise needed from this level's price to the take-profit price, in %
    liquidation_price: float | None  # futures only


LADDER_COLUMNS: tuple[str, ...] = (
    "Level",
    "Type",
    "Drop from entry %",
    "Price",
    "Order size",
    "Quantity",
    "Total size",
    "Total quantity",
    "Average price",
    "Break-even price",
    "Take-profit price",
    "Bounce to exit %",
)
LIQUIDATION_COLUMN = "Liquidation price"  # added after LADDER_COLUMNS for futures only

_KIND_NAMES = {"base": "Base order", "reinforcement": "Reinforcement", "recovery": "Recovery"}


@dataclass(frozen=True)
class Ladder:
    """The orders of one deal for given settings and entry price (see `build_ladder`)."""

    params: StrategyParams
    entry_price: float
    levels: tuple[LadderLevel, ...]
    margin_cap: float | None  # this pair's share of the margin limit, None if unknown
    problems: tuple[Problem, ...] = ()

    @property
    def order_levels(self) -> tuple[LadderLevel, ...]:
        """Base order and reinforcements (no recovery orders)."""
        return tuple(lv for lv in self.levels if lv.kind != "recovery")

    @property
    def recovery_levels(self) -> tuple[LadderLevel, ...]:
        return tuple(lv for lv in self.levels if lv.kind == "recovery")

    @property
    def last_order_level(self) -> LadderLevel:
        return self.order_levels[-1]

    @property
    def _leverage(self) -> float:
        return float(self.params.leverage) if self.params.is_futures else 1.0

    @property
    def total_size(self) -> float:
        """Position value when the base order and every reinforcement filled."""
        return self.last_order_level.cumulative_size

    @property
    def capital_needed(self) -> float:
        """Capital locked by the base order and all reinforcements (value / leverage on futures)."""
        return self.total_size / self._leverage

    @property
    def capital_with_recovery(self) -> float:
        """Capital locked when recovery orders fill too."""
        return self.levels[-1].cumulative_size / self._leverage

    @property
    def max_deviation_pct(self) -> float:
        """How far below entry the last reinforcement sits (the price range the ladder covers)."""
        return self.last_order_level.deviation_pct

    @property
    def max_deviation_with_recovery_pct(self) -> float:
        return self.levels[-1].deviation_pct

    @property
    def average_price(self) -> float:
        """Average entry once every reinforcement filled."""
        return self.last_order_level.average_price

    @property
    def take_profit_price(self) -> float:
        """Take-profit price once every reinforcement filled."""
        return self.last_order_level.take_profit_price

    @property
    def liquidation_price(self) -> float | None:
        """Futures: estimated liquidation price once every reinforcement filled; spot: None."""
        return self.last_order_level.liquidation_price

    @property
    def liquidation_level(self) -> LadderLevel | None:
        """First level the position would not reach because it is liquidated before (futures)."""
        if not self.params.is_futures:
            return None
        for before, level in itertools.pairwise(self.levels):
            if before.liquidation_price is not None and before.liquidation_price >= level.price:
                return level
        return None

    @property
    def liquidation_before_last_level(self) -> bool:
        return self.liquidation_level is not None

    def to_frame(self) -> pd.DataFrame:
        """One row per level with the columns of `LADDER_COLUMNS` (+ liquidation on futures)."""
        rows = []
        for lv in self.levels:
            row = dict(
                zip(
                    LADDER_COLUMNS,
                    (
                        lv.label,
                        _KIND_NAMES[lv.kind],
                        lv.deviation_pct,
                        lv.price,
                        lv.size,
                        lv.quantity,
                        lv.cumulative_size,
                        lv.cumulative_quantity,
                        lv.average_price,
                        lv.break_even_price,
                        lv.take_profit_price,
                        lv.bounce_pct,
                    ),
                    strict=True,
                )
            )
            if self.params.is_futures:
                row[LIQUIDATION_COLUMN] = lv.liquidation_price
            rows.append(row)
        columns = list(LADDER_COLUMNS) + ([LIQUIDATION_COLUMN] if self.params.is_futures else [])
        return pd.DataFrame(rows, columns=columns)

    def summary(self, quote_balance: float | None = None) -> dict[str, str]:
        """Plain-English key figures of the ladder ("stress preview")."""
        q = self.params.quote
        last = self.last_order_level
        out = {
            "Capital needed": format_money(self.capital_needed, q),
            "Price drop covered": f"{self.max_deviation_pct:.2f} %",
            "Average entry if all fill": f"{last.average_price:,.6g}",
            "Take profit if all fill": f"{last.take_profit_price:,.6g}",
            "Bounce needed from the last order": f"{last.bounce_pct:.2f} %",
        }
        if self.recovery_levels:
            out["Recovery orders"] = str(len(self.recovery_levels))
            out["Capital with Recovery Mode"] = format_money(self.capital_with_recovery, q)
            out["Price drop covered with Recovery Mode"] = (
                f"{self.max_deviation_with_recovery_pct:.2f} %"
            )
        if quote_balance:
            n_pairs = max(len(self.params.pairs), 1)
            share = self.capital_needed * n_pairs / quote_balance * 100
            out["Share of balance locked"] = f"{share:.1f} %"
        if self.liquidation_price is not None:
            out["Liquidation price (estimate)"] = f"{self.liquidation_price:,.6g}"
            out["Liquidation before the last order"] = (
                "Yes" if self.liquidation_before_last_level else "No"
            )
        return out


def take_profit_price(average_price: float, target_pct: float, fee_pct: float) -> float:
    """max(avg·(1 + target), break-even) with break-even = avg·(1 + fee) / (1 − fee)."""
    fee = fee_pct / 100
    return max(average_price * (1 + target_pct / 100), average_price * (1 + fee) / (1 - fee))


def reinforcement_deviations(params: StrategyParams) -> list[float]:
    """Cumulative deviation from entry (in %) of reinforcements 1..n: D_n = d·(1+s+…+s^(n-1))."""
    out, gap, total = [], float(params.first_step_pct), 0.0
    for _ in range(int(params.reinforcement_count)):
        total += gap
        out.append(total)
        gap *= params.step_scale
    return out


def build_ladder(
    params: StrategyParams, entry_price: float, *, quote_balance: float | None = None
) -> Ladder:
    """Every order of one deal opened at `entry_price`.

    Level 0 is the base order at the entry price. Reinforcement n sits at
    ``P_n = P0·(1 − D_n)`` with ``D_n = d·(1 + s + … + s^(n−1))`` and has size
    ``V_n = V1·v^(n−1)``. With Recovery Mode on, recovery order 1 sits `recovery_trigger_pct`
    below the last reinforcement price and each next one `recovery_step_pct` below the previous
    one. Recovery orders continue the volume scale (``V1·v^(n+k−1)``) but together never exceed
    what is left of this pair's margin limit (its cap minus the ladder's capital); orders that do
    not fit are dropped and the last one may be reduced. With no known cap (no balance and no
    margin limit amount) they keep their natural size.

    Raises ValueError when the entry price is not positive or a reinforcement would sit at or
    below zero (`checks.validate` reports that as a Problem).
    """
    if not (
        isinstance(entry_price, numbers.Real) and math.isfinite(entry_price) and entry_price > 0
    ):
        raise ValueError("The entry price must be a positive number.")
    deviations = reinforcement_deviations(params)
    if deviations and deviations[-1] >= 100:
        raise ValueError("A reinforcement order would sit at or below a price of zero.")

    fee_pct = params.fee_pct
    fee = fee_pct / 100
    futures = params.is_futures
    leverage = float(params.leverage) if futures else 1.0
    liq_factor = 1 - 1 / leverage + MAINTENANCE_MARGIN_PCT / 100
    p0 = float(entry_price)
    levels: list[LadderLevel] = []
    cum_size = cum_qty = 0.0

    def add(kind: str, number: int, price: float, size: float) -> None:
        nonlocal cum_size, cum_qty
        qty = size / price
        cum_size += size
        cum_qty += qty
        avg = cum_size / cum_qty
        target = params.recovery_target_pct if kind == "recovery" else params.take_profit_pct
        tp = take_profit_price(avg, target, fee_pct)
        label = "Base order" if kind == "base" else f"{_KIND_NAMES[kind]} {number}"
        levels.append(
            LadderLevel(
                index=len(levels),
                kind=kind,
                label=label,
                deviation_pct=(1 - price / p0) * 100,
                price=price,
                size=size,
                quantity=qty,
                cumulative_size=cum_size,
                cumulative_quantity=cum_qty,
                average_price=avg,
                break_even_price=avg * (1 + fee) / (1 - fee),
                take_profit_price=tp,
                bounce_pct=(tp / price - 1) * 100,
                liquidation_price=avg * liq_factor if futures else None,
            )
        )

    add("base", 0, p0, float(params.base_order))
    size = float(params.reinforcement_size)
    for n, dev in enumerate(deviations, 1):
        add("reinforcement", n, p0 * (1 - dev / 100), size)
        size *= params.volume_scale

    cap = pair_margin_cap(params, quote_balance)
    problems: list[Problem] = []
    if params.recovery_enabled:
        problems.extend(_add_recovery(params, levels, add, size, cap, leverage))
    return Ladder(params, p0, tuple(levels), cap, tuple(problems))


def _add_recovery(
    params: StrategyParams,
    levels: list[LadderLevel],
    add: Callable[[str, int, float, float], None],
    natural_size: float,
    cap: float | None,
    leverage: float,
) -> list[Problem]:
    quote = params.quote or "quote"
    count = int(params.recovery_count)
    ladder_capital = levels[-1].cumulative_size / leverage
    left = None if cap is None else cap - ladder_capital
    if left is not None and left <= 1e-9:
        return [
            Problem(
                "recovery_enabled",
                "Recovery Mode has no room: the ladder already uses the whole margin limit, so "
                "no recovery order can be placed.",
                "warning",
            )
        ]
    left_value = None if left is None else left * leverage  # order value the margin can back
    price = levels[-1].price * (1 - params.recovery_trigger_pct / 100)
    size, placed = natural_size, 0
    reduced_to: float | None = None
    for k in range(1, count + 1):
        order = size
        if left_value is not None:
            if left_value <= 1e-9:
                break
            if order > left_value:
                order = reduced_to = left_value
            left_value -= order
        add("recovery", k, price, order)
        placed += 1
        price *= 1 - params.recovery_step_pct / 100
        size *= params.volume_scale
    if left is None or (placed >= count and reduced_to is None):
        return []
    last = (
        f", the last one reduced to an order of {format_money(reduced_to, quote)}"
        if reduced_to is not None
        else ""
    )
    return [
        Problem(
            "recovery_count",
            f"The margin limit leaves {format_money(left, quote)} for Recovery Mode: "
            f"{placed} of {count} recovery orders fit{last}.",
            "warning",
        )
    ]
