"""Numbers, money, shares, times, symbols and ids as the product shows them to people.

Parsing what exchanges send is `values.py`'s job; this module only turns values into text, the
same way on every page: thousands separators, local times with their time zone, an em dash where
a value is missing (never "None" or "nan"), titles instead of internal ids.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from typing import Any

from backfuture_core.values import parse_symbol

MISSING = "—"


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and empty text have nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(value != value)  # NaN and NaT are the values not equal to themselves
    except (TypeError, ValueError):
        return False


def format_number(value: float) -> str:
    """1234.5 -> "1,234.5"; 10.0 -> "10"; at most two decimals."""
    if is_missing(value):
        return MISSING
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_amount(value: Any, *, significant: int = 8) -> str:
    """A quantity of an asset: thousands separators and up to `significant` digits
    (1234.5 -> "1,234.5", 0.000123 -> "0.000123"); missing -> "—"."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if number == 0:
        return "0"
    digits = max(significant - 1 - math.floor(math.log10(abs(number))), 0)
    return f"{number:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{number:,.0f}"


def format_money(amount: float, quote: str) -> str:
    """1234.5, "USDT" -> "1,234.50 USDT"; missing -> "—"."""
    if is_missing(amount):
        return MISSING
    return f"{amount:,.2f} {quote or 'quote'}".rstrip()


def format_signed_money(amount: float, quote: str) -> str:
    """12.5, "USDT" -> "+12.50 USDT"; -3 -> "−3.00 USDT" (a true minus sign); an amount that
    rounds to zero has no sign ("0.00 USDT", never "-0.00")."""
    if is_missing(amount):
        return MISSING
    if round(amount, 2) == 0:
        return format_money(0.0, quote)
    sign = "+" if amount > 0 else "−"
    return f"{sign}{format_money(abs(amount), quote)}"


def format_signed_percent(value: float) -> str:
    """2.5 -> "+2.50 %", -0.001 -> "0.00 %" (no sign on what rounds to zero)."""
    if is_missing(value):
        return MISSING
    if round(value, 2) == 0:
        return "0.00 %"
    return f"{'+' if value > 0 else '−'}{abs(value):,.2f} %"


def format_share(fraction: float) -> str:
    """A part of a whole: 0.1234 -> "12.34 %"; under 0.01 % -> "< 0.01 %" (never "4e-7%")."""
    if is_missing(fraction):
        return MISSING
    percent = fraction * 100
    if 0 < percent < 0.01:
        return "< 0.01 %"
    return f"{percent:,.2f} %"


def format_with_unit(value: float, unit: str, quote: str = "") -> str:
    """A setting with its unit: "%" -> "1.5 %", "x" -> "1.4×", "quote" -> "15 USDT", "" -> "7"."""
    number = format_number(value)
    if unit == "%":
        return f"{number} %"
    if unit == "x":
        return f"{number}×"
    if unit == "quote":
        return f"{number} {quote or 'quote'}"
    return number


def to_datetime(value: Any) -> datetime | None:
    """An ISO text, epoch milliseconds, a datetime or a pandas Timestamp as an aware datetime."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):  # pandas Timestamp is a datetime too
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(value: Any, tz: tzinfo | None = None, *, seconds: bool = False) -> str:
    """A moment in this computer's time zone (or `tz`), readable and with its zone:
    "2 Dec 2026, 05:48 UTC"; missing or unreadable -> "—"."""
    moment = to_datetime(value)
    if moment is None:
        return MISSING
    local = moment.astimezone(tz)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{local.day} {local.strftime(f'%b %Y, {clock}')} {local.tzname() or ''}".rstrip()


def format_symbol(symbol: str) -> str:
    """A ccxt symbol as people write it: "BTC/USDT:USDT" -> "BTC/USDT perpetual";
    "BTC/USD:BTC" -> "BTC/USD perpetual (BTC-settled)"; spot pairs as they are."""
    if is_missing(symbol):
        return MISSING
    parsed = parse_symbol(symbol)
    if not parsed.is_perpetual:
        return symbol
    if parsed.settle and parsed.settle != parsed.quote:
        return f"{parsed.spot} perpetual ({parsed.settle}-settled)"
    return f"{parsed.spot} perpetual"


def title_of(identifier: str | None) -> str:
    """An internal id as a title: "exchange_unavailable" -> "Exchange unavailable"."""
    if is_missing(identifier):
        return MISSING
    text = str(identifier).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def format_names(names: list[str]) -> str:
    """["A"] -> "A"; ["A", "B", "C"] -> "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
