"""The strategy page's form: widget values for every setting (typed and clamped for sliders),
and `FormState`, the controller that keeps them in the session with one draft per connection.

Pure: `FormState` works on any mutable mapping (the page passes Streamlit's session state).
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from backfuture_core.diagnostics.reports import latest_report
from backfuture_core.errors import NotFound
from backfuture_core.market_data.pairs import (
    market_options,
    pair_for_market,
    quote_of,
    usable_groups,
)
from backfuture_core.models import Connection, Status
from backfuture_core.strategy.params import PARAMETER_BY_NAME, PARAMETERS, Parameter, StrategyParams
from backfuture_core.strategy.presets import apply_preset, matching_preset
from backfuture_core.strategy.saved import (
    SavedStrategy,
    delete_strategy,
    get_strategy,
    save_strategy,
    strategy_to_update,
)
from backfuture_core.values import to_float


def widget_value(spec: Parameter, value: Any) -> int | float:
    """`value` as the type and within the range a slider for `spec` accepts (min..limit)."""
    number = to_float(value)
    if math.isnan(number):
        number = float(spec.default)
    number = min(max(number, spec.min), spec.limit)
    return round(number) if spec.integer else number


def slider_bounds(spec: Parameter, value: float) -> tuple[Any, Any, Any]:
    """(min, max, step) typed for the slider; the range reaches `hard_max` only when needed."""
    top = spec.limit if value > spec.max else spec.max
    if spec.integer:
        return int(spec.min), int(top), max(int(spec.step), 1)
    return float(spec.min), float(top), float(spec.step)


def form_values(params: StrategyParams) -> dict[str, Any]:
    """Field -> widget value for every StrategyParams field (pairs as a list)."""
    values = params.to_dict()
    for name, spec in PARAMETER_BY_NAME.items():
        values[name] = widget_value(spec, values[name])
    return values


def params_from_form(values: dict[str, Any]) -> StrategyParams:
    """StrategyParams from widget values; on spot the leverage is always 1."""
    params = StrategyParams.from_dict(values)
    return params if params.is_futures else replace(params, leverage=1)


def for_market(params: StrategyParams, market: str) -> StrategyParams:
    """`params` moved to `market`: pairs become that market's symbols ("BTC/USDT" <->
    "BTC/USDT:USDT"); leverage is 1 on spot."""
    pairs = tuple(pair_for_market(p, market) for p in params.pairs)
    moved = replace(params, market=market, pairs=pairs)
    return moved if moved.is_futures else replace(moved, leverage=1)


PASSED = (Status.ONLINE, Status.WARNING)


def opening_connection(db: Database, connections: Mapping[int, Connection]) -> int:
    """The connection the page opens on: the first whose last connection test passed, else
    the first not known to fail (untested), else the first."""
    statuses = {}
    for conn_id in connections:
        report = latest_report(db, conn_id)
        statuses[conn_id] = report.status if report is not None else Status.UNTESTED
    for wanted in (PASSED, (Status.UNTESTED,)):
        found = next((i for i, status in statuses.items() if status in wanted), None)
        if found is not None:
            return found
    return next(iter(connections))


def default_params(connection: Connection) -> StrategyParams:
    """The Balanced preset on BTC/USDT in the connection's first market."""
    market = market_options(connection)[0]
    params = apply_preset(StrategyParams(market=market), "Balanced")
    return for_market(params, market)


def default_values(connection: Connection) -> dict[str, Any]:
    return form_values(default_params(connection))


def parameter_groups(*, futures: bool) -> dict[str, list[Parameter]]:
    """PARAMETERS by group, in table order; futures-only ones only for futures."""
    groups: dict[str, list[Parameter]] = {}
    for spec in PARAMETERS:
        if futures or not spec.futures_only:
            groups.setdefault(spec.group, []).append(spec)
    return groups


_UNIT_SUFFIX = {"%": "%%", "x": "×"}
_UNIT_WORDS = {
    "%": "In percent.",
    "x": "A multiplier (1× = the same as the previous one).",
    "quote": "In the quote currency.",
    "": "A count.",
}
# What 0 means where a setting may be 0; every other setting starts above 0.
ZERO_MEANS = {
    "margin_limit_amount": "0 = no cap in the quote currency: only the Margin limit % applies.",
    "reinforcement_count": "0 = no reinforcements: every deal is the base order alone.",
    "stop_loss_pct": "0 = no stop loss.",
    "fee_pct": "0 = no fee.",
    "recovery_target_pct": "0 = close at break-even after fees.",
}


def slider_help(spec: Parameter) -> str:
    """The setting's help with its unit and what 0 means (or its smallest value)."""
    lowest = int(spec.min) if spec.integer else spec.min
    zero = ZERO_MEANS.get(spec.name) or f"It cannot be 0: the smallest value is {lowest:g}."
    return f"{spec.help} {_UNIT_WORDS.get(spec.unit, '')} {zero}".replace("  ", " ")


def number_format(spec: Parameter) -> str:
    """printf-style format for the widget ("%d", "%.1f%%", "%.2f×")."""
    number = "%.2f" if spec.step < 0.1 or spec.unit == "quote" else "%.1f"
    number = "%d" if spec.integer else number
    return number + _UNIT_SUFFIX.get(spec.unit, "")


# --- The page's form state (pure: works on any mutable mapping, e.g. Streamlit's session state) --


class FormState:
    """The strategy page's widget values, kept in `state` under `prefix` + field name, with one
    unsaved draft per connection so that switching connection loses nothing.

    Widget keys: ``prefix + field`` for every StrategyParams field, plus ``connection``,
    ``quote``, ``name`` (strategy name), ``saved`` (selected saved strategy id). Bookkeeping
    keys: ``active`` (connection the widgets hold), ``drafts``, ``loaded`` (id of the loaded
    strategy), ``balance`` (last quote balance read).
    """

    FIELDS = tuple(StrategyParams().to_dict())

    def __init__(
        self,
        state: MutableMapping[str, Any],
        connections: dict[int, Connection],
        prefix: str = "strategy.",
    ) -> None:
        self.state, self.connections, self.prefix = state, connections, prefix

    def key(self, name: str) -> str:
        return self.prefix + name

    def get(self, name: str, default: Any = None) -> Any:
        return self.state.get(self.key(name), default)

    def set(self, name: str, value: Any) -> None:
        self.state[self.key(name)] = value

    @property
    def active(self) -> int:
        return self.state[self.key("active")]

    @property
    def connection(self) -> Connection:
        return self.connections[self.active]

    def _draft(self, conn_id: int) -> dict[str, Any]:
        drafts = self.state.setdefault(self.key("drafts"), {})
        return drafts.get(conn_id) or default_values(self.connections[conn_id])

    def values(self) -> dict[str, Any]:
        """Widget values; one hidden in the last run (e.g. leverage on spot) comes from the draft."""
        draft = self._draft(self.active)
        return {name: self.get(name, draft[name]) for name in self.FIELDS}

    def params(self) -> StrategyParams:
        return params_from_form(self.values())

    def put(self, params: StrategyParams) -> None:
        """Set every widget from `params` (in a callback, before the widgets are drawn)."""
        for name, value in form_values(params).items():
            self.set(name, value)
        self.state.pop(self.key("quote"), None)

    def prepare(self, opening: int | None = None) -> Connection:
        """Before drawing: pick the active connection (`opening` at first, see
        `opening_connection`), restore values of widgets that were not drawn in the last run,
        and keep the market within what the connection offers."""
        if self.get("active") not in self.connections:
            first = opening if opening in self.connections else next(iter(self.connections))
            self.set("active", first)
            self.set("loaded", None)
        if self.get("connection") not in self.connections:
            self.set("connection", self.active)
        for name, value in self.values().items():
            self.state.setdefault(self.key(name), value)
        options = market_options(self.connection)
        if self.get("market") not in options:
            self.put(for_market(self.params(), options[0]))
        return self.connection

    def choose_pairs(self, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        """Before drawing the quote and pair widgets: keep only offered values."""
        groups = usable_groups(groups, self.get("pairs", []))
        if self.get("quote") not in groups:
            self.set("quote", quote_of(self.get("pairs", []), groups))
        offered = groups.get(self.get("quote"), [])
        self.set("pairs", [p for p in self.get("pairs", []) if p in offered])
        return groups

    def keep_only(self, name: str, options: Container[Any]) -> None:
        """Forget a selection that is no longer among `options` (before drawing the widget)."""
        if self.get(name) not in options:
            self.state.pop(self.key(name), None)

    def follow_balance(self, balance: float | None, fallback: float = 1000.0) -> None:
        """The backtest's starting balance follows the connection's quote balance: set again
        whenever the balance read changes (another connection or quote currency); an edit
        stays until then. Without a balance it starts at `fallback`."""
        if balance is not None and balance > 0 and balance != self.get("start_followed"):
            self.set("start_balance", float(round(balance, 2)))
            self.set("start_followed", balance)
        self.state.setdefault(self.key("start_balance"), fallback)

    def keep_draft(self, params: StrategyParams) -> None:
        self.state.setdefault(self.key("drafts"), {})[self.active] = form_values(params)

    # Callbacks (Streamlit runs them before the script, so they may set widget values).

    def on_connection(self) -> None:
        new = self.get("connection")
        self.set("active", new)
        self.put(params_from_form(self._draft(new)))
        self.set("loaded", None)
        self.set("name", "")

    def on_market(self) -> None:
        params = for_market(self.params(), self.get("market"))
        custom = params.risk_level == "Custom"
        self.put(params if custom else apply_preset(params, params.risk_level))

    def on_preset(self) -> None:
        self.put(apply_preset(self.params(), self.get("risk_level")))

    def on_edit(self) -> None:
        self.set("risk_level", matching_preset(self.params()))

    def on_saved(self, db: Database, action: str) -> str:
        """ "save", "load" or "delete" the strategy named/selected on the page; returns the
        message to show. Raises ValidationError / NotFound."""
        done: SavedStrategy
        if action == "save":
            name = self.get("name", "")
            done = save_strategy(
                db,
                self.active,
                name,
                self.params(),
                strategy_id=strategy_to_update(db, self.active, name, self.get("loaded")),
                quote_balance=self.get("balance"),
            )
        elif action == "load":
            done = get_strategy(db, self.get("saved"))
            if done.connection_id != self.active:
                raise NotFound("This strategy belongs to another connection.")
            self.put(done.params)
        elif action == "delete":  # ask first; the page shows the confirmation
            self.set("confirm_delete", self.get("saved"))
            return ""
        else:
            strategy_id = self.state.pop(self.key("confirm_delete"), None)
            if strategy_id is None:
                raise NotFound("Choose the strategy to delete again.")
            delete_strategy(db, strategy_id)
            if self.get("loaded") == strategy_id:
                self.set("loaded", None)
            return "Strategy deleted."
        self.set("loaded", done.id)
        self.set("saved", done.id)  # the saved-strategies box shows what was just saved
        self.set("name", done.name)
        return "Strategy saved." if action == "save" else "Strategy loaded."
