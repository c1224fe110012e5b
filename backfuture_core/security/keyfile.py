"""The keyfile: the zero-config key-encryption key (32 random bytes, 0600 in a 0700 folder).

It lives apart from the database (`Settings.key_dir`), so a copy of the data folder does not
carry it. It is created once and never overwritten: a missing keyfile next to existing data is
an error to fix by restoring it, never a reason to make a new one.
"""

from __future__ import annotations

import os
import secrets
import stat

from backfuture_core.config import Settings
from backfuture_core.errors import KeyfileInsecure, KeyfileMissing, UnsupportedFormat

KEY_BYTES = 32


def read_keyfile(settings: Settings) -> bytes:
    """The key in the keyfile.

    Raises:
        KeyfileMissing: there is no keyfile (it is never recreated here).
        KeyfileInsecure: other users may read it, or another user owns it.
        UnsupportedFormat: it is not 32 bytes long.
    """
    path = settings.keyfile_path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyfileMissing(
            f"The keyfile {path} is missing, so the saved keys cannot be decrypted. Restore it "
            "from your backup; BackFuture will not create a new one over existing data."
        ) from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
        raise KeyfileInsecure(
            f"The keyfile {path} can be read by other users. Run: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise UnsupportedFormat(f"The keyfile {path} is not a BackFuture keyfile.")
    return key


def create_keyfile(settings: Settings) -> bytes:
    """Create the keyfile (0600 in a 0700 folder) unless one exists, and return its key.

    Never overwrites: when the file exists, its key is read (and checked) instead.
    """
    settings.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(settings.key_dir, 0o700)
    try:
        fd = os.open(settings.keyfile_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return read_keyfile(settings)
    with os.fdopen(fd, "wb") as handle:
        key = secrets.token_bytes(KEY_BYTES)
        handle.write(key)
    return key
