#!/usr/bin/env python
"""Quality filters: thresher.filters.apply against datatrove 0.10.1's four filter
steps (GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter,
FineWebQualityFilter, defaults, English) on the same documents, in one process.

The documents are the first ``--docs`` of the shared docs corpus
(``$THRESHER_CORPORA/docs/raw.jsonl.zst``). datatrove runs its filters one document
at a time in this process (one core, as one datatrove task); thresher runs all four
rule sets over a pyarrow array on its thread pool (every core), and again on one
thread (a one-thread pool through
``thresher._core.set_num_threads(1)``) for the per-core ratio. Keep decisions are compared.

Usage::

    python benches/bench_filters.py --docs 2000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import zstandard
from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.filters.base_filter import get_filter_result
from thresher import filters

CORPUS = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora")) / "docs" / "raw.jsonl.zst"


def load(n: int) -> list[str]:
    out = []
    with open(CORPUS, "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        for line in reader:
            out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


def datatrove_run(texts: list[str]) -> tuple[float, dict[str, list[bool]]]:
    steps = {
        "gopher_quality": GopherQualityFilter(),
        "gopher_repetition": GopherRepetitionFilter(),
        "c4": C4QualityFilter(),
        "fineweb": FineWebQualityFilter(),
    }
    steps["gopher_quality"].filter(Document(text="warm up the tokenizer", id="0"))
    keep: dict[str, list[bool]] = {name: [] for name in steps}
    started = time.perf_counter()
    for name, step in steps.items():
        for i, text in enumerate(texts):
            k, _ = get_filter_result(step.filter(Document(text=text, id=str(i))))
            keep[name].append(bool(k))
    return time.perf_counter() - started, keep


def thresher_run(texts: list[str]) -> tuple[float, pa.Table]:
    array = pa.array(texts, pa.large_string())
    filters.apply(array[:10])  # warm up: compile the patterns
    started = time.perf_counter()
    table = filters.apply(array).table
    return time.perf_counter() - started, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    args = parser.parse_args()
    texts = load(args.docs)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(texts)} documents, {mb:.1f} MB; load {os.getloadavg()}")
    dt_s, dt_keep = datatrove_run(texts)
    th_s, table = thresher_run(texts)
    from thresher import _core

    _core.set_num_threads(1)
    one_s, _ = thresher_run(texts)
    for name, keep in dt_keep.items():
        ours = table.column(f"{name}_keep").to_pylist()
        same = sum(a == b for a, b in zip(ours, keep, strict=True))
        print(f"  {name:18} keep agreement {100 * same / len(keep):.2f}%")
    print(f"datatrove (4 filters, 1 process): {dt_s:.2f} s ({mb / dt_s:.2f} MB/s)")
    print(f"thresher  (4 rule sets, {os.cpu_count()} threads): {th_s:.3f} s ({mb / th_s:.1f} MB/s)")
    print(f"thresher  (1 thread): {one_s:.3f} s ({mb / one_s:.1f} MB/s)")
    print(f"ratio: {dt_s / th_s:.1f}x (all threads), {dt_s / one_s:.1f}x (one thread)")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
