"""The one exception hierarchy of BackFuture, and the error categories shown to users.

Every message is safe to show: no secret, no signed URL. Pages catch `BackfutureError` only.
"""

from __future__ import annotations

from dataclasses import dataclass


class BackfutureError(Exception):
    """Base of every error BackFuture raises on purpose; `str(e)` is user-facing text."""


class ConfigError(BackfutureError):
    """The settings or the data folder are unusable."""


class ValidationError(BackfutureError):
    """User input was rejected; `problems` maps a field label to its message."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


# --- Vault -------------------------------------------------------------------------------------


class VaultError(BackfutureError):
    """The key store cannot encrypt or decrypt."""


class VaultLocked(VaultError):
    """The vault needs the master passphrase before secrets can be used."""


class WrongMasterKey(VaultError):
    """The passphrase or keyfile does not open this database's data key."""


class KeyfileMissing(VaultError):
    """The keyfile that protects this database is gone."""


class KeyfileInsecure(VaultError):
    """Other users could read or replace the keyfile (its mode, its owner or its folder), so it
    is refused."""


class CorruptedRecord(VaultError):
    """A damaged record: one stored secret (named by its connection) or the vault's settings
    fail their integrity check or cannot be read (tampered, moved, truncated or missing)."""


class KeyfileDamaged(CorruptedRecord):
    """The keyfile exists but holds no usable key (wrong size, a folder, unreadable)."""


class AddressChanged(CorruptedRecord):
    """A connection's API base URL or proxy is not the one its keys were bound to (edited
    outside BackFuture): the keys refuse to decrypt until they are entered again."""


class UnsupportedFormat(VaultError):
    """Stored data uses a format this version does not know."""


# --- Storage -----------------------------------------------------------------------------------


class StorageError(BackfutureError):
    """The database cannot be read or written."""


class DatabaseCorrupt(StorageError):
    """The database file is damaged."""


class NotADatabase(DatabaseCorrupt):
    """The database path holds a file that is not an SQLite database at all."""


class ForeignDatabase(StorageError):
    """An SQLite database that BackFuture did not create: refused, never migrated."""


class EmptyDatabase(StorageError):
    """The database file is empty (0 bytes or no tables): BackFuture never leaves one."""


class DatabasePathInvalid(StorageError):
    """The database path is not a file (a folder, for example)."""


class StorageReadOnly(StorageError):
    """The data folder or the database file cannot be written."""


class DiskFull(StorageError):
    """The disk (or the database's size limit) is full: the write was not saved."""


class StorageUnavailable(StorageError):
    """The database could not be opened or read (an I/O error of the disk or file system)."""


class NotFound(StorageError):
    """The requested record does not exist (any more)."""


class StaleEdit(BackfutureError):
    """A change was based on an older version of the record (another tab changed it)."""

    def __init__(self, message: str = "This connection changed in another tab: reload the page."):
        super().__init__(message)


# --- Exchanges ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorCategory:
    id: str
    title: str
    cause: str
    remedy: str
    transient: bool = False
    # What to do when a data page (Balances, Orders) meets it, where `remedy` speaks of the
    # connection test; empty: the remedy fits every page.
    page_remedy: str = ""


CATEGORIES: dict[str, ErrorCategory] = {
    c.id: c
    for c in (
        ErrorCategory(
            "invalid_key",
            "Invalid key",
            "The API Key or Secret Key was copied incorrectly, or the key was deleted or expired.",
            "Create a new key or copy the values again.",
        ),
        ErrorCategory(
            "wrong_passphrase",
            "Wrong passphrase",
            "The passphrase, or the Secret Key it is checked with, does not match the API key.",
            "Enter the Passphrase and Secret Key again with 'Replace keys', or create a new key.",
        ),
        ErrorCategory(
            "no_trading_permission",
            "No trading permission",
            "Trade permission is disabled for this key.",
            "Enable trading permission, but keep withdrawal disabled.",
        ),
        ErrorCategory(
            "no_permission",
            "No permission",
            "The key lacks a permission this check needs (for example reading or futures).",
            "Edit the key on the exchange and enable the missing permission; keep withdrawal "
            "disabled.",
        ),
        ErrorCategory(
            "ip_not_allowed",
            "IP not allowed",
            "IP restriction does not include the server IP.",
            "Add the correct server IP to the exchange whitelist.",
        ),
        ErrorCategory(
            "exchange_unavailable",
            "Exchange unavailable",
            "The exchange API is temporarily unavailable.",
            "Wait and run the test again.",
            transient=True,
            page_remedy="The data shown is refreshed once the exchange answers again.",
        ),
        ErrorCategory(
            "rate_limited",
            "Rate limited",
            "Too many requests were sent to the exchange in a short time.",
            "Wait a minute and run the test again.",
            transient=True,
            page_remedy="Wait a minute before refreshing.",
        ),
        ErrorCategory(
            "clock_skew",
            "Clock skew",
            "This computer's clock differs too much from the exchange's clock.",
            "Turn on automatic time synchronisation (NTP) on this computer and test again.",
            transient=True,
            page_remedy="Turn on automatic time synchronisation (NTP) on this computer.",
        ),
        ErrorCategory(
            "account_frozen",
            "Account frozen",
            "The exchange has frozen or restricted this account.",
            "Contact the exchange's support; BackFuture cannot use the account until then.",
        ),
        ErrorCategory(
            "network_unreachable",
            "Exchange not reached",
            "No answer came from the exchange's address: the name did not resolve, the "
            "connection was refused, or the TLS handshake or the proxy failed.",
            "Check this computer's internet connection, the proxy and the API base URL, then "
            "test again.",
            page_remedy="Check this computer's internet connection, the proxy and the API base "
            "URL of this connection.",
        ),
        ErrorCategory(
            "wrong_address",
            "Wrong address",
            "Something answered, but not the exchange's API (a page that does not exist, a web "
            "page, an answer of the wrong shape, or a redirect).",
            "Check the API base URL of this connection (leave it empty for the exchange's own).",
        ),
        ErrorCategory(
            "account_restricted",
            "Account restricted",
            "The account, not the key, is limited (identity verification required, region "
            "restricted or account under review).",
            "Resolve it on the exchange's website; the key cannot fix this.",
        ),
        ErrorCategory(
            "futures_not_enabled",
            "Futures not opened",
            "The futures account of this exchange account has not been opened yet.",
            "Open futures on the exchange's website, or choose a spot connection.",
        ),
        ErrorCategory(
            "unknown",
            "Unexpected error",
            "The exchange answered in a way BackFuture does not recognise.",
            "Run the test again; if it persists, check the exchange's status page.",
            page_remedy="If it persists, test the connection on the Connection test page.",
        ),
    )
}


def page_message(message: str, category_id: str | None) -> str:
    """A classified message with the advice that fits a data page (Balances, Orders) in place
    of the connection test's ("run the test again")."""
    category = CATEGORIES.get(category_id or "")
    if category is None or not category.page_remedy or not message.endswith(category.remedy):
        return message
    return message[: -len(category.remedy)] + category.page_remedy


class ExchangeError(BackfutureError):
    """An exchange call failed; `category` says why in the seed's terms.

    `detail` is sanitised text from the exchange (no query strings, no secrets);
    `reported_ip` is the client IP the exchange reported, when it did.
    """

    def __init__(
        self,
        category: str,
        detail: str = "",
        *,
        exchange: str = "",
        code: str | None = None,
        reported_ip: str | None = None,
    ):
        self.category = CATEGORIES.get(category, CATEGORIES["unknown"])
        self.detail = detail
        self.exchange = exchange
        self.code = code
        self.reported_ip = reported_ip
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.category.title}: {self.category.cause}"
        if self.reported_ip:
            text += f" The exchange saw the request coming from {self.reported_ip}."
        return f"{text} {self.category.remedy}"
