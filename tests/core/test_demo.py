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


def add_real(db, vault) -> core.Connection:
    """A user's own connection beside the demo ones."""
    form = core.ConnectionForm(
        exchange="mexc", name="MEXC Real", api_key="mx0vglREAL00001", secret="realsecret123"
    )
    return core.add_connection(db, vault, form)


def test_remove_demo_keeps_real_connections(db, vault):
    demo.start_demo(db, vault)
    real = add_real(db, vault)
    assert demo.remove_demo(db) == len(demo.DEMO_LABELS)
    assert [c.id for c in core.list_connections(db)] == [real.id]
    assert not demo.has_demo(db)


def test_demo_connections_are_pointed_at_the_sandbox_where_they_are_resolved(db, vault):
    from backfuture_core.sandbox import shared_sandbox

    demo.start_demo(db, vault)
    real = add_real(db, vault)
    ready = {c.name: c for c in demo.resolved(core.list_connections(db))}
    sandbox = shared_sandbox()
    assert ready["KuCoin Futures Conservative (demo)"].api_base_url == sandbox.base_url("kucoin")
    assert ready["MEXC Spot Main (demo)"].api_base_url == sandbox.base_url("mexc")
    assert ready["MEXC Real"] == real  # real connections are left as they are


def test_an_unresolved_demo_connection_never_reaches_a_real_exchange(db, vault):
    import asyncio

    from backfuture_core.diagnostics.run import run_async

    (added, *_) = demo.start_demo(db, vault)
    report = asyncio.run(run_async(added, core.load_credentials(db, vault, added.id)))
    assert report.status.value == "failed"
    assert report.error_message is not None
    assert "no sandbox address" in report.error_message  # refused before any request was made
