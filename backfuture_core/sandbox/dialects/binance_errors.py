"""Binance's error replies, the sandbox's own table (spot ``/api`` and ``/sapi``, USD-M ``/fapi``).

Written from Binance's API documentation ("Error codes" of the spot and derivatives APIs) and
the bodies quoted in reference/exchanges.md section 3.1, independently of
backfuture_core.exchanges. Binance answers ``-2015`` for an unknown key, an IP address not on
the key's list and a missing permission alike.
"""

from __future__ import annotations

from backfuture_core.sandbox.messages import ErrorTable

REFUSED = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}

ERRORS = ErrorTable(
    {
        "api_key_format": (401, {"code": -2014, "msg": "API-key format invalid."}),
        "invalid_key": (401, REFUSED),
        "ip": (401, REFUSED),
        "no_permission": (401, REFUSED),
        "signature": (400, {"code": -1022, "msg": "Signature for this request is not valid."}),
        "timestamp": (
            400,
            {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
        ),
        "recv_window": (400, {"code": -1131, "msg": "recvWindow must be less than 60000"}),
        "missing": (
            400,
            {
                "code": -1102,
                "msg": "Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
            },
        ),
        "invalid_symbol": (400, {"code": -1121, "msg": "Invalid symbol."}),
        "invalid_interval": (400, {"code": -1120, "msg": "Invalid interval."}),
        "window": (
            400,
            {"code": -1127, "msg": "More than {hours} hours between startTime and endTime."},
        ),
        "not_found": (404, {"code": -1000, "msg": "Not Found"}),
        "rate_limit": (
            429,
            {
                "code": -1003,
                "msg": "Too much request weight used; current limit is 6000 request weight per "
                "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
            },
        ),
        "server_error": (
            503,
            {
                "code": -1008,
                "msg": "Server is currently overloaded with other requests. Please try again in "
                "a few minutes.",
            },
        ),
        "maintenance": (503, {"code": 1, "msg": "System is under maintenance."}),
    }
)
