"""The settings of one DCA strategy: `StrategyParams`, the slider description of every numeric
setting (`PARAMETERS`), the choices and labels of the others, and the margin limit they imply.

Defaults are the Balanced preset on spot (`presets.PRESETS`). See the package docstring for the
conventions (order sizes, margin limit, fees, take profit, liquidation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from backfuture_core.market_data.pairs import pair_quote

MARKETS = ("spot", "futures")
RISK_LEVELS = ("Conservative", "Balanced", "Aggressive", "Custom")
MARGIN_MODES = ("isolated", "cross")


@dataclass(frozen=True)
class StrategyParams:
    """All settings of one DCA strategy. Defaults are the Balanced preset on spot.

    The dataclass accepts any values (a page builds it straight from its widgets); call
    `checks.validate` to learn what is wrong with them.
    """

    pairs: tuple[str, ...] = ("BTC/USDT",)
    market: str = "spot"
    risk_level: str = "Balanced"
    # Risk
    margin_limit_pct: float = 40.0
    margin_limit_amount: float = 0.0
    # Orders
    base_order: float = 15.0
    reinforcement_count: int = 7
    first_step_pct: float = 1.5
    step_scale: float = 1.4
    volume_scale: float = 1.4
    max_active_reinforcements: int = 3
    reinforcement_size: float = 15.0
    # Exit
    take_profit_pct: float = 1.5
    stop_loss_pct: float = 0.0
    # Futures
    leverage: int = 1
    margin_mode: str = "isolated"
    # Fees
    fee_pct: float = 0.1
    # Recovery Mode
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
        return pair_quote(self.pairs[0]) or ""

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


def _param(
    name: str, label: str, help: str, lo: float, hi: float, step: float, unit: str, **kw: Any
) -> Parameter:
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
