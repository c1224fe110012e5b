"""Numbers, money and times as the product shows them to people (today: numbers and money).

Parsing what exchanges send is `values.py`'s job; this module only turns values into text.
"""

from __future__ import annotations


def format_number(value: float) -> str:
    """1234.5 -> "1,234.5"; 10.0 -> "10"; at most two decimals."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_money(amount: float, quote: str) -> str:
    """1234.5, "USDT" -> "1,234.50 USDT"."""
    return f"{amount:,.2f} {quote or 'quote'}".rstrip()


def format_signed_money(amount: float, quote: str) -> str:
    """12.5, "USDT" -> "+12.50 USDT"; -3 -> "−3.00 USDT" (a true minus sign)."""
    sign = "+" if amount >= 0 else "−"
    return f"{sign}{format_money(abs(amount), quote)}"


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


def format_names(names: list[str]) -> str:
    """["A"] -> "A"; ["A", "B", "C"] -> "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
