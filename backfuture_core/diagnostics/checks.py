"""The checklist of a connection test, derived from the probes' answers (pure: no I/O).

`build_checks` turns the answers into the eight checks in display order, `overall_status` ranks
them into the connection's status, and `error_category` names the one problem to explain.
"""

from __future__ import annotations

from collections.abc import Sequence

from backfuture_core.diagnostics.probes import Outcome, Probes
from backfuture_core.errors import CATEGORIES, ExchangeError
from backfuture_core.exchanges.key_info import KeyInfo
from backfuture_core.models import CHECK_IDS, Check, CheckState, Connection, Status
from backfuture_core.values import DAY_MS

CLOCK_TOLERANCE_MS = 1_000
EXPIRY_WARNING_DAYS = 14
NOT_REACHED = "Not checked: the exchange was not reached."
# Errors that say something about the key itself, most telling first.
KEY_ERRORS = (
    "ip_not_allowed",
    "wrong_passphrase",
    "invalid_key",
    "account_frozen",
    "account_restricted",
    "clock_skew",
    "no_permission",
)
OK = (CheckState.PASS, CheckState.WARN)  # the key works (a warning: it expires soon)
REQUIRED = ("reachable", "key_valid", "read", "trade", "futures", "ip_restricted")
# A probe failing with these never reached the exchange, or did not reach its API.
NOT_ANSWERED = ("network_unreachable", "wrong_address", "exchange_unavailable", "rate_limited")
# A balance call refused for these fails its check (the others leave it unknown).
REFUSALS = ("no_permission", "futures_not_enabled", "account_restricted", "account_frozen")
FUTURES_REFUSALS = ("no_permission", "futures_not_enabled")  # about futures, not reading
DELETE_OLD_KEYS = "Delete old keys on the exchange if they are no longer used."
UNIFIED = (
    "This account is in Unified mode: balances may be incomplete (BackFuture reads the classic "
    "accounts)."
)


def not_reached(answer: Outcome) -> bool:
    """Whether a probe's answer is a request that never reached the exchange."""
    return isinstance(answer, ExchangeError) and answer.category.id == "network_unreachable"


def _from_error(check_id: str, error: ExchangeError, state: CheckState = CheckState.FAIL) -> Check:
    if not_reached(error) and state != CheckState.FAIL:
        return Check(check_id, CheckState.UNKNOWN, NOT_REACHED, error.category.remedy)
    return Check(check_id, state, error.detail or error.category.cause, error.category.remedy)


def main_error(probes: Probes) -> ExchangeError | None:
    errors = probes.errors()
    for category in KEY_ERRORS:
        for error in errors:
            if error.category.id == category:
                return error
    signed_errors = [a for a in probes.signed() if isinstance(a, ExchangeError)]
    return signed_errors[0] if signed_errors else (errors[0] if errors else None)


def _reachable(probes: Probes, main: ExchangeError | None) -> Check:
    if not isinstance(probes.server_time, ExchangeError) or probes.signed_ok():
        return Check("reachable", CheckState.PASS, "The exchange answered.")
    if main is not None and main.category.id in NOT_ANSWERED:
        return _from_error("reachable", main)
    if main is not None:  # the exchange answered the signed calls with an error
        return Check("reachable", CheckState.PASS, "The exchange answered.")
    return _from_error("reachable", probes.server_time)


def key_age(key: KeyInfo, now_ms: float | None) -> tuple[str, bool]:
    """The key's age and expiry as a sentence, and whether it expires within 14 days."""
    parts = []
    if key.created_at_ms is not None and now_ms is not None:
        days = max(int((now_ms - key.created_at_ms) // DAY_MS), 0)
        parts.append(f"created {days} day{'s' if days != 1 else ''} ago")
    if key.expires_in_days is not None:
        parts.append(f"expires in {key.expires_in_days} days")
    if not parts:
        return "", False
    soon = key.expires_in_days is not None and key.expires_in_days <= EXPIRY_WARNING_DAYS
    return f" The key was {' and '.join(parts)}. {DELETE_OLD_KEYS}", soon


def _key_valid(probes: Probes, main: ExchangeError | None) -> Check:
    if probes.signed_ok():
        key = probes.key
        age, soon = key_age(key, probes.checked_at_ms) if isinstance(key, KeyInfo) else ("", False)
        detail = "The exchange accepted the API Key." + age
        if soon:
            remedy = (
                "Create a new key on the exchange before this one expires and save it here with "
                "'Replace keys' (on MEXC a key bound to an IP address does not expire)."
            )
            return Check("key_valid", CheckState.WARN, detail, remedy)
        return Check("key_valid", CheckState.PASS, detail)
    if main is not None and main.category.id in ("invalid_key", "wrong_passphrase"):
        return _from_error("key_valid", main)
    if main is not None and main.category.id == "account_frozen":
        return _from_error("key_valid", main)
    if main is None:
        return Check("key_valid", CheckState.UNKNOWN, "The key was not used.")
    if not_reached(main):
        return _from_error("key_valid", main, CheckState.UNKNOWN)
    detail = f"Not confirmed: {main.category.title.lower()} ({main.detail or main.category.cause})"
    return Check("key_valid", CheckState.UNKNOWN, detail, main.category.remedy)


def _balance_check(check_id: str, answer: Outcome, label: str) -> Check:
    if isinstance(answer, ExchangeError):
        state = CheckState.FAIL if answer.category.id in REFUSALS else CheckState.UNKNOWN
        return _from_error(check_id, answer, state)
    return Check(check_id, CheckState.PASS, f"The {label} balance was read.")


def _read(probes: Probes, connection: Connection) -> Check:
    answer = probes.spot if connection.market.has_spot else probes.futures
    label = "spot" if connection.market.has_spot else "futures"
    key = probes.key
    if isinstance(key, KeyInfo) and key.read is False:
        cat = CATEGORIES["no_permission"]
        return Check("read", CheckState.FAIL, "The key has no read permission.", cat.remedy)
    refused = isinstance(answer, ExchangeError) and answer.category.id in FUTURES_REFUSALS
    if refused and label == "futures" and isinstance(key, KeyInfo) and key.read:
        # K5: the futures account needs the futures permission (or opening), not more reading.
        detail = "The key can read; the futures account could not be read (see Futures)."
        return Check("read", CheckState.PASS, detail)
    check = _balance_check("read", answer, label)
    if check.state == CheckState.PASS and probes.unified:
        remedy = "Check the holdings of the unified account on the exchange's website."
        return Check("read", CheckState.WARN, f"{check.detail} {UNIFIED}", remedy)
    return check


def _unknown(check_id: str, key: Outcome) -> Check:
    if not_reached(key):
        return Check(check_id, CheckState.UNKNOWN, NOT_REACHED, key.category.remedy)
    detail = (
        "The exchange did not say."
        if not isinstance(key, ExchangeError)
        else f"The key information could not be read: {key.category.title.lower()}."
    )
    return Check(check_id, CheckState.UNKNOWN, detail, "Check this permission on the exchange.")


def _trade(probes: Probes, connection: Connection) -> Check:
    key = probes.key
    allowed = None
    if isinstance(key, KeyInfo):
        allowed = key.spot_trade if connection.market.has_spot else key.futures_trade
    if allowed is None:
        return _unknown("trade", key)
    if allowed:
        return Check("trade", CheckState.PASS, "Trading is allowed.")
    cat = CATEGORIES["no_trading_permission"]
    return Check("trade", CheckState.FAIL, cat.cause, cat.remedy)


def _futures(probes: Probes, connection: Connection) -> Check:
    if not connection.market.has_futures:
        return Check("futures", CheckState.SKIPPED, "Not needed: this is a spot connection.")
    key = probes.key
    allowed = key.futures_trade if isinstance(key, KeyInfo) else None
    remedy = "Enable futures permission on the exchange, but keep withdrawal disabled."
    if allowed is False:
        return Check(
            "futures", CheckState.FAIL, "Futures trading is disabled for this key.", remedy
        )
    account = _balance_check("futures", probes.futures, "futures")
    if account.state != CheckState.PASS:
        return account
    if allowed is None:
        return _unknown("futures", key)
    return Check("futures", CheckState.PASS, "Futures trading is allowed; the account was read.")


def _withdrawal(probes: Probes) -> Check:
    key = probes.key
    allowed = key.withdraw if isinstance(key, KeyInfo) else None
    if allowed is None:
        return Check(
            "withdrawal_disabled",
            CheckState.UNKNOWN,
            NOT_REACHED
            if not_reached(key)
            else "BackFuture could not confirm that withdrawal is disabled.",
            "Check on the exchange that withdrawal is disabled for this key; you will be asked "
            "to confirm it before a strategy can be enabled.",
        )
    if allowed:
        return Check(
            "withdrawal_disabled",
            CheckState.FAIL,
            "This key can withdraw funds.",
            "Disable withdrawal permission on the exchange (or create a new key without it). "
            "This permission must not be given to a trading bot.",
        )
    return Check("withdrawal_disabled", CheckState.PASS, "Withdrawal is disabled.")


def _ip_restricted(probes: Probes, main: ExchangeError | None) -> Check:
    if main is not None and main.category.id == "ip_not_allowed":
        seen = f" The exchange saw this computer as {main.reported_ip}." if main.reported_ip else ""
        return Check(
            "ip_restricted",
            CheckState.FAIL,
            f"The key's IP whitelist does not include this computer.{seen}",
            main.category.remedy,
        )
    key = probes.key
    ips = key.ip_whitelist if isinstance(key, KeyInfo) else None
    if ips is None and isinstance(key, KeyInfo) and key.ip_restricted is False:
        ips = ()  # the exchange says only whether a restriction exists (Binance): none
    if ips is None and isinstance(key, KeyInfo) and key.ip_restricted:
        detail = (
            "Restricted to a list of IP addresses. The exchange does not list the addresses, so "
            "BackFuture cannot confirm from it that this computer's IP is on it; the exchange "
            "accepted this computer's requests."
        )
        return Check("ip_restricted", CheckState.PASS, detail)
    if ips is None:
        return _unknown("ip_restricted", key)
    if ips and key.ip_list_masked:  # K3: the exchange shows the list masked
        detail = (
            f"Restricted to {', '.join(ips)}. The exchange shows the list masked, so BackFuture "
            "cannot confirm from it that this computer's IP is on it; the exchange accepted "
            "this computer's requests."
        )
        return Check("ip_restricted", CheckState.PASS, detail)
    if ips:
        return Check("ip_restricted", CheckState.PASS, "Restricted to " + ", ".join(ips) + ".")
    expiry = (
        f" Keys without an IP restriction expire; this one in {key.expires_in_days} days."
        if key.expires_in_days is not None
        else ""
    )
    return Check(
        "ip_restricted",
        CheckState.WARN,
        "Any IP address can use this key." + expiry,
        "Set an IP restriction on the exchange so that only this computer's IP can use the key.",
    )


def _clock(probes: Probes) -> Check:
    skew = probes.skew_ms
    if skew is None and not_reached(probes.server_time):
        return Check("clock", CheckState.UNKNOWN, NOT_REACHED)
    if skew is None:
        return Check("clock", CheckState.UNKNOWN, "The exchange's time could not be read.")
    cat = CATEGORIES["clock_skew"]
    if abs(skew) > CLOCK_TOLERANCE_MS or probes.resynced:
        detail = f"This computer's clock is {abs(skew)} ms off the exchange's."
        return Check("clock", CheckState.WARN, detail, cat.remedy)
    return Check("clock", CheckState.PASS, f"Within {abs(skew)} ms of the exchange's clock.")


def build_checks(probes: Probes, connection: Connection) -> tuple[Check, ...]:
    main = main_error(probes)
    checks = {
        "reachable": _reachable(probes, main),
        "key_valid": _key_valid(probes, main),
        "read": _read(probes, connection),
        "trade": _trade(probes, connection),
        "futures": _futures(probes, connection),
        "withdrawal_disabled": _withdrawal(probes),
        "ip_restricted": _ip_restricted(probes, main),
        "clock": _clock(probes),
    }
    return tuple(checks[i] for i in CHECK_IDS)


def overall_status(checks: Sequence[Check]) -> Status:
    """unsafe (withdrawal) > failed (a required check fails) > warning > online."""
    by_id = {c.id: c for c in checks}
    if by_id["withdrawal_disabled"].state == CheckState.FAIL:
        return Status.UNSAFE
    if any(by_id[i].state == CheckState.FAIL for i in REQUIRED):
        return Status.FAILED
    if by_id["key_valid"].state not in OK:  # nothing proves the key works
        return Status.FAILED
    if any(c.state in (CheckState.WARN, CheckState.UNKNOWN) for c in checks):
        return Status.WARNING
    return Status.ONLINE


def error_category(checks: Sequence[Check], main: ExchangeError | None) -> str | None:
    by_id = {c.id: c for c in checks}
    failed = any(by_id[i].state == CheckState.FAIL for i in REQUIRED)
    if main is not None and (failed or by_id["key_valid"].state not in OK):
        return main.category.id
    if by_id["trade"].state == CheckState.FAIL:
        return "no_trading_permission"
    if by_id["read"].state == CheckState.FAIL or by_id["futures"].state == CheckState.FAIL:
        return "no_permission"
    return None


def key_facts(probes: Probes) -> dict[str, object]:
    """What the report keeps about the key and its account beside the checks (its `extra`)."""
    facts: dict[str, object] = {}
    key = probes.key
    if isinstance(key, KeyInfo):
        facts["key_created_at_ms"] = key.created_at_ms
        facts["key_expires_in_days"] = key.expires_in_days
    if isinstance(probes.mode, str):
        facts["account_mode"] = probes.mode
    return facts
