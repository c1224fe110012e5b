"""Bitget's reply envelope (``{"code": "00000", "msg": "success", "requestTime", "data"}``)
and its error replies: the sandbox's own table.

Written from Bitget's API documentation ("Error codes" of the common API; HTTP 401 for the
key, 403 for access, 429 for the rate limit) and the codes in reference/exchanges.md section
3.3, independently of backfuture_core.exchanges: never share the table with the adapters.
"""

from __future__ import annotations

from backfuture_core.sandbox.messages import ErrorTable, Reply, Request, json_reply

OK = "00000"
PAGE_LIMIT = 100  # unfilled-orders, history-orders, fills: at most 100 rows a call


def _error(status: int, code: str, msg: str) -> tuple[int, dict[str, object]]:
    return status, {"code": code, "msg": msg, "requestTime": 0, "data": None}


ERRORS = ErrorTable(
    {
        "missing_key": _error(401, "40001", "ACCESS_KEY cannot be empty"),
        "missing_sign": _error(401, "40003", "Signature cannot be empty"),
        "missing_timestamp": _error(400, "40005", "Invalid ACCESS_TIMESTAMP"),
        "missing_passphrase": _error(401, "40011", "ACCESS_PASSPHRASE cannot be empty"),
        "timestamp": _error(400, "40008", "Request timestamp expired"),
        "unknown_key": _error(401, "40037", "Apikey does not exist"),
        "passphrase": _error(401, "40012", "apikey/password is incorrect"),
        "signature": _error(401, "40009", "sign signature error"),
        "ip": _error(403, "40018", "Invalid IP"),
        "no_permission": _error(403, "40014", "Incorrect permissions"),
        "account_restricted": _error(
            403, "40016", "The user must bind the phone or Google authenticator"
        ),
        "bad_param": _error(400, "40017", "Parameter verification failed: {name}"),
        "bad_symbol": _error(400, "40034", "Parameter symbol does not exist"),
        "not_found": _error(404, "40404", "Request URL NOT FOUND"),
        "rate_limit": _error(429, "429", "Too Many Requests"),
        "maintenance": _error(503, "40200", "Server upgrade, please try again later"),
        "server_error": _error(500, "40015", "System is abnormal, please try again later"),
    }
)


def ok(data: object, req: Request) -> Reply:
    return json_reply({"code": OK, "msg": "success", "requestTime": req.now_ms, "data": data})
