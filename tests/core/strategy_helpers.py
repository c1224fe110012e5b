"""Settings the strategy and backtest tests compute by hand."""

from __future__ import annotations

from typing import Any

from backfuture_core.strategy.params import StrategyParams


def hand_ladder(
    order: float, count: int, first_step: float, scale: float, **changes: Any
) -> StrategyParams:
    """BTC/USDT, Custom: a base order and a first reinforcement of `order`, `count`
    reinforcements (all may rest at once), the first `first_step` % below entry, steps and sizes
    both growing by `scale`; take profit 1 %, no fee, Recovery Mode off."""
    sizes = {"base_order": order, "reinforcement_size": order}
    counts = {"reinforcement_count": count, "max_active_reinforcements": count}
    steps = {"first_step_pct": first_step, "step_scale": scale, "volume_scale": scale}
    plain = {"risk_level": "Custom", "take_profit_pct": 1, "fee_pct": 0, "recovery_enabled": False}
    return StrategyParams(pairs=("BTC/USDT",), **sizes, **counts, **steps, **plain, **changes)
