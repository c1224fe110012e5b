"""The keyfile: the zero-config key-encryption key (32 random bytes, 0600 in a 0700 folder).

It lives apart from the database (`Settings.key_dir`), so a copy of the data folder does not
carry it. It is created once, complete or not at all (`storage.atomic.write_new`: a temporary
file, fsync, link, fsync of the folder), and before the database records a data key wrapped by
it, so no crash leaves a wrapped key without its keyfile. It is never overwritten, with one
exception: an empty keyfile (left by versions that wrote it in place on a full disk) cannot
have wrapped anything, so creating the keyfile replaces it. A missing keyfile next to existing
data is an error to fix by restoring it, never a reason to make a new one.

The keyfile is refused, and left as it is, when someone else could read or replace it: the
file readable by others, owned by another user, or in a folder that others may write to.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from backfuture_core.config import Settings
from backfuture_core.errors import KeyfileDamaged, KeyfileInsecure, KeyfileMissing
from backfuture_core.storage import atomic, faults

KEY_BYTES = 32
RESTORE = "Restore it from your backup; BackFuture will not create a new one over existing data."


def _check_folder(folder: Path) -> None:
    info = folder.stat()
    if info.st_uid != os.getuid():
        raise KeyfileInsecure(
            f"The keyfile folder {folder} belongs to another user, who could replace the "
            "keyfile, so BackFuture refuses it. Run BackFuture as the user who owns that folder, "
            "or set BACKFUTURE_KEY_DIR to a folder of your own and restore the keyfile there."
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyfileInsecure(
            f"The keyfile folder {folder} can be changed by other users, who could replace the "
            f"keyfile, so BackFuture refuses it. Check that its keyfile is yours, then run: "
            f"chmod 700 {folder}"
        )


def read_keyfile(settings: Settings) -> bytes:
    """The key in the keyfile. Changes no file.

    Raises:
        KeyfileMissing: there is no keyfile (it is never recreated here).
        KeyfileInsecure: other users may read it, another user owns it, or others may write to
            its folder.
        KeyfileDamaged: it is not a 32-byte file (a folder, truncated, unreadable).
    """
    path = settings.keyfile_path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyfileMissing(
            f"The keyfile {path} is missing, so the saved keys cannot be decrypted. {RESTORE}"
        ) from None
    except OSError as exc:
        raise KeyfileDamaged(f"The keyfile {path} cannot be read ({exc.strerror}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyfileDamaged(
            f"{path} is a folder (or another kind of entry), not BackFuture's keyfile. Move it "
            f"away and put the keyfile back in its place. {RESTORE}"
        )
    _check_folder(path.parent)
    if info.st_uid != os.getuid():
        raise KeyfileInsecure(
            f"The keyfile {path} belongs to another user (user id {info.st_uid}), who can "
            "change it, so BackFuture refuses it. Run BackFuture as that user, or have an "
            f"administrator give the file to your user: sudo chown $USER {path}"
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyfileInsecure(
            f"The keyfile {path} can be read by other users. Run: chmod 600 {path}"
        )
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise KeyfileDamaged(f"The keyfile {path} cannot be read ({exc.strerror}).") from None
    if len(key) != KEY_BYTES:
        raise KeyfileDamaged(
            f"The keyfile {path} is damaged: it holds {len(key)} bytes, a BackFuture keyfile "
            f"holds {KEY_BYTES}. {RESTORE}"
        )
    return key


def create_keyfile(settings: Settings) -> bytes:
    """Create the keyfile (0600 in a 0700 folder) unless one exists, and return its key.

    Never overwrites a key: when a keyfile exists, its key is read (and checked) instead.
    Raises StorageError (DiskFull, StorageReadOnly...) when it cannot be written; nothing is
    left behind then.
    """
    folder, path = settings.key_dir, settings.keyfile_path
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
            os.chmod(folder, 0o700)  # mkdir's mode is reduced by the umask, never widened
        _check_folder(folder)
        empty = path.is_file() and not path.is_symlink() and path.stat().st_size == 0
        key = secrets.token_bytes(KEY_BYTES)
        if atomic.write_new(path, key, replace=empty):
            return key
    except OSError as exc:
        raise faults.keyfile_not_created(exc, folder) from exc
    return read_keyfile(settings)  # another process created it meanwhile, or it was there
