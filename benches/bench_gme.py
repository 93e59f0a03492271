#!/usr/bin/env python
"""GME: thresher against a plain Python/numpy implementation of the same formulas, on
synthetic document -> entity relation tables of 10k and 100k rows.

The baseline keeps the selected set's counts (it does not recount S from scratch) and
scores each candidate with numpy: add the candidate's values to a copy of the counts,
entropy of each column, distance to the utopian point, rounded to 5 decimals, the
smallest id on ties. It is what a careful user would write without a compiled kernel.
Both must rank the same items; the script checks it.

Usage::

    python benches/bench_gme.py                 # 10k and 100k rows, n = 50 (~1 min)
    python benches/bench_gme.py --rows 10000 --n 200
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

RESULTS = HERE / "results"


def relation_table(rows: int, seed: int) -> pa.Table:
    """~10 rows per document; entities Zipf-distributed over rows/5 values; a second
    column, the entity type, with 12 values."""
    rng = np.random.default_rng(seed)
    docs = rng.integers(0, rows // 10, rows)
    n_entities = rows // 5
    entity = np.minimum(rng.zipf(1.3, rows), n_entities) - 1
    etype = entity % 12
    return pa.table(
        {
            "doc": pa.array([f"doc{d:07d}" for d in docs]),
            "entity": pa.array(entity.astype(np.int64)),
            "type": pa.array(etype.astype(np.int64)),
        }
    )


def numpy_gme(table: pa.Table, on: list[str], n: int) -> list[str]:
    """The formulas with numpy: incremental counts, each candidate scored from them."""
    items_all = table.column("doc").to_numpy(zero_copy_only=False)
    items, item_codes = np.unique(items_all, return_inverse=True)
    cols = []
    for name in on:
        _, codes = np.unique(table.column(name).to_numpy(), return_inverse=True)
        cols.append(codes)
    sizes = [int(c.max()) + 1 for c in cols]
    utopia = np.log(np.array(sizes, dtype=np.float64))
    order = np.argsort(item_codes, kind="stable")
    bounds = np.searchsorted(item_codes[order], np.arange(len(items) + 1))
    rows_of = [order[bounds[i] : bounds[i + 1]] for i in range(len(items))]
    counts = [np.zeros(s, dtype=np.float64) for s in sizes]
    remaining = list(range(len(items)))
    chosen: list[str] = []

    def entropy(c: Any) -> float:
        p = c[c > 0] / c.sum()
        return float(-(p * np.log(p)).sum())

    for _ in range(min(n, len(items))):
        best, best_score = -1, math.inf
        for i in remaining:
            h = []
            for j, col in enumerate(cols):
                c = counts[j].copy()
                np.add.at(c, col[rows_of[i]], 1)
                h.append(entropy(c))
            score = round(float(np.sqrt(((np.array(h) - utopia) ** 2).sum())), 5)
            if score < best_score:
                best, best_score = i, score
        for j, col in enumerate(cols):
            np.add.at(counts[j], col[rows_of[best]], 1)
        remaining.remove(best)
        chosen.append(str(items[best]))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "gme.md")
    args = parser.parse_args()
    load_at_start = common.load_average()
    import thresher

    thresher.set_num_threads(args.threads)
    on = ["entity", "type"]
    table_rows = []
    for rows in args.rows:
        table = relation_table(rows, 0)
        t0 = time.perf_counter()
        expected = numpy_gme(table, on, args.n)
        baseline = time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            ranked = thresher.GME().rank(table, item="doc", on=on, k=args.n)
            times.append(time.perf_counter() - t0)
        same = ranked.items == expected
        fast = common.median(times)
        items = len(set(table.column("doc").to_pylist()))
        print(
            f"{rows:,} rows, {items:,} items, n={args.n}: numpy {baseline:.2f} s, "
            f"thresher {fast * 1e3:.1f} ms, {baseline / fast:.0f}x, same ranking: {same}"
        )
        table_rows.append(
            [
                f"{rows:,}",
                f"{items:,}",
                args.n,
                common.fmt(baseline),
                common.fmt(fast * 1e3, 1),
                common.fmt(baseline / fast, 0),
                "yes" if same else "NO",
            ]
        )
        if not same:
            raise SystemExit("rankings differ")
    info = common.machine_info(("thresher", "numpy", "pyarrow"), load_at_start)
    info["notes"].append(
        f"selector dutopia, two columns (entity, type); thresher {args.threads} threads, "
        f"median of {args.repeat} runs (end to end: encoding the table included); numpy 1 run"
    )
    header = ["rows", "items", "n", "numpy (s)", "thresher (ms)", "speed-up", "same ranking"]
    text = (
        "# GME benchmark\n\n"
        + common.machine_markdown(info)
        + "\n"
        + common.markdown_table(header, table_rows)
        + "\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
