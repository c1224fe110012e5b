"""Settings from the environment. Built once by the entrypoint and passed down as an argument."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# How long a page waits for one exchange before it shows the connection as not answering (the
# connection test gives up on an unreachable host in about 1.5 s).
EXCHANGE_DEADLINE_S = 3.0


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default follows reference/security.md: m=64 MiB, t=3, p=1."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 1


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    key_dir: Path
    kdf: KdfParams = KdfParams()
    exchange_deadline_s: float = EXCHANGE_DEADLINE_S  # every call to an exchange, in seconds

    @property
    def db_path(self) -> Path:
        return self.data_dir / "backfuture.db"

    @property
    def keyfile_path(self) -> Path:
        return self.key_dir / "master.key"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """BACKFUTURE_DATA_DIR (default ./data), BACKFUTURE_KEY_DIR (default
        ~/.config/backfuture: apart from the database, so a copy of data/ does not carry the
        key), BACKFUTURE_EXCHANGE_DEADLINE_S (seconds, default 3; a value that is not a
        positive number keeps the default), and BACKFUTURE_KDF_MEMORY_KIB / _ITERATIONS for
        tests."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("BACKFUTURE_DATA_DIR") or ROOT / "data").expanduser()
        config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        key_dir = Path(env.get("BACKFUTURE_KEY_DIR") or config_home / "backfuture").expanduser()
        kdf = KdfParams(
            memory_kib=int(env.get("BACKFUTURE_KDF_MEMORY_KIB", KdfParams.memory_kib)),
            iterations=int(env.get("BACKFUTURE_KDF_ITERATIONS", KdfParams.iterations)),
        )
        return cls(
            data_dir=data_dir.resolve(),
            key_dir=key_dir.resolve(),
            kdf=kdf,
            exchange_deadline_s=_seconds(env.get("BACKFUTURE_EXCHANGE_DEADLINE_S")),
        )


def _seconds(text: str | None) -> float:
    try:
        value = float(text or "")
    except ValueError:
        return EXCHANGE_DEADLINE_S
    return value if 0 < value < 3600 else EXCHANGE_DEADLINE_S
