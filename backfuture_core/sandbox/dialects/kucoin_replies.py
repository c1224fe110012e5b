"""KuCoin's reply envelopes (``{"code": "200000", "data": ...}`` and its pages), its object
ids, and its error replies: the sandbox's own table.

Written from KuCoin's API documentation and the codes in reference/exchanges.md section 2.3,
independently of backfuture_core.exchanges: never share the table with the adapters, or a
wrong mapping would pass every test.
"""

from __future__ import annotations

import math

from backfuture_core.sandbox.messages import ErrorTable, Reply, Request, json_reply
from backfuture_core.sandbox.prices import hash64

OK = "200000"
PAGE_SIZE_MIN, PAGE_SIZE_MAX = 10, 500


def _error(status: int, code: str, msg: str) -> tuple[int, dict[str, object]]:
    return status, {"code": code, "msg": msg}


ERRORS = ErrorTable(
    {
        "missing_headers": _error(
            401,
            "400001",
            "Any of KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE is missing in "
            "your request header.",
        ),
        "timestamp": _error(401, "400002", "Invalid KC-API-TIMESTAMP."),
        "unknown_key": _error(401, "400003", "KC-API-KEY does not exist."),
        "passphrase": _error(401, "400004", "Invalid KC-API-PASSPHRASE."),
        "signature": _error(401, "400005", "Invalid KC-API-SIGN."),
        "ip": _error(401, "400006", "Invalid request IP, the current client IP is: {ip}."),
        "no_permission": _error(403, "400007", "Access denied, requires more permission."),
        "key_version": _error(401, "400009", "Invalid KC-API-KEY-VERSION."),
        "bad_symbol": _error(400, "400100", "Unsupported trading pair."),
        "bad_param": _error(400, "400100", "Parameter {name} is invalid."),
        "order_not_exist": _error(400, "400100", "order_not_exist_or_not_allow_to_cancel"),
        # Account states (the ``account`` fault), from KuCoin's error codes: identity
        # verification, and the region and compliance restrictions.
        "kyc_required": _error(
            400,
            "400303",
            "To enjoy the full range of our products and services, we kindly request you "
            "complete the identity verification process.",
        ),
        "region_restricted": _error(
            400,
            "400301",
            "Operation restricted due to local laws, regulations or policies in your country "
            "or region.",
        ),
        "compliance_restricted": _error(
            400, "400302", "Operation restricted due to compliance requirements in your region."
        ),
        "region_unsupported": _error(
            400,
            "400500",
            "Your located country/region is currently not supported for the trading of this token",
        ),
        "not_found": _error(404, "404000", "Url Not Found"),
        "rate_limit": _error(
            429, "429000", "Too many requests in a short period of time, please retry later."
        ),
        "server_error": _error(500, "500000", "Internal Server Error"),
    }
)


def ok(data: object) -> Reply:
    return json_reply({"code": OK, "data": data})


def page(items: list[dict[str, object]], req: Request, default_size: int = 50) -> Reply:
    """One page of a list (``currentPage`` from 1, ``pageSize`` 10 to 500)."""
    number = max(req.int_param("currentPage") or 1, 1)
    size = req.limit("pageSize", default_size, PAGE_SIZE_MIN, PAGE_SIZE_MAX)
    return ok(
        {
            "currentPage": number,
            "pageSize": size,
            "totalNum": len(items),
            "totalPage": math.ceil(len(items) / size),
            "items": items[(number - 1) * size : number * size],
        }
    )


def hex_id(*parts: int) -> str:
    """A 24-hex-digit id shaped like KuCoin's object ids."""
    return f"{hash64(*parts) % 16**24:024x}"
