"""The user guide's advice (reference/seed), as data the pages render."""

from __future__ import annotations

CONNECTION_STEPS = (
    "Log in to your exchange account.",
    (
        "Create a new API key (API Management or API Keys; the exchange confirms by email, "
        "phone or 2FA)."
    ),
    "Disable withdrawal permission.",
    "Enable only the required permissions: balance reading, order reading and trading.",
    "Set an IP restriction if the exchange supports it.",
    "Copy the API Key and Secret Key (and the Passphrase on KuCoin).",
    "Add the connection here in BackFuture.",
    "Run a connection test.",
    "After a successful check, enable the strategy you need.",
)

PERMISSIONS = (
    ("Read", "Yes", "So BackFuture can see balances, orders, positions and status."),
    ("Trade", "Yes", "So the bot can open, add to and close trades."),
    ("Withdraw", "Never", "This permission must not be given to a trading bot."),
    ("Futures", "Only if needed", "Only for strategies that work with futures."),
    ("IP whitelist", "Recommended", "Restricts key usage to approved server IP addresses."),
)

NAMING_EXAMPLES = (
    ("MEXC Spot Main", "main spot account on MEXC"),
    ("KuCoin Futures Conservative", "futures account for a conservative strategy"),
    ("Recovery PRO Connection", "separate connection for Recovery/PRO logic"),
    ("BTC ETH New Groups", "separate connection for new BTC/ETH groups"),
)

NAMING_ADVICE = (
    "Use clear connection names, especially with several exchanges, sub-accounts or strategies."
)

SECURITY_PRINCIPLES = (
    "Never enable withdrawal permission for bot API keys.",
    "Use separate API keys for different strategies.",
    "Use IP restrictions whenever possible.",
    "Secrets are not shown in full after saving.",
    "Delete old keys if they are no longer used.",
    "Use 2FA on the exchange account.",
)
