"""``python -m thresher.report stats.json [report.html]``: the report of a saved run.

Reads the run statistics a pipeline wrote and writes the report (by default
``report.html`` beside ``stats.json``); prints the report's path. A file that is not
JSON, or JSON that does not follow the schema of :mod:`thresher.report`, is refused
with a message naming the file and the field, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thresher.exceptions import ParseError, ReadError, ThresherError, located
from thresher.report import write_report

__all__ = ["load_stats", "main"]


def load_stats(path: str | Path) -> Any:
    """The JSON value of the file ``path`` (not yet validated).

    Raises
    ------
    ReadError
        The file cannot be read.
    ParseError
        It is not JSON; ``path`` and ``line`` say where.
    """
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise located(
            ReadError, f"{where}: cannot read the run statistics: {e}", path=str(where)
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise located(
            ParseError, f"{where}:{e.lineno}: not JSON: {e.msg}", path=str(where), line=e.lineno
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (``sys.argv[1:]`` by default); the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m thresher.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("stats", type=Path, help="the run statistics (stats.json)")
    parser.add_argument(
        "out", type=Path, nargs="?", help="the report (default: report.html beside stats)"
    )
    args = parser.parse_args(argv)
    out = args.out or args.stats.with_name("report.html")
    try:
        written = write_report(load_stats(args.stats), out)
    except ThresherError as e:
        where = f"{args.stats}: " if e.parameter else ""
        print(f"error: {where}{e}", file=sys.stderr)
        return 2
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
