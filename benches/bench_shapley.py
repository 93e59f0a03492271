#!/usr/bin/env python
"""K-NN Shapley values: thresher against two numpy implementations, in one process.

- "loop": the recursion as it is usually written after the paper's pseudo-code: for
  each validation point, numpy distances and argsort, then a Python loop over the
  sorted training points. On the large cases it runs on a slice of the validation set
  and its time is scaled up linearly (said in the table).
- "vectorised": what a careful numpy user writes: BLAS distances for 64 validation
  points at a time, argsort along rows, the recursion as a reversed cumulative sum,
  values scattered back with bincount.

Both must agree with thresher (max abs difference reported). Data: Gaussian blobs with
4 labels (N training x d, 1,000 validation rows), and the MiniLM embeddings of 30,000
documentation sections (384-d) with their 34 domains as labels: 29,000 train, 1,000
validation.

Usage::

    python benches/bench_shapley.py
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


def loop_shapley(
    xt: np.ndarray, yt: np.ndarray, xv: np.ndarray, yv: np.ndarray, k: int
) -> np.ndarray:
    n = len(yt)
    s = np.zeros(n)
    for j in range(len(yv)):
        dist = ((xt - xv[j]) ** 2).sum(axis=1)
        idx = np.argsort(dist, kind="stable")
        ans = yt[idx] == yv[j]
        cur = float(ans[n - 1]) * min(k, n) / (n * k)
        s[idx[n - 1]] += cur
        for i in range(n - 2, -1, -1):
            cur += (float(ans[i]) - float(ans[i + 1])) / k * min(k, i + 1) / (i + 1)
            s[idx[i]] += cur
    return s / len(yv)


def vectorised_shapley(
    xt: np.ndarray, yt: np.ndarray, xv: np.ndarray, yv: np.ndarray, k: int, chunk: int = 64
) -> np.ndarray:
    n = len(yt)
    total = np.zeros(n)
    norms = (xt * xt).sum(axis=1)
    ranks = np.arange(1, n, dtype=np.float64)
    coef = np.minimum(k, ranks) / ranks / k
    for start in range(0, len(yv), chunk):
        v = xv[start : start + chunk]
        dist = norms[None, :] - 2.0 * (v @ xt.T)
        order = np.argsort(dist, axis=1, kind="stable")
        hit = (yt[order] == yv[start : start + chunk, None]).astype(np.float64)
        last = hit[:, -1] * min(k, n) / (n * k)
        steps = (hit[:, :-1] - hit[:, 1:]) * coef
        values = np.empty_like(hit)
        values[:, -1] = last
        values[:, :-1] = last[:, None] + np.cumsum(steps[:, ::-1], axis=1)[:, ::-1]
        total += np.bincount(order.ravel(), weights=values.ravel(), minlength=n)
    return total / len(yv)


def blobs(n: int, m: int, d: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (4, d))
    yt = rng.integers(0, 4, n)
    yv = rng.integers(0, 4, m)
    xt = (centres[yt] + rng.normal(0, 2, (n, d))).astype(np.float32)
    xv = (centres[yv] + rng.normal(0, 2, (m, d))).astype(np.float32)
    return xt, yt, xv, yv


def real_data() -> tuple[np.ndarray, ...] | None:
    data = common.minilm_30k()
    if data is None:
        return None
    x, domains = data
    _, y = np.unique(domains, return_inverse=True)
    order = np.random.default_rng(0).permutation(len(x))
    val, train = order[:1000], order[1000:]
    return x[train], y[train], x[val], y[val]


def run_case(
    name: str, xt: np.ndarray, yt: np.ndarray, xv: np.ndarray, yv: np.ndarray, k: int, repeats: int
) -> list[Any]:
    import thresher

    ours, values = common.median_time(
        lambda: thresher.valuation.knn_shapley(xt, yt, xv, yv, k=k), repeats
    )
    vec, vec_values = common.median_time(lambda: vectorised_shapley(xt, yt, xv, yv, k), 1)
    m_loop = len(yv) if len(yt) <= 10_000 else 100
    loop_t, loop_values = common.median_time(
        lambda: loop_shapley(xt, yt, xv[:m_loop], yv[:m_loop], k), 1
    )
    loop_full = loop_t * len(yv) / m_loop
    ours_part = thresher.valuation.knn_shapley(xt, yt, xv[:m_loop], yv[:m_loop], k=k)
    diff = max(
        float(np.abs(values - vec_values).max()), float(np.abs(ours_part - loop_values).max())
    )
    scaled = "" if m_loop == len(yv) else f" (scaled from {m_loop} val)"
    return [
        name,
        f"{ours:.2f} s",
        f"{vec:.2f} s",
        f"**{vec / ours:.1f}x**",
        f"{loop_full:.1f} s{scaled}",
        f"**{loop_full / ours:.0f}x**",
        f"{diff:.1e}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "shapley.md")
    args = parser.parse_args()

    load_at_start = common.load_average()
    cases: list[tuple[str, tuple[np.ndarray, ...]]] = [
        ("10,000 x 32, 1,000 val", blobs(10_000, 1000, 32, 1)),
        ("100,000 x 32, 1,000 val", blobs(100_000, 1000, 32, 2)),
        ("10,000 x 384, 1,000 val", blobs(10_000, 1000, 384, 3)),
    ]
    real = real_data()
    if real is not None:
        cases.append(("MiniLM 29,000 x 384, 1,000 val, 34 domains", real))
    rows: list[list[Any]] = []
    for name, data in cases:
        print(name, flush=True)
        rows.append(run_case(name, *data, k=args.k, repeats=args.repeats))
        print(rows[-1], flush=True)

    info = common.machine_info(("thresher", "numpy"), load_at_start)
    import numpy

    config = numpy.show_config(mode="dicts") if hasattr(numpy, "show_config") else {}
    blas = (config or {}).get("Build Dependencies", {}).get("blas", {}).get("name", "?")
    info["notes"] = [
        "The machine may be shared: the load average above counts any other work.",
        f"K = {args.k}; float32 features for all; numpy BLAS: {blas} (both cores); thresher: "
        f"median of {args.repeats} runs, numpy: 1 run.",
        "max |diff|: largest difference of any value to thresher's (ties could reorder "
        "points between float32 kernels; none mattered here).",
    ]
    header = [
        "data",
        "thresher",
        "numpy vectorised",
        "speed-up",
        "numpy loop",
        "speed-up",
        "max abs diff",
    ]
    text = (
        "# K-NN Shapley: thresher vs numpy\n\n"
        + common.machine_markdown(info)
        + "\n"
        + common.markdown_table(header, rows)
        + "\n\n`python benches/bench_shapley.py` (see its docstring for the baselines).\n"
    )
    common.publish(text, args.out)


if __name__ == "__main__":
    main()
