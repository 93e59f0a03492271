"""Read a pipeline file: its TOML data and the line of every table and key.

``tomllib`` returns values without positions, yet a bad pipeline must fail naming the
line at fault. :func:`load_toml` therefore also scans the text for table headers
(``[input]``, ``[[step]]``) and ``key =`` lines, which is all a pipeline file uses.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.exceptions import PipelineError, located

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Lines", "load_toml"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")


@dataclass
class Lines:
    """Where each table and key of a pipeline file is: ``table`` is ``"input"`` or
    ``"step.2"`` (the third ``[[step]]``); the top level is ``""``."""

    tables: dict[str, int] = field(default_factory=dict)
    keys: dict[tuple[str, str], int] = field(default_factory=dict)

    def of(self, table: str, key: str | None = None) -> int | None:
        """The line of ``key`` in ``table`` (or of the table's header)."""
        if key is not None and (table, key) in self.keys:
            return self.keys[(table, key)]
        return self.tables.get(table)


def _scan(text: str) -> Lines:
    lines = Lines()
    table = ""
    arrays: dict[str, int] = {}
    depth = 0  # inside a multi-line array or inline table: its keys are not ours
    for number, line in enumerate(text.splitlines(), start=1):
        if depth == 0:
            header = _HEADER.match(line)
            if header:
                name = header.group(2)
                if header.group(1) == "[[":
                    index = arrays.get(name, 0)
                    arrays[name] = index + 1
                    table = f"{name}.{index}"
                else:
                    table = name
                lines.tables.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                lines.keys.setdefault((table, key.group(1).strip('"')), number)
        code = line.split("#", 1)[0]
        depth = max(0, depth + code.count("[") + code.count("{"))
        depth = max(0, depth - code.count("]") - code.count("}"))
    return lines


def load_toml(path: str | Path) -> tuple[dict[str, Any], Lines]:
    """The data of the TOML file at ``path`` and the lines of its tables and keys;
    an unreadable or invalid file raises :class:`PipelineError` naming it (and the line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise located(PipelineError, f"{path}: no such pipeline file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise located(PipelineError, f"{path}: cannot read: {e}", path=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        match = re.search(r"line (\d+)", str(e))
        line = int(match.group(1)) if match else None
        where = f"{path}:{line}" if line else str(path)
        raise located(
            PipelineError, f"{where}: invalid TOML: {e}", path=str(path), line=line
        ) from None
    return data, _scan(text)
