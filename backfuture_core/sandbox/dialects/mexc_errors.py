"""MEXC's error replies, the sandbox's own table (spot v3 and contract v1).

Written from MEXC's API documentation and the bodies quoted in reference/exchanges.md section
1.3, independently of backfuture_core.exchanges: never share it with the adapters, or a wrong
mapping would pass every test.
"""

from __future__ import annotations

from backfuture_core.sandbox.messages import ErrorTable

MAINTENANCE_ANNOUNCEMENT = "https://www.mexc.com/support/articles/17827791510263"

SPOT_ERRORS = ErrorTable(
    {
        "api_key_required": (400, {"code": 400, "msg": "api key required"}),
        "invalid_key": (400, {"code": 10072, "msg": "Api key info invalid"}),
        "signature": (400, {"code": 700002, "msg": "Signature for this request is not valid."}),
        "timestamp": (
            400,
            {"code": 700003, "msg": "Timestamp for this request is outside of the recvWindow."},
        ),
        "missing": (
            400,
            {
                "code": 700004,
                "msg": "Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
            },
        ),
        "recv_window": (400, {"code": 700005, "msg": "recvWindow must less than 60000"}),
        "ip": (400, {"code": 700006, "msg": "IP [{ip}] not in the ip white list"}),
        "no_permission": (403, {"code": 700007, "msg": "No permission to access the endpoint."}),
        "unknown_order": (400, {"code": -2011, "msg": "Unknown order sent."}),
        "order_not_exist": (400, {"code": -2013, "msg": "Order does not exist."}),
        "invalid_symbol": (400, {"code": -1121, "msg": "Invalid symbol."}),
        "invalid_interval": (400, {"code": -1120, "msg": "Invalid interval."}),
        "access_key_null": (400, {"code": 730707, "msg": "accessKey cannot be null"}),
        "api_key_not_exist": (400, {"code": 730706, "msg": "API KEY information does not exist"}),
        # Account states (the ``account`` fault), from MEXC's spot v3 error-code page.
        "abnormal": (400, {"code": 60005, "msg": "your account is abnormal"}),
        "unusual_status": (400, {"code": 730100, "msg": "Unusual user status"}),
        # "Access Denied": request frequency or the platform's access rules (HTTP 403).
        "access_denied": (403, {"code": 403, "msg": "Access Denied"}),
        "not_found": (404, {"code": 404, "msg": "Not Found"}),
        "method_not_allowed": (405, {"code": 405, "msg": "Method Not Allowed"}),
        "rate_limit": (429, {"code": 429, "msg": "Too Many Requests"}),
        "server_error": (503, {"code": 503, "msg": "service not available, please try again"}),
        "maintenance": (
            503,
            {
                "code": 500,
                "message": "Under maintenance, please try again later",
                "announcement": MAINTENANCE_ANNOUNCEMENT,
            },
        ),
    }
)


def _contract(status: int, code: int, message: str) -> tuple[int, dict[str, object]]:
    return status, {"success": False, "code": code, "message": message}


CONTRACT_ERRORS = ErrorTable(
    {
        "not_logged_in": _contract(200, 401, "Not logged in or login has expired"),
        "invalid_key": _contract(200, 10072, "Invalid access key"),
        "request_time": _contract(
            200, 513, "Invalid request(for open api serves time more or less than 10 seconds)"
        ),
        "signature": _contract(200, 602, "Signature verification failed!"),
        "ip": _contract(200, 406, "Accessing IP is not in the whitelist!"),
        "no_permission": _contract(200, 701, "Please enable API Key read access"),
        "no_contract": _contract(200, 1001, "Contract does not exist!"),
        # Account states (the ``account`` fault), from MEXC's contract v1 error codes: the
        # futures account was never opened; the account may not trade.
        "futures_not_opened": _contract(200, 1000, "Account does not exist"),
        "trading_forbidden": _contract(200, 6001, "Trading forbidden"),
        "not_found": _contract(404, 404, "Not Found"),
        "rate_limit": _contract(429, 510, "Requests are too frequent, please try again later"),
        "server_error": _contract(503, 503, "System busy, try again later"),
    }
)
