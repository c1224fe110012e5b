"""Risk presets (Conservative, Balanced, Aggressive): filling them in, and recognising them.

A preset sets every field except pairs and market (kept from the current settings), risk_level
(set to the preset's name), fee_pct (a fact of the exchange) and margin_limit_amount (a hard cap
the user set on purpose; a preset never lifts it). Leverage applies to futures only: on spot a
preset keeps leverage at 1. "Custom" is any settings that match no preset.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from backfuture_core.strategy.params import RISK_LEVELS, StrategyParams

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
