"""DCA strategy: parameter schema, risk presets, validation and the reinforcement ladder.

BackFuture's strategy trades **long deals only**. A deal buys a base order at the market, rests
reinforcement ("renfort") limit orders below it, and sells the whole position at the take-profit
price above the average entry. Recovery Mode adds a few wider-spaced recovery orders when the price
falls beyond the last reinforcement and then exits near break-even instead of at the full take profit.

Conventions used throughout:

* Order sizes (base order, reinforcements, recovery orders) are **quote amounts of position value**
  (notional). On futures the capital locked is that value divided by the leverage.
* The margin limit covers the whole strategy, all pairs together; each pair gets an equal share.
  ``margin_limit_pct`` is a share of the quote balance, ``margin_limit_amount`` an absolute amount
  (0 = none); when both are set the smaller one applies.
* Fees are charged in quote on every fill: ``fee_pct`` of the fill's value.
* Take-profit price = ``max(avg * (1 + take_profit), break-even)`` where
  break-even = ``avg * (1 + fee) / (1 - fee)``: the round-trip fee is always covered.
  Recovery levels use ``recovery_target_pct`` the same way (0 % = exit exactly at break-even).
* Liquidation (futures) is an isolated-margin long estimate:
  ``avg * (1 - 1/leverage + 0.5 %)`` (0.5 % maintenance margin). With cross margin the whole balance
  backs the position, so the real liquidation is further away; the estimate stays the cautious one.
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

MARKETS = ("spot", "futures")
RISK_LEVELS = ("Conservative", "Balanced", "Aggressive", "Custom")
MARGIN_MODES = ("isolated", "cross")
MAINTENANCE_MARGIN_PCT = 0.5
LEVERAGE_WARNING_ABOVE = 5
REINFORCEMENT_WARNING_ABOVE = 20

_SYMBOL = re.compile(r"^[A-Z0-9]{1,20}/([A-Z0-9]{1,20})(?::[A-Z0-9]{1,20})?$")


# --- Parameters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrategyParams:
    """All settings of one DCA strategy. Defaults are the Balanced preset on spot.

    The dataclass accepts any values (a page builds it straight from its widgets); call
    `validate` to learn what is wrong with them.
    """

    pairs: tuple[str, ...] = ("BTC/USDT",)
    market: str = "spot"
    risk_level: str = "Balanced"
    margin_limit_pct: float = 40.0
    margin_limit_amount: float = 0.0
    base_order: float = 15.0
    reinforcement_count: int = 7
    first_step_pct: float = 1.5
    step_scale: float = 1.4
    volume_scale: float = 1.4
    max_active_reinforcements: int = 3
    reinforcement_size: float = 15.0
    take_profit_pct: float = 1.5
    stop_loss_pct: float = 0.0
    leverage: int = 1
    margin_mode: str = "isolated"
    fee_pct: float = 0.1
    recovery_enabled: bool = True
    recovery_trigger_pct: float = 6.0
    recovery_count: int = 3
    recovery_step_pct: float = 6.0
    recovery_target_pct: float = 0.3

    def __post_init__(self) -> None:
        pairs = self.pairs
        if isinstance(pairs, str):
            pairs = (pairs,)
        pairs = tuple(str(p).strip().upper() for p in pairs)
        object.__setattr__(self, "pairs", pairs)

    @property
    def quote(self) -> str:
        """Quote currency of the first pair ("USDT" for "BTC/USDT"), "" without pairs."""
        if not self.pairs:
            return ""
        return _quote_of(self.pairs[0]) or ""

    @property
    def is_futures(self) -> bool:
        return self.market == "futures"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (pairs as a list)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["pairs"] = list(self.pairs)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StrategyParams:
        """Inverse of `to_dict`; unknown keys are ignored, missing ones take the defaults."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "pairs" in values and not isinstance(values["pairs"], str):
            values["pairs"] = tuple(values["pairs"])
        return cls(**values)


@dataclass(frozen=True)
class Parameter:
    """One numeric setting, described so that a page can draw a slider for it generically.

    `min`..`max` is the slider range. `hard_max`, when set, is the validation limit; values
    between `max` and `hard_max` are accepted with a warning. `unit` is "%", "quote" (the pair's
    quote currency), "x" (a multiplier) or "" (a count).
    """

    name: str
    label: str
    help: str
    min: float
    max: float
    step: float
    default: float
    unit: str
    integer: bool = False
    hard_max: float | None = None
    group: str = "Orders"
    futures_only: bool = False

    @property
    def limit(self) -> float:
        """Largest value `validate` accepts without an error."""
        return self.max if self.hard_max is None else self.hard_max


def _default(name: str) -> Any:
    return StrategyParams.__dataclass_fields__[name].default


def _param(name: str, label: str, help: str, lo: float, hi: float, step: float, unit: str, **kw):
    return Parameter(name, label, help, lo, hi, step, _default(name), unit, **kw)


PARAMETERS: tuple[Parameter, ...] = (
    _param(
        "margin_limit_pct",
        "Margin limit",
        "Largest share of your quote balance the strategy may lock, all pairs together.",
        5,
        100,
        1,
        "%",
        group="Risk",
    ),
    _param(
        "margin_limit_amount",
        "Margin limit amount",
        "Optional cap in the quote currency (0 = none). When both limits are set, the smaller "
        "one applies.",
        0,
        1_000_000,
        10,
        "quote",
        group="Risk",
    ),
    _param(
        "base_order",
        "Base order",
        "Size of the first buy of every deal, in the quote currency.",
        1,
        100_000,
        1,
        "quote",
    ),
    _param(
        "reinforcement_count",
        "Reinforcement orders",
        "How many extra buys (renfort orders) a deal may add as the price falls.",
        0,
        20,
        1,
        "",
        integer=True,
        hard_max=50,
    ),
    _param(
        "first_step_pct",
        "First step",
        "How far below the entry price the first reinforcement order sits.",
        0.2,
        10,
        0.1,
        "%",
    ),
    _param(
        "step_scale",
        "Step scale",
        "Each gap between reinforcement orders is this many times the previous gap.",
        0.5,
        3,
        0.05,
        "x",
    ),
    _param(
        "volume_scale",
        "Volume scale",
        "Each reinforcement order is this many times the size of the previous one.",
        1,
        3,
        0.05,
        "x",
    ),
    _param(
        "max_active_reinforcements",
        "Active reinforcements",
        "How many reinforcement orders rest on the exchange at once; the next one is placed "
        "when one fills. At most the number of reinforcement orders.",
        1,
        20,
        1,
        "",
        integer=True,
        hard_max=50,
    ),
    _param(
        "reinforcement_size",
        "First reinforcement size",
        "Size of the first reinforcement order, in the quote currency.",
        1,
        100_000,
        1,
        "quote",
    ),
    _param(
        "take_profit_pct",
        "Take profit",
        "The deal sells everything this far above its average entry price (never below "
        "break-even after fees).",
        0.3,
        10,
        0.1,
        "%",
        group="Exit",
    ),
    _param(
        "stop_loss_pct",
        "Stop loss",
        "Close the deal at a loss when the price falls this far below the first entry (0 = off).",
        0,
        50,
        0.5,
        "%",
        group="Exit",
    ),
    _param(
        "leverage",
        "Leverage",
        "Futures only. Above 5x a small drop can liquidate the position.",
        1,
        20,
        1,
        "x",
        integer=True,
        group="Futures",
        futures_only=True,
    ),
    _param(
        "fee_pct",
        "Trading fee",
        "Fee the exchange charges on every fill.",
        0,
        1,
        0.01,
        "%",
        group="Exit",
    ),
    _param(
        "recovery_trigger_pct",
        "Recovery trigger",
        "How far below the last reinforcement price the price must fall before Recovery Mode "
        "starts.",
        1,
        30,
        0.5,
        "%",
        group="Recovery Mode",
    ),
    _param(
        "recovery_count",
        "Recovery orders",
        "How many recovery orders Recovery Mode may add, within what is left of the margin limit.",
        1,
        10,
        1,
        "",
        integer=True,
        group="Recovery Mode",
    ),
    _param(
        "recovery_step_pct",
        "Recovery step",
        "Gap between recovery orders, each this far below the previous one.",
        1,
        20,
        0.5,
        "%",
        group="Recovery Mode",
    ),
    _param(
        "recovery_target_pct",
        "Recovery take profit",
        "Take profit used once a deal is in Recovery Mode: close to break-even after fees.",
        0,
        2,
        0.05,
        "%",
        group="Recovery Mode",
    ),
)

PARAMETER_BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}

CHOICES: dict[str, tuple[str, ...]] = {
    "market": MARKETS,
    "risk_level": RISK_LEVELS,
    "margin_mode": MARGIN_MODES,
}

FIELD_LABELS: dict[str, str] = {
    "pairs": "Pairs",
    "market": "Market",
    "risk_level": "Risk level",
    "margin_mode": "Margin mode",
    "recovery_enabled": "Recovery Mode",
    **{p.name: p.label for p in PARAMETERS},
}


# --- Presets -----------------------------------------------------------------------------------

# Values for every field except pairs and market (kept from the current settings), risk_level
# (set to the preset's name), fee_pct (a fact of the exchange) and margin_limit_amount (a hard cap
# the user set on purpose; a preset never lifts it). Leverage applies to futures only: on spot a
# preset keeps leverage at 1.
PRESETS: dict[str, dict[str, Any]] = {
    "Conservative": {
        "margin_limit_pct": 25.0,
        "base_order": 10.0,
        "reinforcement_count": 5,
        "first_step_pct": 2.5,
        "step_scale": 1.3,
        "volume_scale": 1.2,
        "max_active_reinforcements": 2,
        "reinforcement_size": 10.0,
        "take_profit_pct": 1.0,
        "stop_loss_pct": 40.0,
        "leverage": 1,
        "margin_mode": "isolated",
        "recovery_enabled": True,
        "recovery_trigger_pct": 8.0,
        "recovery_count": 2,
        "recovery_step_pct": 8.0,
        "recovery_target_pct": 0.3,
    },
    "Balanced": {
        "margin_limit_pct": 40.0,
        "base_order": 15.0,
        "reinforcement_count": 7,
        "first_step_pct": 1.5,
        "step_scale": 1.4,
        "volume_scale": 1.4,
        "max_active_reinforcements": 3,
        "reinforcement_size": 15.0,
        "take_profit_pct": 1.5,
        "stop_loss_pct": 0.0,
        "leverage": 2,
        "margin_mode": "isolated",
        "recovery_enabled": True,
        "recovery_trigger_pct": 6.0,
        "recovery_count": 3,
        "recovery_step_pct": 6.0,
        "recovery_target_pct": 0.3,
    },
    "Aggressive": {
        "margin_limit_pct": 60.0,
        "base_order": 20.0,
        "reinforcement_count": 8,
        "first_step_pct": 1.0,
        "step_scale": 1.4,
        "volume_scale": 1.6,
        "max_active_reinforcements": 4,
        "reinforcement_size": 20.0,
        "take_profit_pct": 2.5,
        "stop_loss_pct": 0.0,
        "leverage": 3,
        "margin_mode": "isolated",
        "recovery_enabled": True,
        "recovery_trigger_pct": 4.0,
        "recovery_count": 4,
        "recovery_step_pct": 4.0,
        "recovery_target_pct": 0.5,
    },
}


def apply_preset(params: StrategyParams, name: str) -> StrategyParams:
    """Fill in a risk level's values; pairs, market, fee and margin limit amount are kept.

    "Custom" only relabels the current values.
    """
    if name == "Custom":
        return replace(params, risk_level="Custom")
    if name not in PRESETS:
        raise ValueError(f"Unknown risk level {name!r}; choose one of {', '.join(RISK_LEVELS)}.")
    values = dict(PRESETS[name])
    if params.market != "futures":
        values["leverage"] = 1
    return replace(params, risk_level=name, **values)


def matching_preset(params: StrategyParams) -> str:
    """Name of the preset whose values all match `params` (leverage ignored on spot), else "Custom"."""
    for name, values in PRESETS.items():
        if all(
            _same(getattr(params, key), value)
            for key, value in values.items()
            if not (key == "leverage" and params.market != "futures")
        ):
            if params.market != "futures" and params.leverage != 1:
                continue
            return name
    return "Custom"


def with_matching_risk_level(params: StrategyParams) -> StrategyParams:
    """`params` with risk_level set to `matching_preset(params)` (for a page after an edit)."""
    return replace(params, risk_level=matching_preset(params))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a == b
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


# --- Problems and validation -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings; `field` names the StrategyParams field to highlight."""

    field: str
    message: str
    severity: str = "error"  # "error" blocks the strategy, "warning" only informs

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def has_errors(problems: list[Problem] | tuple[Problem, ...]) -> bool:
    return any(p.is_error for p in problems)


def format_number(value: float) -> str:
    """1234.5 -> "1,234.5"; 10.0 -> "10"; at most two decimals."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_money(amount: float, quote: str) -> str:
    """1234.5, "USDT" -> "1,234.50 USDT"."""
    return f"{amount:,.2f} {quote or 'quote'}".rstrip()


def format_with_unit(value: float, unit: str, quote: str = "") -> str:
    number = format_number(value)
    if unit == "%":
        return f"{number} %"
    if unit == "x":
        return f"{number}×"
    if unit == "quote":
        return f"{number} {quote or 'quote'}"
    return number


def margin_cap(params: StrategyParams, quote_balance: float | None = None) -> float | None:
    """The margin limit in quote for the whole strategy, or None when it cannot be known.

    It is the smaller of ``quote_balance * margin_limit_pct`` (when the balance is known) and
    ``margin_limit_amount`` (when it is not 0).
    """
    caps = []
    if quote_balance is not None and math.isfinite(quote_balance):
        caps.append(max(quote_balance, 0.0) * params.margin_limit_pct / 100)
    if params.margin_limit_amount and params.margin_limit_amount > 0:
        caps.append(float(params.margin_limit_amount))
    return min(caps) if caps else None


def pair_margin_cap(params: StrategyParams, quote_balance: float | None = None) -> float | None:
    """Each pair's equal share of `margin_cap`."""
    cap = margin_cap(params, quote_balance)
    return None if cap is None else cap / max(len(params.pairs), 1)


def _quote_of(symbol: str) -> str | None:
    match = _SYMBOL.match(symbol)
    return match.group(1) if match else None


def _check_number(spec: Parameter, value: Any, quote: str) -> Problem | None:
    label = spec.label
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return Problem(spec.name, f"{label} must be a number.")
    if not math.isfinite(value):
        return Problem(spec.name, f"{label} must be a number.")
    if spec.integer and not float(value).is_integer():
        return Problem(spec.name, f"{label} must be a whole number.")
    if value < spec.min or value > spec.limit:
        lo = format_with_unit(spec.min, spec.unit, quote)
        hi = format_with_unit(spec.limit, spec.unit, quote)
        return Problem(spec.name, f"{label} must be between {lo} and {hi}.")
    return None


def reinforcement_deviations(params: StrategyParams) -> list[float]:
    """Cumulative deviation from entry (in %) of reinforcements 1..n: D_n = d·(1+s+…+s^(n-1))."""
    out, gap, total = [], float(params.first_step_pct), 0.0
    for _ in range(int(params.reinforcement_count)):
        total += gap
        out.append(total)
        gap *= params.step_scale
    return out


def validate(params: StrategyParams, *, quote_balance: float | None = None) -> list[Problem]:
    """Everything wrong with `params`, errors first. An empty list means the strategy can run.

    `quote_balance` (the connection's free quote balance) enables the margin-limit checks that
    need it; without it only `margin_limit_amount` can be checked against the ladder.
    """
    problems: list[Problem] = []
    quote = params.quote or "quote"
    numeric_ok = True

    for spec in PARAMETERS:
        problem = _check_number(spec, getattr(params, spec.name), quote)
        if problem:
            problems.append(problem)
            numeric_ok = False

    for name, options in CHOICES.items():
        if getattr(params, name) not in options:
            choices = ", ".join(options[:-1]) + " or " + options[-1]
            problems.append(Problem(name, f"{FIELD_LABELS[name]} must be {choices}."))
    if not isinstance(params.recovery_enabled, bool):
        problems.append(Problem("recovery_enabled", "Recovery Mode must be on or off."))

    problems.extend(_pair_problems(params.pairs))

    if numeric_ok:
        problems.extend(_cross_field_problems(params, quote))
    if numeric_ok and params.market in MARKETS:
        problems.extend(_ladder_problems(params, quote, quote_balance))

    return sorted(problems, key=lambda p: not p.is_error)


def _pair_problems(pairs: tuple[str, ...]) -> list[Problem]:
    if not pairs:
        return [Problem("pairs", "Choose at least one pair.")]
    problems = []
    quotes: list[str] = []
    seen: set[str] = set()
    for pair in pairs:
        quote = _quote_of(pair)
        if quote is None:
            problems.append(Problem("pairs", f'"{pair}" is not a pair like BTC/USDT.'))
            continue
        if pair in seen:
            problems.append(Problem("pairs", f"{pair} is listed twice."))
        seen.add(pair)
        if quote not in quotes:
            quotes.append(quote)
    if len(quotes) > 1:
        problems.append(
            Problem(
                "pairs",
                f"All pairs must share one quote currency; found {' and '.join(quotes)}.",
            )
        )
    return problems


def _cross_field_problems(params: StrategyParams, quote: str) -> list[Problem]:
    problems = []
    count = int(params.reinforcement_count)
    if count > REINFORCEMENT_WARNING_ABOVE:
        problems.append(
            Problem(
                "reinforcement_count",
                f"More than {REINFORCEMENT_WARNING_ABOVE} reinforcement orders is unusual: each "
                "one is bigger than the last and the deepest ones rarely fill.",
                "warning",
            )
        )
    if count >= 1 and params.max_active_reinforcements > count:
        problems.append(
            Problem(
                "max_active_reinforcements",
                f"Active reinforcements ({params.max_active_reinforcements}) cannot be more than "
                f"the number of reinforcement orders ({count}).",
            )
        )
    if params.market == "spot" and params.leverage != 1:
        problems.append(Problem("leverage", "Leverage is only for futures; set it to 1 for spot."))
    if params.market == "futures" and params.leverage > LEVERAGE_WARNING_ABOVE:
        problems.append(
            Problem(
                "leverage",
                f"Leverage {format_number(params.leverage)}× is high: a drop of about "
                f"{100 / params.leverage:.1f} % wipes out a position's margin.",
                "warning",
            )
        )
    fee = params.fee_pct / 100
    round_trip_pct = ((1 + fee) / (1 - fee) - 1) * 100
    if params.take_profit_pct <= round_trip_pct:
        problems.append(
            Problem(
                "take_profit_pct",
                f"Take profit ({format_number(params.take_profit_pct)} %) does not cover the "
                f"round-trip fee (about {round_trip_pct:.2f} %); deals would close at break-even.",
                "warning",
            )
        )
    return problems


def _ladder_problems(
    params: StrategyParams, quote: str, quote_balance: float | None
) -> list[Problem]:
    problems = []
    deviations = reinforcement_deviations(params)
    too_deep = next((i for i, d in enumerate(deviations, 1) if d >= 100), None)
    if too_deep is not None:
        return [
            Problem(
                "first_step_pct",
                f"Reinforcement {too_deep} would sit {deviations[too_deep - 1]:,.1f} % below the "
                "entry price; lower the first step, the step scale or the number of "
                "reinforcement orders.",
            )
        ]

    balance_known = quote_balance is not None
    if balance_known and (not math.isfinite(quote_balance) or quote_balance <= 0):
        problems.append(
            Problem(
                "margin_limit_pct",
                f"Your {quote} balance is empty, so the strategy cannot place any order.",
            )
        )
        balance_known = False
        quote_balance = None

    ladder = build_ladder(params, 100.0, quote_balance=quote_balance)
    problems.extend(ladder.problems)

    cap = margin_cap(params, quote_balance)
    n_pairs = max(len(params.pairs), 1)
    total = ladder.capital_needed * n_pairs
    if cap is not None and total > cap * (1 + 1e-12):
        amount_binds = params.margin_limit_amount > 0 and (
            not balance_known or params.margin_limit_amount <= cap + 1e-9
        )
        field = "margin_limit_amount" if amount_binds else "margin_limit_pct"
        needs = (
            f"The ladder needs {format_money(total, quote)}"
            if n_pairs == 1
            else f"The ladders need {format_money(total, quote)} ({n_pairs} pairs × "
            f"{format_money(ladder.capital_needed, quote)})"
        )
        problems.append(
            Problem(field, f"{needs} but the margin limit allows {format_money(cap, quote)}.")
        )
    if (
        balance_known
        and params.margin_limit_amount > 0
        and params.margin_limit_amount > quote_balance
    ):
        problems.append(
            Problem(
                "margin_limit_amount",
                f"The margin limit amount ({format_money(params.margin_limit_amount, quote)}) is "
                f"more than your balance ({format_money(quote_balance, quote)}); the balance is "
                "the real limit.",
                "warning",
            )
        )

    if params.market == "futures":
        level = ladder.liquidation_level
        if level is not None:
            previous = ladder.levels[level.index - 1]
            liq_dev = (1 - previous.liquidation_price / ladder.entry_price) * 100
            problems.append(
                Problem(
                    "leverage",
                    f"At {format_number(params.leverage)}× leverage the position would be "
                    f"liquidated (about {liq_dev:.1f} % below entry) before {level.label.lower()} "
                    f"({level.deviation_pct:.1f} % below entry) can fill. Lower the leverage or "
                    "narrow the ladder.",
                    "warning",
                )
            )

    if params.stop_loss_pct > 0:
        sl = params.stop_loss_pct
        first_cut = next((lv for lv in ladder.order_levels[1:] if lv.deviation_pct >= sl), None)
        if first_cut is not None:
            problems.append(
                Problem(
                    "stop_loss_pct",
                    f"The stop loss ({format_number(sl)} % below entry) triggers before "
                    f"{first_cut.label.lower()} ({first_cut.deviation_pct:.1f} % below entry); "
                    "the deeper reinforcement orders can never fill.",
                    "warning",
                )
            )
        elif ladder.recovery_levels and ladder.recovery_levels[0].deviation_pct >= sl:
            problems.append(
                Problem(
                    "stop_loss_pct",
                    f"The stop loss ({format_number(sl)} % below entry) triggers before "
                    f"Recovery Mode can start ({ladder.recovery_levels[0].deviation_pct:.1f} % "
                    "below entry).",
                    "warning",
                )
            )
    return problems


# --- Ladder ------------------------------------------------------------------------------------


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
    below zero (`validate` reports that as a Problem).
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


def _add_recovery(params, levels, add, natural_size, cap, leverage) -> list[Problem]:
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
    size, placed, reduced_to = natural_size, 0, None
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
    if placed < count or reduced_to is not None:
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
    return []
