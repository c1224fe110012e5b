"""Creating a file complete or not at all (the keyfile, a new database).

The content goes to a private (0600) temporary file in the same folder, which is fsynced and
then linked to its final name, and the folder is fsynced so the name survives a power loss. A
link, unlike a rename, never replaces a file that is already there: when two processes create
the same file at once, one wins and the other reads the winner's. A crash at any point leaves
either no file or the complete one (at worst a stray `.NAME.*.tmp` beside it, never read).
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

# File systems without hard links (some network and FUSE mounts) answer link() with these;
# there the temporary file is renamed instead, after checking that the name is still free.
NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}


def temp_path(final: Path) -> Path:
    """A fresh temporary name beside `final` (hidden, never read by BackFuture)."""
    return final.with_name(f".{final.name}.{secrets.token_hex(6)}.tmp")


def create_private(path: Path) -> int:
    """Create `path` (which must not exist) with mode 0600 and return its descriptor."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's content to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(temp: Path, final: Path, *, replace: bool = False) -> bool:
    """Give the durable file `temp` its final name; False (and nothing changed) when `final`
    exists already, unless `replace`. The caller removes `temp` afterwards."""
    try:
        if replace:
            os.replace(temp, final)
        else:
            _link(temp, final)
    except FileExistsError:
        return False
    fsync_path(final.parent)
    return True


def _link(temp: Path, final: Path) -> None:
    try:
        os.link(temp, final)
    except OSError as exc:
        if exc.errno not in NO_LINKS or isinstance(exc, FileExistsError):
            raise
        if final.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(final)) from None
        os.rename(temp, final)


def write_new(final: Path, data: bytes, *, replace: bool = False) -> bool:
    """Create `final` holding `data`, complete or not at all; False when it exists already
    (then nothing is changed), unless `replace`."""
    temp = temp_path(final)
    fd = create_private(temp)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        return publish(temp, final, replace=replace)
    finally:
        temp.unlink(missing_ok=True)
