"""Demo mode: the sandbox's demo connections, labelled and removable in one action."""

from __future__ import annotations

from backfuture_core import demo
from backfuture_core.storage import connections as core


def test_start_demo_adds_labelled_connections_once(db, vault):
    added = demo.start_demo(db, vault)
    assert {c.name for c in added} == set(demo.DEMO_LABELS)
    assert all(c.is_demo and c.name.endswith("(demo)") for c in added)
    assert all(c.api_base_url is None for c in added)  # resolved to the running sandbox
    kucoin = next(c for c in added if c.exchange == "kucoin")
    assert core.load_credentials(db, vault, kucoin.id).passphrase is not None
    assert demo.start_demo(db, vault) == []  # idempotent
    assert demo.has_demo(db)


def test_remove_demo_keeps_real_connections(db, vault):
    demo.start_demo(db, vault)
    real = core.add_connection(
        db,
        vault,
        core.ConnectionForm(
            exchange="mexc", name="MEXC Real", api_key="mx0vglREAL00001", secret="realsecret123"
        ),
    )
    assert demo.remove_demo(db) == len(demo.DEMO_LABELS)
    assert [c.id for c in core.list_connections(db)] == [real.id]
    assert not demo.has_demo(db)
