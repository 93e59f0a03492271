"""A small corpus for the pipeline tests, built from the bundled demo data: real
documents of 34 domains, short ones, near and exact copies, split into three files
(plain JSONL, zstd JSONL and Parquet)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from thresher.demo import demo_paths
from thresher.io.sources import read

DOCUMENTS = 900


def _rows() -> list[dict[str, object]]:
    _, raw_path = demo_paths()
    table = read(raw_path).to_reader().read_all().slice(0, DOCUMENTS)
    rows = [
        {"id": i, "text": t, "domain": d}
        for i, (t, d) in enumerate(
            zip(table.column("text").to_pylist(), table.column("domain").to_pylist(), strict=True)
        )
    ]
    planted = []
    for i in range(0, 300, 10):  # near copies: one word changed
        words = str(rows[i]["text"]).split()
        words[len(words) // 2] = "changed"
        planted.append({"text": " ".join(words), "domain": rows[i]["domain"]})
    for i in range(5, 200, 10):  # exact copies
        planted.append({"text": rows[i]["text"], "domain": rows[i]["domain"]})
    for i in range(25):  # too short for the length step
        planted.append({"text": f"short note {i}", "domain": "short"})
    out = rows[:]
    for j, row in enumerate(planted):  # spread through the corpus, deterministic
        out.insert((j * 37) % len(out), row)
    return [{"id": n, "text": r["text"], "domain": r["domain"]} for n, r in enumerate(out)]


def write_corpus(directory: Path) -> list[Path]:
    """Write the corpus as three files in ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = _rows()
    third = len(rows) // 3
    parts = [rows[:third], rows[third : 2 * third], rows[2 * third :]]
    paths = [directory / "a.jsonl", directory / "b.jsonl.zst", directory / "c.parquet"]
    paths[0].write_text("".join(json.dumps(r) + "\n" for r in parts[0]), encoding="utf-8")
    text = "".join(json.dumps(r) + "\n" for r in parts[1]).encode()
    paths[1].write_bytes(zstandard.ZstdCompressor().compress(text))
    pq.write_table(pa.Table.from_pylist(parts[2]), paths[2])
    return paths


def target_path() -> Path:
    """The demo's PostgreSQL target corpus."""
    return demo_paths()[0]
