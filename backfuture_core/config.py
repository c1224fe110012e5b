"""Settings from the environment. Built once by the entrypoint and passed down as an argument."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
        key), and BACKFUTURE_KDF_MEMORY_KIB / _ITERATIONS for tests."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("BACKFUTURE_DATA_DIR") or ROOT / "data").expanduser()
        config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        key_dir = Path(env.get("BACKFUTURE_KEY_DIR") or config_home / "backfuture").expanduser()
        kdf = KdfParams(
            memory_kib=int(env.get("BACKFUTURE_KDF_MEMORY_KIB", KdfParams.memory_kib)),
            iterations=int(env.get("BACKFUTURE_KDF_ITERATIONS", KdfParams.iterations)),
        )
        return cls(data_dir=data_dir.resolve(), key_dir=key_dir.resolve(), kdf=kdf)
