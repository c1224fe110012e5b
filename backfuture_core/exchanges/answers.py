"""Answers are validated: an exchange answer without the fields an adapter reads is not the
exchange's API (`wrong_address`), never a pass."""

from __future__ import annotations

from typing import Any

from backfuture_core.errors import ExchangeError

FieldTypes = type | tuple[type, ...]


def expect(body: Any, what: str, exchange: str, where: str, **fields: FieldTypes) -> dict:
    """`body` when it is an object whose `fields` have the given types; else ExchangeError
    `wrong_address` naming what is missing, `where` the request went (host) and `exchange`."""
    missing = [
        name
        for name, kind in fields.items()
        if not isinstance(body, dict) or not isinstance(body.get(name), kind)
    ]
    if isinstance(body, dict) and not missing:
        return body
    lacking = ", ".join(missing) if isinstance(body, dict) else "a JSON object"
    raise ExchangeError(
        "wrong_address",
        f"The {what} answer from {where or exchange} lacks {lacking}: it is not {exchange}'s API.",
        exchange=exchange,
    )
