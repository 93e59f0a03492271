"""Make tests/data/filters_sample.jsonl.zst: the fixture of the filters' parity tests.

300 documents of the shared docs corpus (every 97th of its first 29,100 rows) and
150 multilingual ones (every 97th of the handbook's first 7,275 rows and of the
UDHR's first 7,275 rows), each with its corpus and row.

Usage: python scripts/make_filter_fixture.py [CORPORA]  (default /work/shared/corpora)
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import zstandard


def rows(path: Path, step: int, count: int) -> list[tuple[int, str]]:
    out = []
    with open(path, "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        for n, line in enumerate(reader):
            if n % step == 0:
                out.append((n, json.loads(line)["text"]))
                if len(out) == count:
                    break
    return out


def main() -> None:
    corpora = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpora")
    picks = [
        ("docs", corpora / "docs" / "raw.jsonl.zst", 300),
        ("handbook", corpora / "multilingual" / "handbook.jsonl.zst", 75),
        ("udhr", corpora / "multilingual" / "udhr.jsonl.zst", 75),
    ]
    lines = []
    for name, path, count in picks:
        for row, text in rows(path, 97, count):
            lines.append(json.dumps({"corpus": name, "row": row, "text": text}, ensure_ascii=False))
    out = Path(__file__).resolve().parents[1] / "tests" / "data" / "filters_sample.jsonl.zst"
    out.write_bytes(zstandard.ZstdCompressor(level=19).compress(("\n".join(lines) + "\n").encode()))
    print(f"wrote {out} ({len(lines)} documents)")


if __name__ == "__main__":
    main()
