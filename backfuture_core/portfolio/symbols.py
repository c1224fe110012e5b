"""Which symbols to ask an exchange about when it answers one symbol per call: besides the held
assets and the user's choice, the pairs of the connection's saved strategies."""

from __future__ import annotations

import json

from sqlite_utils import Database


def strategy_pairs(db: Database, connection_id: int) -> tuple[str, ...]:
    """Pairs of the connection's saved strategies ("BTC/USDT", "ETH/USDT:USDT", ...)."""
    pairs: set[str] = set()
    for (params,) in db.execute(
        "SELECT params FROM strategies WHERE connection_id = ?", [connection_id]
    ).fetchall():
        try:
            found = json.loads(params).get("pairs") or []
        except (ValueError, AttributeError):
            continue
        pairs.update(p for p in found if isinstance(p, str) and "/" in p)
    return tuple(sorted(pairs))
