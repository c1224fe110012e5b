"""Names that look the same clash (connections and strategies alike), stacked accents are
refused, the migration to look-alike keys never loses a row, and Start demo always finds a
free name."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from backfuture_core import demo
from backfuture_core.errors import ValidationError
from backfuture_core.lookalikes import parse_table, prototypes
from backfuture_core.storage import connections as core
from backfuture_core.storage.database import audit_log, write
from backfuture_core.storage.migrations import MIGRATIONS
from backfuture_core.strategy import saved as strategies
from backfuture_core.strategy.params import StrategyParams


def form(name: str, key: str = "mx0vglAPIKEY1234") -> core.ConnectionForm:
    return core.ConnectionForm(
        exchange="mexc", name=name, api_key=key, secret="SECRETvalue0123456789"
    )


LOOK_ALIKES = {
    "full width M": "\uff2dain",
    "Cyrillic capital Em": "\u041cain",
    "Cyrillic small em": "\u043cain",
    "Cyrillic small a": "M\u0430in",
    "Ukrainian i": "Ma\u0456n",
    "capital I for i": "MaIn",
    "upper case": "MAIN",
    "lower case, spaces": "  main ",
    "mathematical bold M": "\U0001d40cain",
}


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_name_that_looks_like_a_saved_one_is_refused(db, vault, name):
    core.add_connection(db, vault, form("Main"))
    with pytest.raises(ValidationError) as caught:
        core.add_connection(db, vault, form(name, key="mx0vglOTHER9999"))
    assert "looks the same" in caught.value.problems["Connection name"]
    assert [c.name for c in core.list_connections(db)] == ["Main"]
    assert core.find_connection(db, name).name == "Main"  # the CLI finds it the same way


@pytest.mark.parametrize("name", ["Mail", "Mall", "Main 2", "Café", "Mains", "Ma in"])
def test_names_that_only_resemble_each_other_are_both_kept(db, vault, name):
    core.add_connection(db, vault, form("Main"))
    core.add_connection(db, vault, form("Cafe", key="mx0vglCAFE00001"))
    assert core.add_connection(db, vault, form(name, key="mx0vglOTHER9999")).name == name


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("Z" + "\u0301" * 63, False),  # a pile of 63 combining marks on one letter
        ("Za\u0301\u0300\u0302", False),  # three on one letter
        ("Vi\u1ec7t Nam", True),  # Vietnamese: two marks on one letter (e + circumflex + dot)
        ("Cafe\u0301 Main", True),  # one mark, decomposed
    ],
)
def test_stacked_accents_are_refused(db, vault, name, accepted):
    if accepted:
        assert core.add_connection(db, vault, form(name)).name
        return
    with pytest.raises(ValidationError) as caught:
        core.add_connection(db, vault, form(name))
    assert "too many accents" in caught.value.problems["Connection name"]
    assert core.list_connections(db) == []


def test_a_rename_to_a_look_alike_is_refused_and_changes_nothing(db, vault):
    core.add_connection(db, vault, form("Main"))
    other = core.add_connection(db, vault, form("Other", key="mx0vglOTHER9999"))
    with pytest.raises(ValidationError, match="looks the same"):
        core.update_connection(db, other.id, version=other.version, name="\u041cain")
    assert core.get_connection(db, other.id) == other


def test_strategy_names_follow_the_same_rule(db, vault):
    conn = core.add_connection(db, vault, form("Main"))
    strategies.save_strategy(db, conn.id, "Main", StrategyParams(pairs=("ETH/USDT",)))
    with pytest.raises(ValidationError):
        strategies.save_strategy(db, conn.id, "\u041cain", StrategyParams(pairs=("ETH/USDT",)))
    assert [s.name for s in strategies.list_strategies(db, conn.id)] == ["Main"]


def test_the_table_is_unicodes_and_maps_to_prototypes():
    table = prototypes()
    assert len(table) > 6000
    assert table["\u041c"] == "M"
    assert table["\uff2d"] == "M"
    assert parse_table("0430 ;\t0061 ;\tMA\t# ( а → a )\n# comment\n\n") == {"\u0430": "a"}


# --- Migration m005 over a database made before it --------------------------------------------


def _database_before_m005(path) -> Database:
    db = Database(path)
    with write(db):
        MIGRATIONS.apply(db, stop_before="m005_versions_and_lookalike_names")
    rows = [
        ("Main", "main"),
        ("\u041cain", "\u043cain"),
        ("\uff2dain", "\uff4dain"),
        ("Other", "other"),
    ]
    with write(db):
        for name, key in rows:
            db.execute(
                "INSERT INTO connections (name, name_key, exchange, market, key_hint, created_at,"
                " updated_at) VALUES (?, ?, 'mexc', 'spot', '…abcd', 'then', 'then')",
                [name, key],
            )
        for name, key in [("Plan", "plan"), ("Pl\u0430n", "pl\u0430n")]:
            db.execute(
                "INSERT INTO strategies (connection_id, name, name_key, params, created_at, "
                "updated_at) VALUES (1, ?, ?, '{}', 'then', 'then')",
                [name, key],
            )
    return db


def test_migration_keeps_every_row_and_renames_look_alikes(tmp_path):
    db = _database_before_m005(tmp_path / "old.db")
    with write(db):
        MIGRATIONS.apply(db)
    names = {c.id: (c.name, c.version) for c in core.list_connections(db)}
    assert names == {
        1: ("Main", 1),
        2: ("\u041cain (2)", 1),
        3: ("\uff2dain (3)", 1),
        4: ("Other", 1),
    }
    assert [s.name for s in strategies.list_strategies(db, 1)] == ["Plan", "Pl\u0430n (2)"]
    renamed = [e for e in audit_log(db) if "renamed" in e["action"]]
    assert len(renamed) == 3
    keys = [row[0] for row in db.execute("SELECT name_key FROM connections")]
    assert len(set(keys)) == 4
    db.close()


# --- Start demo ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_name", ["mexc spot main (demo)", "MEXC Spot Main (demo 2)", "\uff2dEXC Spot Main (demo)"]
)
def test_start_demo_never_clashes_with_a_user_name(db, vault, user_name):
    mine = core.add_connection(db, vault, form(user_name))
    added = demo.start_demo(db, vault)
    assert len(added) == len(demo.DEMO_LABELS)
    names = [c.name for c in core.list_connections(db)]
    assert user_name.strip() in names
    assert core.get_connection(db, mine.id) == mine
    assert any(n.startswith("MEXC Spot Main (demo ") for n in names)
    assert demo.start_demo(db, vault) == []  # still idempotent
