"""Saved strategies: several named DCA settings per connection, stored as JSON.

Names are unique per connection, case-insensitively (the `name_key` column), and follow the
connection-name rules: 1-64 characters, no control or invisible characters. Every write is one
`store.write` transaction with an audit-log entry. Deleting a connection deletes its strategies
(ON DELETE CASCADE).
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlite_utils import Database

from backfuture_core.candles import market_options, pair_for_market, quote_of, usable_groups
from backfuture_core.diagnostics import latest_report
from backfuture_core.errors import NotFound, ValidationError
from backfuture_core.models import CheckState, Connection
from backfuture_core.readiness import can_enable_strategy
from backfuture_core.storage.connections import get_connection
from backfuture_core.storage.database import audit, now_iso, write
from backfuture_core.strategy import (
    FIELD_LABELS,
    PARAMETERS,
    Ladder,
    Parameter,
    Problem,
    StrategyParams,
    apply_preset,
    build_ladder,
    format_money,
    margin_cap,
    matching_preset,
    validate,
)
from backfuture_core.validation import Problems, clean_name, name_key

NAME_LABEL = "Strategy name"
_SPECS = {p.name: p for p in PARAMETERS}


@dataclass(frozen=True)
class SavedStrategy:
    id: int
    connection_id: int
    name: str
    params: StrategyParams
    created_at: str
    updated_at: str


def clean_strategy_name(
    db: Database, connection_id: int, name: str, *, ignore_id: int | None = None
) -> str:
    """The trimmed, NFC-normalised name, or ValidationError({"Strategy name": ...})."""
    text = clean_name(NAME_LABEL, "strategy name", name)
    clash = db.execute(
        "SELECT id FROM strategies WHERE connection_id = ? AND name_key = ? AND id IS NOT ?",
        [connection_id, name_key(text), ignore_id],
    ).fetchone()
    if clash:
        raise ValidationError(
            {
                NAME_LABEL: "This connection already has a strategy with this name (names are "
                "not case-sensitive). Choose another name."
            }
        )
    return text


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


def _row(row: dict) -> SavedStrategy:
    return SavedStrategy(
        id=row["id"],
        connection_id=row["connection_id"],
        name=row["name"],
        params=StrategyParams.from_dict(json.loads(row["params"])),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def list_strategies(db: Database, connection_id: int) -> list[SavedStrategy]:
    """The connection's strategies, by name (case-insensitively)."""
    rows = db.query(
        "SELECT * FROM strategies WHERE connection_id = ? ORDER BY name_key, id", [connection_id]
    )
    return [_row(r) for r in rows]


def get_strategy(db: Database, strategy_id: int) -> SavedStrategy:
    row = next(iter(db.query("SELECT * FROM strategies WHERE id = ?", [strategy_id])), None)
    if row is None:
        raise NotFound("This strategy no longer exists.")
    return _row(row)


def find_strategy(db: Database, connection_id: int, name: str) -> SavedStrategy | None:
    row = db.execute(
        "SELECT id FROM strategies WHERE connection_id = ? AND name_key = ?",
        [connection_id, name_key(name or "")],
    ).fetchone()
    return None if row is None else get_strategy(db, row[0])


def save_strategy(
    db: Database,
    connection_id: int,
    name: str,
    params: StrategyParams,
    *,
    strategy_id: int | None = None,
    quote_balance: float | None = None,
) -> SavedStrategy:
    """Store `params` under `name`: a new strategy, or with `strategy_id` an update of that one
    (its name may change). Settings with validation errors are refused (ValidationError, nothing
    stored); `quote_balance` adds the margin-limit checks that need the balance.
    """
    with write(db):
        conn = get_connection(db, connection_id)
        if strategy_id is not None:
            existing = get_strategy(db, strategy_id)
            if existing.connection_id != connection_id:
                raise NotFound("This strategy belongs to another connection.")
        problems: dict[str, str] = {}
        try:
            clean = clean_strategy_name(db, connection_id, name, ignore_id=strategy_id)
        except ValidationError as exc:
            problems.update(exc.problems)
        try:
            check_params(params, connection_market=conn.market.value, quote_balance=quote_balance)
        except ValidationError as exc:
            problems.update(exc.problems)
        if problems:
            raise ValidationError(problems)
        body, now = json.dumps(params.to_dict(), separators=(",", ":")), now_iso()
        if strategy_id is None:
            strategy_id = db.execute(
                "INSERT INTO strategies (connection_id, name, name_key, params, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [connection_id, clean, name_key(clean), body, now, now],
            ).lastrowid
            action = "strategy saved"
        else:
            db.execute(
                "UPDATE strategies SET name = ?, name_key = ?, params = ?, updated_at = ? "
                "WHERE id = ?",
                [clean, name_key(clean), body, now, strategy_id],
            )
            action = "strategy updated"
        audit(db, action, connection_id=connection_id, detail=f"strategy {strategy_id}")
    return get_strategy(db, strategy_id)


def rename_strategy(db: Database, strategy_id: int, name: str) -> SavedStrategy:
    with write(db):
        existing = get_strategy(db, strategy_id)
        clean = clean_strategy_name(db, existing.connection_id, name, ignore_id=strategy_id)
        db.execute(
            "UPDATE strategies SET name = ?, name_key = ?, updated_at = ? WHERE id = ?",
            [clean, name_key(clean), now_iso(), strategy_id],
        )
        audit(
            db,
            "strategy renamed",
            connection_id=existing.connection_id,
            detail=f"strategy {strategy_id}",
        )
    return get_strategy(db, strategy_id)


def delete_strategy(db: Database, strategy_id: int) -> None:
    with write(db):
        existing = get_strategy(db, strategy_id)
        db.execute("DELETE FROM strategies WHERE id = ?", [strategy_id])
        audit(
            db,
            "strategy deleted",
            connection_id=existing.connection_id,
            detail=f"strategy {strategy_id}",
        )


# --- Helpers for the page's widgets (pure) ----------------------------------------------------


def widget_value(spec: Parameter, value: Any) -> int | float:
    """`value` as the type and within the range a slider for `spec` accepts (min..limit)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float(spec.default)
    if not math.isfinite(number):
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
    for name, spec in _SPECS.items():
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


def number_format(spec: Parameter) -> str:
    """printf-style format for the widget ("%d", "%.1f%%", "%.2f×")."""
    number = "%.2f" if spec.step < 0.1 or spec.unit == "quote" else "%.1f"
    number = "%d" if spec.integer else number
    return number + _UNIT_SUFFIX.get(spec.unit, "")


def try_ladder(
    params: StrategyParams, entry_price: float | None, quote_balance: float | None
) -> Ladder | None:
    """The ladder at `entry_price`, or None when there is no price or the settings cannot form
    one (validation says why)."""
    if entry_price is None or not params.pairs:
        return None
    try:
        return build_ladder(params, entry_price, quote_balance=quote_balance)
    except (ValueError, TypeError, ZeroDivisionError):
        return None


def capital_figures(ladder: Ladder, quote_balance: float | None) -> dict[str, str]:
    """Capital the ladders need (all pairs) next to the margin limit and the balance, as short
    numbers for metric tiles; the quote currency is in the labels."""
    params = ladder.params
    cap = margin_cap(params, quote_balance)
    n_pairs = max(len(params.pairs), 1)
    unit = f" ({params.quote})" if params.quote else ""

    def number(value: float | None) -> str:
        return "not known" if value is None else f"{value:,.2f}"

    return {
        f"Capital needed{unit}": number(ladder.capital_needed * n_pairs),
        f"Margin limit{unit}": number(cap),
        f"Balance{unit}": number(quote_balance),
    }


def ladder_formats(columns) -> dict[str, str]:
    """printf formats for the ladder table's number columns (all but Level and Type)."""
    percent, money = ("Drop from entry %", "Bounce to exit %"), ("Order size", "Total size")
    return {
        c: "%.2f %%" if c in percent else "%.2f" if c in money else "%.6g"
        for c in columns
        if c not in ("Level", "Type")
    }


def summary_frame(ladder: Ladder, quote_balance: float | None) -> pd.DataFrame:
    items = ladder.summary(quote_balance)
    return pd.DataFrame({"Figure": list(items), "Value": list(items.values())})


@dataclass(frozen=True)
class Line:
    """One line of the readiness checklist (same fields as readiness.ReadinessLine)."""

    label: str
    ok: bool
    detail: str = ""


MARGIN_FIELDS = ("margin_limit_pct", "margin_limit_amount")


def margin_line(
    params: StrategyParams, problems: list[Problem], quote_balance: float | None
) -> Line:
    """Whether the margin limit fits the connection's balance (and the ladder fits the limit)."""
    label = "Margin limit fits the balance"
    errors = [p.message for p in problems if p.is_error and p.field in MARGIN_FIELDS]
    if errors:
        return Line(label, False, " ".join(errors))
    if quote_balance is None:
        return Line(label, False, "The balance could not be read.")
    cap = margin_cap(params, quote_balance)
    text = f"The margin limit allows {format_money(cap or 0, params.quote)} of a "
    return Line(label, True, text + f"{format_money(quote_balance, params.quote)} balance.")


def save_as(
    db: Database,
    connection_id: int,
    name: str,
    params: StrategyParams,
    *,
    loaded_id: int | None = None,
    quote_balance: float | None = None,
) -> SavedStrategy:
    """The page's "Save strategy": updates the loaded strategy when the name is still its name
    (case-insensitively), otherwise saves a new one."""
    strategy_id = None
    if loaded_id is not None:
        with contextlib.suppress(NotFound):
            loaded = get_strategy(db, loaded_id)
            if loaded.connection_id == connection_id and name_key(loaded.name) == name_key(
                name or ""
            ):
                strategy_id = loaded_id
    return save_strategy(
        db, connection_id, name, params, strategy_id=strategy_id, quote_balance=quote_balance
    )


@dataclass(frozen=True)
class ReadinessView:
    """The readiness panel: every line, whether all pass, and whether to ask the user to confirm
    that withdrawal is disabled (the exchange does not say)."""

    ok: bool
    lines: tuple[Line, ...]
    ask_withdrawal: bool


def withdrawal_unknown(db: Database, connection: Connection) -> bool:
    """The latest connection test could not tell whether withdrawal is disabled."""
    report = latest_report(db, connection.id)
    check = report.check("withdrawal_disabled") if report is not None else None
    return check is not None and check.state == CheckState.UNKNOWN


def readiness_view(
    db: Database,
    connection: Connection,
    params: StrategyParams,
    problems: list[Problem],
    quote_balance: float | None,
    *,
    withdrawal_confirmed: bool = False,
) -> ReadinessView:
    """`readiness.can_enable_strategy` lines plus the margin-limit line and the settings."""
    ready = can_enable_strategy(
        db, connection, market=params.market, withdrawal_confirmed=withdrawal_confirmed
    )
    lines = [Line(r.label, r.ok, r.detail) for r in ready.reasons]
    lines.append(margin_line(params, problems, quote_balance))
    errors = [p.message for p in problems if p.is_error]
    lines.append(Line("Settings valid", not errors, " ".join(errors[:3])))
    ask = withdrawal_unknown(db, connection)
    return ReadinessView(all(line.ok for line in lines), tuple(lines), ask)


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

    def __init__(self, state: Any, connections: dict[int, Connection], prefix: str = "strategy."):
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

    def prepare(self) -> Connection:
        """Before drawing: pick the active connection, restore values of widgets that were not
        drawn in the last run, and keep the market within what the connection offers."""
        if self.get("active") not in self.connections:
            self.set("active", next(iter(self.connections)))
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

    def keep_only(self, name: str, options: Any) -> None:
        """Forget a selection that is no longer among `options` (before drawing the widget)."""
        if self.get(name) not in options:
            self.state.pop(self.key(name), None)

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
        if action == "save":
            done = save_as(
                db,
                self.active,
                self.get("name", ""),
                self.params(),
                loaded_id=self.get("loaded"),
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
        self.set("name", done.name)
        return "Strategy saved." if action == "save" else "Strategy loaded."
