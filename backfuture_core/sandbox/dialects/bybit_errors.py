"""Bybit's error replies, the sandbox's own table (v5 API: ``{"retCode", "retMsg"}`` bodies).

Written from Bybit's v5 documentation (bybit-exchange.github.io/docs/v5/error) and the codes in
reference/exchanges.md sections 3.8 and 5, independently of backfuture_core.exchanges. Bybit
answers most errors with HTTP 200 and a non-zero ``retCode``; a missing or unknown key and a
bad signature come with HTTP 401.
"""

from __future__ import annotations

from backfuture_core.sandbox.messages import ErrorTable


def _body(status: int, code: int, message: str) -> tuple[int, dict[str, object]]:
    return status, {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}}


ERRORS = ErrorTable(
    {
        "invalid_key": _body(401, 10003, "API key is invalid."),
        "signature": _body(
            401, 10004, "Error sign, please check your signature generation algorithm."
        ),
        "timestamp": _body(
            200,
            10002,
            "invalid request, please check your server timestamp or recv_window param. "
            "req_timestamp[{sent}],server_timestamp[{now}],recv_window[{window}]",
        ),
        "ip": _body(200, 10010, "Unmatched IP, please check your API key's bound IP addresses."),
        "no_permission": _body(
            200, 10005, "Permission denied, please check your API key permissions."
        ),
        "restricted": _body(
            200, 10024, "Compliance rules triggered, please contact customer support."
        ),
        "params": _body(200, 10001, "{detail}"),
        "not_found": _body(404, 10017, "route not found"),
        "rate_limit": _body(200, 10006, "Too many visits. Exceeded the API Rate Limit."),
        "server_error": _body(200, 10016, "Internal server error."),
        "maintenance": _body(503, 10016, "Service is under maintenance, please try again later."),
    }
)
