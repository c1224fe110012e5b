"""Saved strategies: save, list, load, rename, delete; names; cascade with the connection."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backfuture_core.errors import NotFound, ValidationError
from backfuture_core.storage import connections
from backfuture_core.storage import database as store
from backfuture_core.strategy import form as page_form
from backfuture_core.strategy import saved as strategies
from backfuture_core.strategy.params import PARAMETERS, StrategyParams
from backfuture_core.strategy.presets import apply_preset


def add_conn(db, vault, name="MEXC Spot Main", market="spot"):
    form = connections.ConnectionForm(
        exchange="mexc",
        name=name,
        api_key="mx0vglAPIKEY1234",
        secret="SECRETvalue0123456789",
        market=market,
    )
    return connections.add_connection(db, vault, form)


@pytest.fixture
def conn(db, vault):
    return add_conn(db, vault)


PARAMS = replace(
    apply_preset(StrategyParams(pairs=("ETH/USDT", "SOL/USDT")), "Aggressive"),
    take_profit_pct=2.7,
    risk_level="Custom",
)


def test_save_and_load_round_trip(db, conn):
    saved = strategies.save_strategy(db, conn.id, "  Night DCA  ", PARAMS)
    assert saved.name == "Night DCA"
    loaded = strategies.get_strategy(db, saved.id)
    assert loaded.params == PARAMS
    assert loaded.params.pairs == ("ETH/USDT", "SOL/USDT")
    assert loaded.connection_id == conn.id
    assert strategies.find_strategy(db, conn.id, "night dca").id == saved.id
    assert strategies.find_strategy(db, conn.id, "other") is None
    actions = [row["action"] for row in store.audit_log(db)]
    assert "strategy saved" in actions


def test_several_per_connection_listed_by_name(db, conn):
    for name in ("beta", "Alpha", "gamma"):
        strategies.save_strategy(db, conn.id, name, PARAMS)
    assert [s.name for s in strategies.list_strategies(db, conn.id)] == ["Alpha", "beta", "gamma"]


def test_names_unique_per_connection_case_insensitively(db, vault, conn):
    strategies.save_strategy(db, conn.id, "Main", PARAMS)
    with pytest.raises(ValidationError) as info:
        strategies.save_strategy(db, conn.id, "  MAIN ", PARAMS)
    assert "already has a strategy" in info.value.problems["Strategy name"]
    other = add_conn(db, vault, name="Second")
    assert strategies.save_strategy(db, other.id, "main", PARAMS).name == "main"
    assert len(strategies.list_strategies(db, conn.id)) == 1


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("", "Enter a strategy name"),
        ("   ", "Enter a strategy name"),
        ("x" * 65, "at most 64"),
        ("DCA\x00one", "invisible"),
        ("DCA\u200bone", "invisible"),
        ("DCA\u202eone", "invisible"),
        ("DCA\none", "invisible"),
    ],
)
def test_bad_names_refused(db, conn, name, part):
    with pytest.raises(ValidationError) as info:
        strategies.save_strategy(db, conn.id, name, PARAMS)
    assert part in info.value.problems["Strategy name"]
    assert strategies.list_strategies(db, conn.id) == []


def test_name_of_64_characters_accepted(db, conn):
    assert strategies.save_strategy(db, conn.id, "é" * 64, PARAMS).name == "é" * 64


def test_settings_with_errors_are_not_saved(db, conn):
    bad = replace(PARAMS, max_active_reinforcements=12, reinforcement_count=3)
    with pytest.raises(ValidationError) as info:
        strategies.save_strategy(db, conn.id, "Bad", bad)
    assert "Active reinforcements" in info.value.problems
    tight = replace(PARAMS, margin_limit_pct=5)
    with pytest.raises(ValidationError) as info:
        strategies.save_strategy(db, conn.id, "Tight", tight, quote_balance=100.0)
    assert "margin limit allows" in info.value.problems["Margin limit"]
    futures = replace(PARAMS, market="futures", pairs=("BTC/USDT:USDT",))
    with pytest.raises(ValidationError) as info:
        strategies.save_strategy(db, conn.id, "Fut", futures)
    assert "does not trade futures" in info.value.problems["Market"]
    assert strategies.list_strategies(db, conn.id) == []


def test_update_and_rename(db, conn):
    saved = strategies.save_strategy(db, conn.id, "One", PARAMS)
    strategies.save_strategy(db, conn.id, "Two", PARAMS)
    changed = replace(PARAMS, take_profit_pct=3.3)
    updated = strategies.save_strategy(db, conn.id, "one", changed, strategy_id=saved.id)
    assert (updated.id, updated.name, updated.params.take_profit_pct) == (saved.id, "one", 3.3)
    renamed = strategies.rename_strategy(db, saved.id, "Uno")
    assert renamed.name == "Uno"
    assert renamed.params == changed
    with pytest.raises(ValidationError):
        strategies.rename_strategy(db, saved.id, "TWO")
    assert [s.name for s in strategies.list_strategies(db, conn.id)] == ["Two", "Uno"]
    assert "strategy renamed" in [row["action"] for row in store.audit_log(db)]


def test_delete(db, conn):
    saved = strategies.save_strategy(db, conn.id, "One", PARAMS)
    strategies.delete_strategy(db, saved.id)
    assert strategies.list_strategies(db, conn.id) == []
    with pytest.raises(NotFound):
        strategies.get_strategy(db, saved.id)
    with pytest.raises(NotFound):
        strategies.delete_strategy(db, saved.id)
    assert "strategy deleted" in [row["action"] for row in store.audit_log(db)]


def test_strategies_deleted_with_their_connection(db, vault, conn):
    other = add_conn(db, vault, name="Keep")
    strategies.save_strategy(db, conn.id, "A", PARAMS)
    strategies.save_strategy(db, conn.id, "B", PARAMS)
    kept = strategies.save_strategy(db, other.id, "C", PARAMS)
    connections.delete_connection(db, conn.id, version=conn.version)
    assert db.execute("SELECT COUNT(*) FROM strategies").fetchone()[0] == 1
    assert strategies.list_strategies(db, other.id) == [kept]


def test_unknown_connection_refused(db):
    with pytest.raises(NotFound):
        strategies.save_strategy(db, 999, "A", PARAMS)


def test_unknown_keys_in_stored_json_are_ignored(db, conn):
    saved = strategies.save_strategy(db, conn.id, "A", PARAMS)
    db.execute(
        "UPDATE strategies SET params = ? WHERE id = ?",
        ['{"pairs": ["BTC/USDT"], "take_profit_pct": 2.0, "from_the_future": 1}', saved.id],
    )
    loaded = strategies.get_strategy(db, saved.id).params
    assert (loaded.pairs, loaded.take_profit_pct) == (("BTC/USDT",), 2.0)
    assert loaded.base_order == StrategyParams().base_order


def test_form_values_round_trip_and_clamp():
    values = page_form.form_values(PARAMS)
    assert page_form.params_from_form(values) == PARAMS
    spec = next(p for p in PARAMETERS if p.name == "reinforcement_count")
    assert page_form.widget_value(spec, 80) == 50
    assert page_form.widget_value(spec, "x") == spec.default
    assert page_form.slider_bounds(spec, 30) == (0, 50, 1)
    assert page_form.slider_bounds(spec, 5) == (0, 20, 1)
    spot = page_form.params_from_form({**values, "leverage": 4})
    assert spot.leverage == 1
    fut = page_form.params_from_form({**values, "leverage": 4, "market": "futures"})
    assert fut.leverage == 4


def test_form_state_keeps_a_draft_per_connection(db, vault):
    spot = add_conn(db, vault, name="Spot")
    both = add_conn(db, vault, name="Both", market="both")
    state: dict = {}
    form = page_form.FormState(state, {both.id: both, spot.id: spot}, "s.")
    assert form.prepare() == both
    assert state["s.market"] == "spot"
    assert state["s.risk_level"] == "Balanced"
    state["s.take_profit_pct"] = 2.2
    form.on_edit()
    assert state["s.risk_level"] == "Custom"
    form.keep_draft(form.params())
    state["s.connection"] = spot.id
    form.on_connection()
    assert state["s.take_profit_pct"] == 1.5
    form.keep_draft(form.params())
    state["s.connection"] = both.id
    form.on_connection()
    assert state["s.take_profit_pct"] == 2.2
    state["s.risk_level"] = "Aggressive"
    form.on_preset()
    state["s.market"] = "futures"
    form.on_market()
    assert (state["s.leverage"], state["s.pairs"]) == (3, ["BTC/USDT:USDT"])
    form.keep_draft(form.params())  # the page does this after drawing the widgets
    del state["s.leverage"]  # a widget that was not drawn comes back from the draft
    form.prepare()
    assert state["s.leverage"] == 3


def test_form_state_saves_loads_and_deletes_after_confirmation(db, vault, conn):
    state: dict = {}
    form = page_form.FormState(state, {conn.id: conn}, "s.")
    form.prepare()
    state["s.name"] = "Mine"
    assert form.on_saved(db, "save") == "Strategy saved."
    saved_id = state["s.loaded"]
    state["s.take_profit_pct"] = 3.0
    state["s.saved"] = saved_id
    assert form.on_saved(db, "load") == "Strategy loaded."
    assert state["s.take_profit_pct"] == 1.5
    assert form.on_saved(db, "delete") == ""
    assert strategies.list_strategies(db, conn.id) != []
    assert form.on_saved(db, "delete_confirmed") == "Strategy deleted."
    assert strategies.list_strategies(db, conn.id) == []
    with pytest.raises(NotFound):
        form.on_saved(db, "delete_confirmed")
