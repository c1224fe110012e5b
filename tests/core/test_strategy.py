"""Strategy: parameter schema, presets, validation and the reinforcement ladder."""

from __future__ import annotations

import json
import math
from dataclasses import fields, replace

import pytest

from backfuture_core.charts.strategy import ladder_figure
from backfuture_core.formatting import format_with_unit
from backfuture_core.strategy.checks import validate
from backfuture_core.strategy.ladder import (
    LADDER_COLUMNS,
    LIQUIDATION_COLUMN,
    build_ladder,
    take_profit_price,
)
from backfuture_core.strategy.params import (
    CHOICES,
    PARAMETER_BY_NAME,
    PARAMETERS,
    StrategyParams,
    margin_cap,
)
from backfuture_core.strategy.presets import (
    PRESETS,
    apply_preset,
    matching_preset,
    with_matching_risk_level,
)
from backfuture_core.strategy.problems import Problem, has_errors
from tests.core.strategy_helpers import hand_ladder

# Entry 100, first step d = 1 %, step scale s = 2, first reinforcement V1 = 10, volume scale v = 2,
# 3 reinforcements, base order 10, take profit 1 %, no fee.
SIMPLE = hand_ladder(10, 3, 1, 2)


def errors_for(problems: list[Problem], field: str) -> list[str]:
    return [p.message for p in problems if p.field == field and p.severity == "error"]


def warnings_for(problems: list[Problem], field: str) -> list[str]:
    return [p.message for p in problems if p.field == field and p.severity == "warning"]


# --- Ladder ------------------------------------------------------------------------------------


def test_ladder_matches_hand_computed_values():
    ladder = build_ladder(SIMPLE, 100)
    levels = ladder.levels
    assert [lv.kind for lv in levels] == ["base", "reinforcement", "reinforcement", "reinforcement"]
    assert [lv.label for lv in levels] == [
        "Base order",
        "Reinforcement 1",
        "Reinforcement 2",
        "Reinforcement 3",
    ]
    # D1 = 1; D2 = 1·(1+2) = 3; D3 = 1·(1+2+4) = 7
    assert [lv.deviation_pct for lv in levels] == pytest.approx([0, 1, 3, 7])
    assert [lv.price for lv in levels] == pytest.approx([100, 99, 97, 93])
    # V1 = 10, V2 = 10·2 = 20, V3 = 10·2² = 40
    assert [lv.size for lv in levels] == pytest.approx([10, 10, 20, 40])
    assert [lv.cumulative_size for lv in levels] == pytest.approx([10, 20, 40, 80])
    # quantities: 10/100 = 0.1, 10/99 = 0.10101, 20/97 = 0.20619, 40/93 = 0.43011
    assert [lv.quantity for lv in levels] == pytest.approx([0.1, 10 / 99, 20 / 97, 40 / 93])
    # cumulative quantity: 0.1, 0.20101, 0.40720, 0.83730
    cum_qty = [0.1, 0.1 + 10 / 99, 0.1 + 10 / 99 + 20 / 97, 0.1 + 10 / 99 + 20 / 97 + 40 / 93]
    assert [lv.cumulative_quantity for lv in levels] == pytest.approx(cum_qty)
    # average = total size / total quantity:
    #   10 / 0.1 = 100;  20 / 0.201010 = 99.4975;  40 / 0.407196 = 98.2329;  80 / 0.837303 = 95.5448
    averages = [100, 99.49749, 98.23287, 95.54484]
    assert [lv.average_price for lv in levels] == pytest.approx(averages, rel=1e-6)
    # take profit = average · 1.01: 101, 100.4925, 99.2152, 96.5003
    assert [lv.take_profit_price for lv in levels] == pytest.approx(
        [a * 1.01 for a in averages], rel=1e-6
    )
    # bounce = TP / level price − 1: 1 %, 100.4925/99 − 1 = 1.508 %, 2.284 %, 3.764 %
    assert [lv.bounce_pct for lv in levels] == pytest.approx(
        [1.0, 1.50754, 2.28371, 3.76375], rel=1e-4
    )
    assert ladder.capital_needed == pytest.approx(80)  # 10 + 10 + 20 + 40
    assert ladder.capital_with_recovery == pytest.approx(80)
    assert ladder.max_deviation_pct == pytest.approx(7)
    assert ladder.average_price == pytest.approx(95.54484, rel=1e-6)
    assert ladder.liquidation_price is None
    assert ladder.liquidation_before_last_level is False
    assert ladder.recovery_levels == ()


def test_ladder_scales_with_entry_price():
    a, b = build_ladder(SIMPLE, 100), build_ladder(SIMPLE, 2500)
    for x, y in zip(a.levels, b.levels, strict=True):
        assert y.price == pytest.approx(x.price * 25)
        assert y.size == pytest.approx(x.size)
        assert y.deviation_pct == pytest.approx(x.deviation_pct)


def test_ladder_frame_has_stable_columns():
    frame = build_ladder(SIMPLE, 100).to_frame()
    assert list(frame.columns) == list(LADDER_COLUMNS)
    assert frame["Price"].tolist() == pytest.approx([100, 99, 97, 93])
    assert frame["Type"].tolist() == ["Base order"] + ["Reinforcement"] * 3
    futures = build_ladder(replace(SIMPLE, market="futures", leverage=2), 100).to_frame()
    assert list(futures.columns) == [*LADDER_COLUMNS, LIQUIDATION_COLUMN]


def test_take_profit_covers_round_trip_fee():
    # fee 0.5 %: break-even = avg·1.005/0.995 = avg·1.01005 > avg·1.01, so TP = break-even
    assert take_profit_price(100, 1, 0.5) == pytest.approx(100 * 1.005 / 0.995)
    # fee 0.1 %: break-even = avg·1.002002 < avg·1.01, so TP = avg·1.01
    assert take_profit_price(100, 1, 0.1) == pytest.approx(101)
    ladder = build_ladder(replace(SIMPLE, fee_pct=0.5), 100)
    assert ladder.levels[0].take_profit_price == pytest.approx(100 * 1.005 / 0.995)
    assert ladder.levels[0].break_even_price == pytest.approx(100 * 1.005 / 0.995)


def test_futures_capital_and_liquidation():
    ladder = build_ladder(replace(SIMPLE, market="futures", leverage=2), 100)
    assert ladder.capital_needed == pytest.approx(40)  # 80 of position value at 2×
    # liquidation = avg·(1 − 1/2 + 0.005) = 95.5448 · 0.505 = 48.2501
    assert ladder.liquidation_price == pytest.approx(95.54484 * 0.505, rel=1e-6)
    assert ladder.liquidation_before_last_level is False


def test_liquidation_before_last_level_at_high_leverage():
    # 20×: liquidation = avg·(1 − 0.05 + 0.005) = avg·0.955. After the base order: 95.5 < 99;
    # after reinforcement 1: 99.4975·0.955 = 95.02 < 97; after reinforcement 2:
    # 98.2329·0.955 = 93.81 ≥ 93, so the position is liquidated before reinforcement 3 fills.
    params = replace(SIMPLE, market="futures", leverage=20)
    ladder = build_ladder(params, 100)
    assert ladder.liquidation_before_last_level is True
    assert ladder.liquidation_level.label == "Reinforcement 3"
    messages = warnings_for(validate(params), "leverage")
    assert any("liquidated" in m and "reinforcement 3" in m for m in messages)
    assert any("20× is high" in m for m in messages)
    # at 5× nothing warns: liquidation ≈ avg·0.805, far below 93
    assert validate(replace(params, leverage=5)) == []


def test_build_ladder_rejects_bad_entry():
    for entry in (0, -1, math.nan, math.inf):
        with pytest.raises(ValueError, match="entry price"):
            build_ladder(SIMPLE, entry)
    with pytest.raises(ValueError, match="zero"):
        build_ladder(replace(SIMPLE, first_step_pct=10, step_scale=3, reinforcement_count=4), 100)


# --- Recovery Mode levels ----------------------------------------------------------------------

RECOVERY = replace(
    SIMPLE,
    recovery_enabled=True,
    recovery_trigger_pct=5,
    recovery_step_pct=10,
    recovery_count=3,
)


def test_recovery_levels_positions_and_natural_sizes():
    # no balance and no margin limit amount: the cap is unknown, sizes continue the volume scale
    ladder = build_ladder(RECOVERY, 100)
    rec = ladder.recovery_levels
    assert [lv.kind for lv in rec] == ["recovery"] * 3
    assert [lv.label for lv in rec] == ["Recovery 1", "Recovery 2", "Recovery 3"]
    # last reinforcement 93; R1 = 93·0.95 = 88.35; R2 = 88.35·0.90 = 79.515; R3 = 71.5635
    assert [lv.price for lv in rec] == pytest.approx([88.35, 79.515, 71.5635])
    assert [lv.deviation_pct for lv in rec] == pytest.approx([11.65, 20.485, 28.4365])
    # V4..V6 = 10·2³, 10·2⁴, 10·2⁵
    assert [lv.size for lv in rec] == pytest.approx([80, 160, 320])
    # recovery take profit uses recovery_target_pct (0.3 %): avg after R1 = 160 / (0.837303 +
    # 80/88.35) = 160 / 1.742791 = 91.8070 → TP 91.8070·1.003
    avg = 160 / (0.8373031949 + 80 / 88.35)
    assert rec[0].average_price == pytest.approx(avg)
    assert rec[0].take_profit_price == pytest.approx(avg * 1.003)
    assert ladder.capital_needed == pytest.approx(80)
    assert ladder.capital_with_recovery == pytest.approx(80 + 80 + 160 + 320)
    assert ladder.max_deviation_with_recovery_pct == pytest.approx(28.4365)
    assert ladder.problems == ()


def test_recovery_levels_truncated_by_margin_cap():
    # cap 300, ladder 80 → 220 left: R1 = 80 (140 left), R2 = min(160, 140) = 140, R3 dropped
    ladder = build_ladder(replace(RECOVERY, margin_limit_amount=300), 100)
    assert [lv.size for lv in ladder.recovery_levels] == pytest.approx([80, 140])
    assert ladder.capital_with_recovery == pytest.approx(300)
    [problem] = ladder.problems
    assert problem.field == "recovery_count"
    assert problem.severity == "warning"
    assert "2 of 3 recovery orders" in problem.message
    assert "220.00 USDT" in problem.message
    # the same cap from a balance: 1,000 USDT · 30 %
    ladder = build_ladder(replace(RECOVERY, margin_limit_pct=30), 100, quote_balance=1000)
    assert [lv.size for lv in ladder.recovery_levels] == pytest.approx([80, 140])


def test_recovery_cap_shared_between_pairs():
    # 2 pairs share 400: 200 per pair → 120 left → R1 = 80, R2 = 40
    params = replace(RECOVERY, pairs=("BTC/USDT", "ETH/USDT"), margin_limit_amount=400)
    ladder = build_ladder(params, 100)
    assert ladder.margin_cap == pytest.approx(200)
    assert [lv.size for lv in ladder.recovery_levels] == pytest.approx([80, 40])


def test_recovery_on_futures_uses_leverage():
    # 2×: ladder margin 40; cap 100 → 60 margin left = 120 of position value: R1 80, R2 40
    params = replace(RECOVERY, market="futures", leverage=2, margin_limit_amount=100)
    ladder = build_ladder(params, 100)
    assert [lv.size for lv in ladder.recovery_levels] == pytest.approx([80, 40])
    assert ladder.capital_with_recovery == pytest.approx(100)


def test_no_room_for_recovery_is_a_warning():
    params = replace(RECOVERY, margin_limit_amount=80)  # exactly the ladder
    ladder = build_ladder(params, 100)
    assert ladder.recovery_levels == ()
    [problem] = ladder.problems
    assert (problem.field, problem.severity) == ("recovery_enabled", "warning")
    assert "no room" in problem.message
    problems = validate(params)
    assert not has_errors(problems)
    assert warnings_for(problems, "recovery_enabled") == [problem.message]


def test_recovery_disabled_adds_no_levels():
    assert build_ladder(replace(RECOVERY, recovery_enabled=False), 100).recovery_levels == ()


def test_recovery_without_reinforcements_starts_below_entry():
    ladder = build_ladder(replace(RECOVERY, reinforcement_count=0), 100)
    assert [lv.price for lv in ladder.recovery_levels] == pytest.approx([95, 85.5, 76.95])
    assert [lv.size for lv in ladder.recovery_levels] == pytest.approx([10, 20, 40])


# --- Validation: every bound -------------------------------------------------------------------


def _outside(spec):
    return [("below", spec.min - spec.step), ("above", spec.limit + spec.step)]


BOUND_CASES = [
    pytest.param(spec, value, id=f"{spec.name}-{side}")
    for spec in PARAMETERS
    for side, value in _outside(spec)
]


@pytest.mark.parametrize(("spec", "value"), BOUND_CASES)
def test_every_bound_is_enforced(spec, value):
    if spec.integer:
        value = int(value)
    problems = validate(replace(StrategyParams(), **{spec.name: value}))
    lo = format_with_unit(spec.min, spec.unit, "USDT")
    hi = format_with_unit(spec.limit, spec.unit, "USDT")
    assert f"{spec.label} must be between {lo} and {hi}." in errors_for(problems, spec.name)


@pytest.mark.parametrize("spec", PARAMETERS, ids=lambda s: s.name)
def test_bounds_themselves_are_accepted(spec):
    for value in (spec.min, spec.limit):
        problems = validate(replace(StrategyParams(), **{spec.name: value}))
        assert not [m for m in errors_for(problems, spec.name) if "must be between" in m]


def test_bound_messages_read_well():
    problems = validate(replace(StrategyParams(), take_profit_pct=12))
    assert errors_for(problems, "take_profit_pct") == [
        "Take profit must be between 0.3 % and 10 %."
    ]
    problems = validate(replace(StrategyParams(), base_order=0))
    assert errors_for(problems, "base_order") == [
        "Base order must be between 1 USDT and 100,000 USDT."
    ]
    problems = validate(replace(StrategyParams(), volume_scale=0.9))
    assert errors_for(problems, "volume_scale") == ["Volume scale must be between 1× and 3×."]
    problems = validate(replace(StrategyParams(), reinforcement_count=51))
    assert "Reinforcement orders must be between 0 and 50." in errors_for(
        problems, "reinforcement_count"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("take_profit_pct", "1.5", "Take profit must be a number."),
        ("take_profit_pct", math.nan, "Take profit must be a number."),
        ("fee_pct", True, "Trading fee must be a number."),
        ("reinforcement_count", 2.5, "Reinforcement orders must be a whole number."),
        ("leverage", 1.5, "Leverage must be a whole number."),
    ],
)
def test_non_numbers_are_rejected(name, value, message):
    assert message in errors_for(validate(replace(StrategyParams(), **{name: value})), name)


def test_slider_range_between_max_and_hard_max_warns():
    params = replace(StrategyParams(), reinforcement_count=25, first_step_pct=0.2, step_scale=1)
    problems = validate(params)
    assert not has_errors(problems)
    assert warnings_for(problems, "reinforcement_count")


@pytest.mark.parametrize(("name", "bad"), [(n, "other") for n in CHOICES])
def test_choices_are_enforced(name, bad):
    assert errors_for(validate(replace(StrategyParams(), **{name: bad})), name)


# --- Validation: cross-field rules -------------------------------------------------------------


def test_defaults_and_presets_are_valid():
    assert validate(StrategyParams()) == []
    for name in PRESETS:
        for market in ("spot", "futures"):
            params = apply_preset(StrategyParams(market=market), name)
            assert not has_errors(validate(params, quote_balance=10_000)), (name, market)


def test_max_active_cannot_exceed_count():
    problems = validate(replace(SIMPLE, max_active_reinforcements=4))
    assert errors_for(problems, "max_active_reinforcements") == [
        "Active reinforcements (4) cannot be more than the number of reinforcement orders (3)."
    ]
    assert validate(replace(SIMPLE, max_active_reinforcements=3)) == []
    # without reinforcements the active count does not matter
    assert not has_errors(validate(replace(SIMPLE, reinforcement_count=0)))


@pytest.mark.parametrize(
    ("pairs", "fragment"),
    [
        ((), "Choose at least one pair."),
        (("BTC/USDT", "ETH/BTC"), "one quote currency; found USDT and BTC"),
        (("BTCUSDT",), '"BTCUSDT" is not a pair like BTC/USDT.'),
        (("BTC/USDT", "btc/usdt"), "BTC/USDT is listed twice."),
    ],
)
def test_pair_rules(pairs, fragment):
    messages = errors_for(validate(replace(SIMPLE, pairs=pairs)), "pairs")
    assert any(fragment in m for m in messages), messages


def test_pairs_are_normalised_and_quote_known():
    params = StrategyParams(pairs=["eth/usdt ", "BTC/USDT:USDT"])
    assert params.pairs == ("ETH/USDT", "BTC/USDT:USDT")
    assert params.quote == "USDT"
    assert StrategyParams(pairs="SOL/USDC").pairs == ("SOL/USDC",)
    assert not errors_for(validate(replace(SIMPLE, pairs=params.pairs)), "pairs")


def test_leverage_only_for_futures():
    assert errors_for(validate(replace(SIMPLE, leverage=3)), "leverage") == [
        "Leverage is only for futures; set it to 1 for spot."
    ]
    assert validate(replace(SIMPLE, market="futures", leverage=3)) == []


def test_leverage_above_five_warns():
    problems = validate(replace(SIMPLE, market="futures", leverage=6))
    assert not has_errors(problems)
    assert any("6× is high" in m for m in warnings_for(problems, "leverage"))


def test_ladder_must_fit_margin_limit_amount():
    # capital = 234.50 + 1,000 = 1,234.50
    params = replace(SIMPLE, base_order=234.5, reinforcement_size=1000, reinforcement_count=1)
    params = replace(params, max_active_reinforcements=1, margin_limit_amount=1000)
    assert errors_for(validate(params), "margin_limit_amount") == [
        "The ladder needs 1,234.50 USDT but the margin limit allows 1,000.00 USDT."
    ]
    assert not has_errors(validate(replace(params, margin_limit_amount=1234.5)))


def test_ladder_must_fit_share_of_balance():
    params = replace(SIMPLE, margin_limit_pct=5)  # 5 % of 1,000 = 50 < 80
    assert errors_for(validate(params, quote_balance=1000), "margin_limit_pct") == [
        "The ladder needs 80.00 USDT but the margin limit allows 50.00 USDT."
    ]
    assert not has_errors(validate(params, quote_balance=1600))  # 5 % of 1,600 = 80
    assert not has_errors(validate(params))  # balance unknown: cannot check


def test_smaller_limit_applies():
    params = replace(SIMPLE, margin_limit_pct=50, margin_limit_amount=60)
    assert margin_cap(params, 1000) == 60
    assert margin_cap(params, 100) == 50
    assert margin_cap(params) == 60
    assert margin_cap(replace(params, margin_limit_amount=0)) is None
    assert errors_for(validate(params, quote_balance=1000), "margin_limit_amount")
    assert errors_for(validate(params, quote_balance=100), "margin_limit_pct")


def test_margin_limit_covers_all_pairs():
    params = replace(SIMPLE, pairs=("BTC/USDT", "ETH/USDT", "SOL/USDT"), margin_limit_amount=200)
    assert errors_for(validate(params), "margin_limit_amount") == [
        (
            "The ladders need 240.00 USDT (3 pairs × 80.00 USDT) but the margin limit allows "
            "200.00 USDT."
        )
    ]


def test_futures_capital_is_divided_by_leverage():
    params = replace(SIMPLE, market="futures", leverage=2, margin_limit_amount=40)
    assert not has_errors(validate(params))


def test_margin_limit_versus_balance():
    params = replace(SIMPLE, margin_limit_amount=2000)
    problems = validate(params, quote_balance=1500)
    assert warnings_for(problems, "margin_limit_amount") == [
        (
            "The margin limit amount (2,000.00 USDT) is more than your balance (1,500.00 USDT); "
            "the balance is the real limit."
        )
    ]
    assert errors_for(validate(params, quote_balance=0), "margin_limit_pct") == [
        "Your USDT balance is empty, so the strategy cannot place any order."
    ]


def test_ladder_below_zero_is_an_error():
    # 10 + 30 + 90 = 130 % below entry at reinforcement 3
    params = replace(SIMPLE, first_step_pct=10, step_scale=3)
    assert errors_for(validate(params), "first_step_pct") == [
        (
            "Reinforcement 3 would sit 130.0 % below the entry price; lower the first step, the "
            "step scale or the number of reinforcement orders."
        )
    ]


def test_stop_loss_before_reinforcements_warns():
    problems = validate(replace(SIMPLE, stop_loss_pct=5))  # reinforcement 3 sits 7 % below
    assert warnings_for(problems, "stop_loss_pct") == [
        (
            "The stop loss (5 % below entry) triggers before reinforcement 3 (7.0 % below entry); "
            "the deeper reinforcement orders can never fill."
        )
    ]
    assert validate(replace(SIMPLE, stop_loss_pct=8)) == []
    # with Recovery Mode the first recovery order sits 11.65 % below entry
    problems = validate(replace(RECOVERY, stop_loss_pct=8))
    assert any("before Recovery Mode" in m for m in warnings_for(problems, "stop_loss_pct"))


def test_take_profit_below_fees_warns():
    problems = validate(replace(SIMPLE, take_profit_pct=0.3, fee_pct=0.2))  # round trip ≈ 0.4 %
    assert any("round-trip fee" in m for m in warnings_for(problems, "take_profit_pct"))
    assert validate(replace(SIMPLE, take_profit_pct=0.5, fee_pct=0.2)) == []


def test_errors_come_first():
    problems = validate(replace(SIMPLE, market="futures", leverage=8, take_profit_pct=20))
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s != "error")
    assert has_errors(problems)


# --- Schema and presets ------------------------------------------------------------------------


def test_parameter_table_matches_dataclass():
    numeric = {
        f.name
        for f in fields(StrategyParams)
        if f.name not in {"pairs", "recovery_enabled", *CHOICES}
    }
    assert {p.name for p in PARAMETERS} == numeric
    defaults = StrategyParams()
    for spec in PARAMETERS:
        assert spec.default == getattr(defaults, spec.name)
        assert spec.min <= spec.default <= spec.max
        assert spec.label
        assert spec.help
        assert spec.step > 0
    assert PARAMETER_BY_NAME["reinforcement_count"].limit == 50
    assert PARAMETER_BY_NAME["leverage"].futures_only


def test_dict_round_trip():
    params = apply_preset(StrategyParams(pairs=("ETH/USDT", "SOL/USDT")), "Aggressive")
    data = json.loads(json.dumps(params.to_dict()))
    assert StrategyParams.from_dict({**data, "unknown": 1}) == params


def test_apply_preset_fills_values_and_keeps_pairs():
    start = StrategyParams(
        pairs=("ETH/USDT", "SOL/USDT"),
        market="futures",
        fee_pct=0.06,
        margin_limit_amount=500,
        base_order=99,
    )
    for name, values in PRESETS.items():
        params = apply_preset(start, name)
        assert params.risk_level == name
        assert params.pairs == ("ETH/USDT", "SOL/USDT")
        assert params.market == "futures"
        assert params.fee_pct == 0.06
        assert params.margin_limit_amount == 500
        for key, value in values.items():
            assert getattr(params, key) == value
        assert matching_preset(params) == name
    assert apply_preset(StrategyParams(), "Aggressive").leverage == 1  # spot keeps 1×
    assert apply_preset(start, "Aggressive").leverage == 3


def test_presets_are_ordered_by_risk():
    c, b, a = (PRESETS[n] for n in ("Conservative", "Balanced", "Aggressive"))
    assert c["margin_limit_pct"] < b["margin_limit_pct"] < a["margin_limit_pct"]
    assert c["volume_scale"] < b["volume_scale"] < a["volume_scale"]
    assert c["leverage"] < b["leverage"] < a["leverage"]


def test_matching_preset():
    assert matching_preset(StrategyParams()) == "Balanced"  # defaults are the Balanced preset
    params = apply_preset(StrategyParams(), "Conservative")
    assert matching_preset(params) == "Conservative"
    tweaked = replace(params, take_profit_pct=1.1)
    assert matching_preset(tweaked) == "Custom"
    assert tweaked.risk_level == "Conservative"  # only relabelled when the page asks
    assert with_matching_risk_level(tweaked).risk_level == "Custom"
    # pairs, market, fee and the margin limit amount do not matter
    same = replace(params, pairs=("XRP/USDT",), fee_pct=0.2, margin_limit_amount=10)
    assert matching_preset(same) == "Conservative"
    # leverage counts on futures only
    futures = apply_preset(StrategyParams(market="futures"), "Balanced")
    assert matching_preset(futures) == "Balanced"
    assert matching_preset(replace(futures, leverage=4)) == "Custom"


def test_apply_preset_custom_and_unknown():
    params = StrategyParams(take_profit_pct=3)
    assert apply_preset(params, "Custom") == replace(params, risk_level="Custom")
    with pytest.raises(ValueError, match="Unknown risk level"):
        apply_preset(params, "Yolo")


# --- Chart -------------------------------------------------------------------------------------


def test_ladder_figure_spot():
    fig = ladder_figure(build_ladder(RECOVERY, 100))
    names = [t.name for t in fig.data]
    assert names[:3] == ["Base order", "Reinforcement orders", "Recovery Mode orders"]
    assert "Average entry if all fill" in names
    assert "Take profit if all fill" in names
    assert "Recovery Mode exit" in names
    assert "Liquidation (estimate)" not in names
    assert list(fig.data[1].y) == pytest.approx([99, 97, 93])
    assert list(fig.data[1].x) == pytest.approx([10, 20, 40])
    assert fig.layout.template.layout.to_plotly_json()  # plotly_white resolved
    assert fig.layout.xaxis.title.text == "Order size (USDT)"


def test_ladder_figure_futures_has_liquidation_line():
    ladder = build_ladder(replace(SIMPLE, market="futures", leverage=3), 100)
    fig = ladder_figure(ladder)
    [line] = [t for t in fig.data if t.name == "Liquidation (estimate)"]
    assert list(line.y) == pytest.approx([ladder.liquidation_price] * 2)
