"""OKX v5's reply envelope (``{"code": "0", "msg": "", "data": [...]}``) and its error replies:
the sandbox's own table.

Written from OKX's API documentation ("Error Code": REST authentication errors answer HTTP 401,
rate limits 429, system errors 5xx) and the codes in reference/exchanges.md section 3.2,
independently of backfuture_core.exchanges: never share the table with the adapters.
"""

from __future__ import annotations

from collections.abc import Sequence

from backfuture_core.sandbox.messages import ErrorTable, Reply, json_reply

OK = "0"
PAGE_LIMIT = 100  # orders-pending, orders-history, fills: at most 100 rows a call


def _error(status: int, code: str, msg: str) -> tuple[int, dict[str, object]]:
    return status, {"code": code, "msg": msg, "data": []}


ERRORS = ErrorTable(
    {
        "missing_key": _error(401, "50103", 'Request header "OK-ACCESS-KEY" can not be empty.'),
        "missing_passphrase": _error(
            401, "50104", 'Request header "OK-ACCESS-PASSPHRASE" can not be empty.'
        ),
        "missing_sign": _error(401, "50106", 'Request header "OK-ACCESS-SIGN" can not be empty.'),
        "missing_timestamp": _error(
            401, "50107", 'Request header "OK-ACCESS-TIMESTAMP" can not be empty.'
        ),
        "timestamp": _error(401, "50102", "Timestamp request expired."),
        "bad_timestamp": _error(401, "50112", "Invalid OK-ACCESS-TIMESTAMP."),
        "unknown_key": _error(401, "50111", "Invalid OK-ACCESS-KEY."),
        "passphrase": _error(401, "50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.'),
        "signature": _error(401, "50113", "Invalid Sign."),
        "ip": _error(401, "50110", "Your IP {ip} is not included in your API key's IP whitelist."),
        "no_permission": _error(
            401, "50120", "API key doesn't have permission to use this function."
        ),
        "account_restricted": _error(
            200,
            "4088",
            "You can't trade or deposit until you've verified your identity again. Head to "
            "Identity Verification to complete it.",
        ),
        "bad_param": _error(400, "51000", "Parameter {name} error."),
        "bad_instrument": _error(400, "51001", "Instrument ID does not exist."),
        "not_found": (404, {"code": "404", "msg": "Not Found"}),
        "rate_limit": _error(429, "50011", "Too Many Requests"),
        "maintenance": _error(
            503, "50001", "Service temporarily unavailable. Please try again later."
        ),
        "server_error": _error(500, "50026", "System error. Try again later."),
    }
)


def ok(data: Sequence[object]) -> Reply:
    return json_reply({"code": OK, "msg": "", "data": list(data)})
