"""What is wrong with a strategy's settings: `validate` lists every `Problem` (errors first),
`check_params` raises them as one `ValidationError` for a form.

Checks run in layers: each number against its slider spec, the choices, the pairs (well-formed,
one quote currency), fields against each other, then the ladder against the margin limit, the
balance, the leverage (liquidation) and the stop loss.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from backfuture_core.formatting import format_money, format_number, format_with_unit
from backfuture_core.market_data.pairs import pair_quote
from backfuture_core.strategy.ladder import build_ladder, reinforcement_deviations
from backfuture_core.strategy.params import (
    CHOICES,
    FIELD_LABELS,
    MARKETS,
    PARAMETERS,
    Parameter,
    StrategyParams,
    margin_cap,
)
from backfuture_core.strategy.problems import Problem
from backfuture_core.validation import Problems

LEVERAGE_WARNING_ABOVE = 5
REINFORCEMENT_WARNING_ABOVE = 20


def _check_number(spec: Parameter, value: Any, quote: str) -> Problem | None:
    label = spec.label
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return Problem(spec.name, f"{label} must be a number.")
    number = float(value)
    if not math.isfinite(number):
        return Problem(spec.name, f"{label} must be a number.")
    if spec.integer and not number.is_integer():
        return Problem(spec.name, f"{label} must be a whole number.")
    if number < spec.min or number > spec.limit:
        lo = format_with_unit(spec.min, spec.unit, quote)
        hi = format_with_unit(spec.limit, spec.unit, quote)
        return Problem(spec.name, f"{label} must be between {lo} and {hi}.")
    return None


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
    problems: list[Problem] = []
    quotes: list[str] = []
    seen: set[str] = set()
    for pair in pairs:
        quote = pair_quote(pair)
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


def check_params(
    params: StrategyParams,
    *,
    connection_market: str | None = None,
    quote_balance: float | None = None,
) -> None:
    """Raise ValidationError (field label -> message) when `params` has errors.

    `connection_market` ("spot" | "futures" | "both") refuses a market the connection lacks.
    """
    problems = Problems()
    if connection_market is not None:
        allowed = {"both": ("spot", "futures")}.get(connection_market, (connection_market,))
        if params.market not in allowed:
            problems.add("Market", f"This connection does not trade {params.market}.")
    for p in validate(params, quote_balance=quote_balance):
        if p.is_error:
            problems.add(FIELD_LABELS.get(p.field, p.field), p.message)
    problems.raise_if_any()


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
    problems: list[Problem] = []
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

    balance = quote_balance  # None from here on when unknown or empty
    if balance is not None and (not math.isfinite(balance) or balance <= 0):
        problems.append(
            Problem(
                "margin_limit_pct",
                f"Your {quote} balance is empty, so the strategy cannot place any order.",
            )
        )
        balance = None

    ladder = build_ladder(params, 100.0, quote_balance=balance)
    problems.extend(ladder.problems)

    cap = margin_cap(params, balance)
    n_pairs = max(len(params.pairs), 1)
    total = ladder.capital_needed * n_pairs
    if cap is not None and total > cap * (1 + 1e-12):
        amount_binds = params.margin_limit_amount > 0 and (
            balance is None or params.margin_limit_amount <= cap + 1e-9
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
        balance is not None
        and params.margin_limit_amount > 0
        and params.margin_limit_amount > balance
    ):
        problems.append(
            Problem(
                "margin_limit_amount",
                f"The margin limit amount ({format_money(params.margin_limit_amount, quote)}) is "
                f"more than your balance ({format_money(balance, quote)}); the balance is "
                "the real limit.",
                "warning",
            )
        )

    if params.market == "futures":
        level = ladder.liquidation_level
        liquidation = None if level is None else ladder.levels[level.index - 1].liquidation_price
        if level is not None and liquidation is not None:
            liq_dev = (1 - liquidation / ladder.entry_price) * 100
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
