"""Redaction of untrusted text: what an exchange sends back never shows a secret.

Error messages, echoed fields and check details come from a server BackFuture does not
control (a wrong base URL may even point at a server that echoes the request). Before such
text is stored, shown, logged or exported, `Redactor` replaces:

- every secret of the connection (API Key, Secret Key, Passphrase) and its URL-encoded,
  base64 and hex forms; a form shorter than 8 characters only where it stands alone, and one
  shorter than 4 never (it cannot be told from ordinary text);
- any long token-like string (`TOKEN_MIN` or more characters of ``[A-Za-z0-9+/=_-]``): other
  keys, signatures, hashes. It is conservative so that ordinary messages survive: permission
  names (SPOT_WITHDRAW_WRITE), API paths (api/v3/capital/config/getall) and plain numbers
  (order ids, timestamps) are kept; what mixes letters and digits within a word, or looks like
  base64 (a "+" or padding), goes.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from backfuture_core.models import ConnectionReport, Credentials

REDACTED = "[redacted]"
TOKEN_MIN = 24
ANYWHERE_MIN = 8  # a secret form at least this long is redacted wherever it appears
STANDALONE_MIN = 4  # a shorter one only where it stands alone

_TOKEN = re.compile(rf"[A-Za-z0-9+/=_-]{{{TOKEN_MIN},}}")
_PIECE_SPLIT = re.compile(r"[/_=-]+")
# A plain word, a number, or a short version-like word (v3, api2, 1st) is not a token.
_PLAIN_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|[A-Za-z]{1,4}[0-9]{1,4}|[0-9]{1,4}[A-Za-z]{1,4}")
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def is_token(text: str) -> bool:
    """Whether a run of token characters looks like a key, signature or hash (not prose)."""
    if "+" in text or text.endswith("="):
        return True  # base64
    pieces = [p for p in _PIECE_SPLIT.split(text) if p]
    return not all(_PLAIN_PIECE.fullmatch(p) for p in pieces)


def redact_tokens(text: str) -> str:
    """`text` with every token-like string replaced (no secrets needed)."""
    return _TOKEN.sub(lambda m: REDACTED if is_token(m.group()) else m.group(), text)


def secret_forms(secret: str) -> set[str]:
    """The ways a secret can come back: as it is, URL-encoded, base64, hex."""
    raw = secret.encode()
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), raw.hex()}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        forms |= {encoded.decode(), encoded.decode().rstrip("=")}
    forms |= {_PERCENT.sub(lambda m: m.group().lower(), form) for form in list(forms)}
    return {form for form in forms if len(form) >= STANDALONE_MIN}


class Redactor:
    """Replaces a connection's secrets (every form of them) and token-like strings in text."""

    __slots__ = ("_anywhere", "_standalone")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = sorted({f for s in secrets if s for f in secret_forms(s)}, key=len, reverse=True)
        anywhere = [re.escape(f) for f in forms if len(f) >= ANYWHERE_MIN]
        standalone = [re.escape(f) for f in forms if len(f) < ANYWHERE_MIN]
        self._anywhere = re.compile("|".join(anywhere)) if anywhere else None
        self._standalone = (
            re.compile(rf"(?<![A-Za-z0-9])(?:{'|'.join(standalone)})(?![A-Za-z0-9])")
            if standalone
            else None
        )

    @classmethod
    def for_credentials(cls, credentials: Credentials | None) -> Redactor:
        if credentials is None:
            return cls()
        values = (credentials.api_key, credentials.secret, credentials.passphrase)
        return cls(v.reveal() for v in values if v is not None)

    def __repr__(self) -> str:
        return "Redactor(***)"

    def secrets(self, text: str) -> str:
        """`text` without the connection's secrets (token-like strings kept)."""
        for pattern in (self._anywhere, self._standalone):
            if pattern is not None:
                text = pattern.sub(REDACTED, text)
        return text

    def __call__(self, text: str) -> str:
        """`text` without the connection's secrets and without token-like strings."""
        return redact_tokens(self.secrets(str(text)))

    def value(self, value: Any) -> Any:
        """Secrets removed from every string inside `value` (dicts, lists, tuples)."""
        if isinstance(value, str):
            return self.secrets(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v) for v in value)
        return value


def redact_report(report: ConnectionReport, redactor: Redactor | None = None) -> ConnectionReport:
    """The report with untrusted text redacted: check details and the error message lose
    secrets and token-like strings; every other string (the permission list, the account id)
    loses the connection's secrets only, so ids stay comparable."""
    redact = redactor or Redactor()
    checks = tuple(
        dataclasses.replace(c, detail=redact(c.detail), remedy=redact(c.remedy))
        for c in report.checks
    )
    account_id = report.account_id
    if account_id is not None and redact.secrets(account_id) != account_id:
        account_id = None  # an "account id" that is a secret identifies nothing
    return dataclasses.replace(
        report,
        checks=checks,
        error_message=redact(report.error_message),
        extra=redact.value(report.extra),
        account_id=account_id,
    )
