"""Helpers shared by the tests: reading and writing small corpora with tools
independent of thresher (json, gzip, zstandard, pyarrow)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

Records = Sequence[dict[str, Any]]


def load_records(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, in order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def encode_jsonl(records: Records) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def write_records(records: Records, path: Path) -> Path:
    """Write ``records`` to ``path`` in the format its name says, with our own tools
    (json + gzip/zstandard, or pyarrow), independently of thresher's writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name
    if name.endswith(".parquet"):
        pq.write_table(pa.Table.from_pylist(list(records)), path)
    elif name.endswith(".jsonl.gz"):
        path.write_bytes(gzip.compress(encode_jsonl(records)))
    elif name.endswith((".jsonl.zst", ".jsonl.zstd")):
        path.write_bytes(zstandard.ZstdCompressor(level=3).compress(encode_jsonl(records)))
    elif name.endswith(".jsonl"):
        path.write_bytes(encode_jsonl(records))
    else:
        raise ValueError(f"unknown corpus format: {name}")
    return path


def run_dsir_cli(target: Path | str, raw: Path | str, k: int, out: Path, *extra: str) -> int:
    """Exit code of ``thresher dsir`` with one target, quiet, plus ``extra`` options."""
    from thresher.cli import main

    args = ["dsir", "--target", str(target), "--raw", str(raw), "-k", str(k)]
    return main([*args, "--out", str(out), "--quiet", *extra])
