#!/usr/bin/env python
"""SMOTE: thresher against imbalanced-learn, in one process.

Synthetic data: n x 32 float32 rows, two classes at a 9:1 imbalance (10% minority,
a common fraud / rare-event ratio), each class a mixture of 50 Gaussian blobs; SMOTE
with k = 5 brings the minority up to the majority count ("auto"). thresher runs exact
and approximate (k-means cells of ~1,000 points, 3 probed) neighbour searches; the
recall of the approximate one is measured against the exact one, and the exact
neighbours are checked against float64 brute force on 100 sampled rows. From 20,000
points of a class the exact search prunes pairs by the triangle inequality over
k-means cells (same neighbours as all pairs). Real data: the
MiniLM embeddings of 30,000 documentation sections (384-d, float16 read as float32) in
34 domains (5,872 to 21 rows), every domain brought up to the largest.

Usage::

    python benches/bench_smote.py                    # 1e5 and 1e6 rows + real data
    python benches/bench_smote.py --sizes 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

RESULTS = HERE / "results"


def blobs(n: int, d: int, minority: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_min = int(n * minority)
    parts, labels = [], []
    for label, count in ((0, n - n_min), (1, n_min)):
        centres = rng.normal(0, 4, (50, d))
        which = rng.integers(0, 50, count)
        parts.append(centres[which] + rng.normal(0, 1, (count, d)))
        labels.append(np.full(count, label))
    x = np.concatenate(parts).astype(np.float32)
    return x, np.concatenate(labels)


def recall(x: np.ndarray, y: np.ndarray, cell_size: int) -> float:
    import thresher

    m = x[y == 1]
    exact = thresher.rebalance.nearest_neighbors(m, 5)
    approx = thresher.rebalance.nearest_neighbors(m, 5, cell_size=cell_size)
    hits = sum(len(set(a) & set(e)) for a, e in zip(approx.tolist(), exact.tolist(), strict=True))
    return hits / exact.size


PRUNE_FROM = 20_000  # class size from which thresher's exact search prunes (knn.rs)


def check_exact(x: np.ndarray, y: np.ndarray, rows: int = 100) -> None:
    """Exact neighbours of the minority class equal f64 brute force on sampled rows."""
    import thresher

    m = np.ascontiguousarray(x[y == 1])
    nn = thresher.rebalance.nearest_neighbors(m, 5)
    m64 = m.astype(np.float64)
    for i in np.random.default_rng(0).choice(len(m), min(rows, len(m)), replace=False):
        d2 = ((m64 - m64[i]) ** 2).sum(axis=1)
        d2[i] = np.inf
        want = np.sort(d2)[:5]
        got = np.sort(d2[nn[i].astype(np.int64)])
        assert np.allclose(got, want, rtol=1e-4, atol=1e-6), (i, got, want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--repeats-large", type=int, default=1, help="runs of each tool from 500,000 rows"
    )
    parser.add_argument("--cell-size", type=int, default=1000)
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "smote.md")
    args = parser.parse_args()

    import thresher
    from imblearn.over_sampling import SMOTE

    load_at_start = common.load_average()
    rows: list[list[Any]] = []
    notes: list[str] = []

    def compare(name: str, x: np.ndarray, y: np.ndarray, repeats: int, cells: bool) -> None:
        print(f"{name}: imbalanced-learn", flush=True)
        peer, (_, py) = common.median_time(
            lambda: SMOTE(k_neighbors=5, random_state=0).fit_resample(x, y), repeats, echo=True
        )
        print(f"{name}: thresher exact", flush=True)
        ours, r = common.median_time(
            lambda: thresher.rebalance.smote(x, y, k_neighbors=5, seed=0), repeats, echo=True
        )
        assert len(r.y) == len(py) and np.array_equal(np.unique(r.y), np.unique(py))
        largest = int(np.bincount(y).min()) if cells else 0
        rows.append(
            [
                name,
                "thresher exact (pruned)" if largest >= PRUNE_FROM else "thresher exact",
                f"{ours:.2f} s",
                f"**{peer / ours:.1f}x**",
                "1.000",
                f"{len(py):,}",
            ]
        )
        if cells:
            check_exact(x, y)
            print(f"{name}: thresher cells", flush=True)
            approx, _ = common.median_time(
                lambda: thresher.rebalance.smote(
                    x, y, k_neighbors=5, seed=0, cell_size=args.cell_size
                ),
                repeats,
                echo=True,
            )
            rec = recall(x, y, args.cell_size)
            rows.append(
                [
                    name,
                    f"thresher cells ({args.cell_size:,}, probe 3)",
                    f"{approx:.2f} s",
                    f"**{peer / approx:.1f}x**",
                    f"{rec:.3f}",
                    f"{len(py):,}",
                ]
            )
        rows.append(
            [
                name,
                f"imbalanced-learn ({repeats} run{'s' if repeats > 1 else ''})",
                f"{peer:.2f} s",
                "1x",
                "1.000",
                f"{len(py):,}",
            ]
        )
        print(rows[-3:] if cells else rows[-2:], flush=True)

    for n in args.sizes:
        x, y = blobs(n, 32, 0.10, seed=n)
        repeats = args.repeats if n < 500_000 else args.repeats_large
        compare(f"{n:,} x 32 (10% minority)", x, y, repeats, cells=True)
    if not args.no_real:
        data = common.minilm_30k()
        if data is None:
            notes.append("real data not found: skipped")
        else:
            x, y = data
            compare("MiniLM 30,000 x 384, 34 domains", x, y, 1, cells=False)

    info = common.machine_info(
        ("thresher", "imbalanced-learn", "scikit-learn", "numpy", "threadpoolctl"), load_at_start
    )
    info["notes"] = [
        "The machine may be shared: the load average above counts any other work; "
        "times are medians of the runs noted.",
        "imbalanced-learn's SMOTE finds neighbours with scikit-learn's NearestNeighbors "
        "(brute force on all cores for 32 dimensions) and interpolates in numpy; "
        "both tools get the same float32 array.",
        *notes,
    ]
    header = ["data", "tool", "median time", "speed-up", "neighbour recall", "rows out"]
    text = (
        "# SMOTE: thresher vs imbalanced-learn\n\n"
        + common.machine_markdown(info)
        + "\n"
        + common.markdown_table(header, rows)
        + "\n\n`python benches/bench_smote.py` (see its docstring for the data).\n"
    )
    common.publish(text, args.out)


if __name__ == "__main__":
    main()
