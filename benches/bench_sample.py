#!/usr/bin/env python
"""Sampling kernels: thresher versus numpy, polars and pandas in one process.

Cases (sizes from the sampling issue):

- weighted without replacement, k = 1e6 of n = 1e8 float64 weights: numpy
  ``Generator.choice(p=..., replace=False)`` and numpy exponential keys +
  ``argpartition``;
- uniform without replacement, k = 1e6 of n = 1e8: numpy ``Generator.choice`` and
  polars ``int_range(n).sample(k)``;
- stratified, 1e7 rows over 100 skewed (Zipf) strata, 10% of each stratum: polars
  (shuffle-rank per group, the fast idiom) and pandas ``groupby().sample``;
- one pass over the 1e8 weights (a weighted reservoir, k = 1000, and the keyed
  sample of k = 1e6) against ``numpy.sum`` over the same array, the memory-bandwidth
  floor.

Each tool runs ``--repeat`` times on the same arrays; the median wall time and the
extra memory (peak RSS during the call minus RSS before it, sampled every 5 ms) are
reported with ratios against thresher. torch.multinomial is not run: it refuses more
than 2^24 categories, and PyPI's torch wheels bring CUDA (no CPU-only index here).

Usage::

    python benches/bench_sample.py               # full sizes (~3 minutes)
    python benches/bench_sample.py --scale 0.1   # n = 1e7, k = 1e5, 1e6 stratified rows
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pytest --import-mode=importlib does not add it
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

RESULTS = HERE / "results"
PACKAGES = ("thresher", "numpy", "polars", "pandas", "pyarrow")


@dataclass
class Timing:
    tool: str
    seconds: float
    extra_mb: float
    note: str = ""


def measure(tool: str, fn: Callable[[], Any], repeat: int, note: str = "") -> Timing:
    """Median wall time of ``fn`` and the largest extra RSS seen over the runs."""
    times, extra = [], 0.0
    for _ in range(repeat):
        before = common.rss_bytes(os.getpid())
        with common.TreeRssMonitor(os.getpid(), interval=0.005) as monitor:
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        extra = max(extra, (monitor.peak - before) / 1e6)
        del result
    print(f"  {tool:<44} {common.median(times):8.3f} s  +{extra:8.0f} MB", flush=True)
    return Timing(tool, common.median(times), extra, note)


def weighted_case(weights: np.ndarray, k: int, repeat: int, numpy_choice: bool) -> list[Timing]:
    import thresher.sample as ts

    n = len(weights)
    print(f"weighted without replacement, k={k:,} of n={n:,}")
    out = [measure("thresher.sample.weighted", lambda: ts.weighted(weights, k, seed=1), repeat)]

    def exponential_keys() -> np.ndarray:
        rng = np.random.default_rng(1)
        keys = rng.exponential(size=n) / weights
        return np.sort(np.argpartition(keys, k)[:k])

    out.append(measure("numpy exponential keys + argpartition", exponential_keys, repeat))
    if numpy_choice:

        def choice() -> np.ndarray:
            rng = np.random.default_rng(1)
            return rng.choice(n, size=k, replace=False, p=weights / weights.sum())

        out.append(measure("numpy Generator.choice(p=..., replace=False)", choice, repeat))
    return out


def uniform_case(n: int, k: int, repeat: int) -> list[Timing]:
    import polars as pl
    import thresher.sample as ts

    print(f"uniform without replacement, k={k:,} of n={n:,}")
    return [
        measure("thresher.sample.uniform", lambda: ts.uniform(n, k, seed=1), repeat),
        measure(
            "numpy Generator.choice(replace=False)",
            lambda: np.random.default_rng(1).choice(n, size=k, replace=False),
            repeat,
        ),
        measure(
            "polars int_range(n).sample(k)",
            lambda: pl.select(pl.int_range(0, n).sample(k, seed=1)),
            repeat,
        ),
    ]


def stratified_case(rows: int, strata: int, repeat: int) -> list[Timing]:
    import pandas as pd
    import polars as pl
    import pyarrow as pa
    import thresher.sample as ts

    rng = np.random.default_rng(0)
    # Zipf-skewed strata: the largest holds ~20% of the rows, the smallest ~0.2%.
    p = 1.0 / np.arange(1, strata + 1)
    groups = rng.choice(strata, size=rows, p=p / p.sum()).astype(np.int64)
    frame = pl.DataFrame({"g": groups, "i": np.arange(rows)})
    pandas_frame = pd.DataFrame({"g": groups})
    names = pa.array([f"domain-{g:03d}" for g in range(strata)])
    labels = pa.DictionaryArray.from_arrays(pa.array(groups.astype(np.int32)), names).cast(
        pa.string()
    )
    frame_str = pl.DataFrame({"g": pl.from_arrow(labels), "i": np.arange(rows)})
    print(f"stratified 10% of {rows:,} rows over {strata} strata")

    def polars_rank() -> Any:
        rank = pl.int_range(pl.len()).shuffle(seed=1).over("g")
        return frame.filter(rank < (pl.len().over("g") * 0.1).round())

    return [
        measure(
            "thresher.sample.stratified (int groups)",
            lambda: ts.stratified(groups, frac=0.1, seed=1),
            repeat,
        ),
        measure(
            "thresher.sample.stratified (str groups)",
            lambda: ts.stratified(labels, frac=0.1, seed=1),
            repeat,
        ),
        measure("polars shuffle-rank over groups", polars_rank, repeat),
        measure(
            "polars group_by().agg(sample(fraction))",
            lambda: frame.group_by("g").agg(pl.col("i").sample(fraction=0.1, seed=1)),
            repeat,
        ),
        measure(
            "polars group_by().agg(sample(fraction)) (str)",
            lambda: frame_str.group_by("g").agg(pl.col("i").sample(fraction=0.1, seed=1)),
            repeat,
        ),
        measure(
            "pandas groupby().sample(frac)",
            lambda: pandas_frame.groupby("g").sample(frac=0.1, random_state=1),
            repeat,
        ),
    ]


def pass_case(weights: np.ndarray, k: int, repeat: int) -> list[Timing]:
    import thresher.sample as ts

    print(f"one pass over {len(weights):,} weights")
    return [
        measure("numpy.sum (memory-bandwidth floor)", lambda: weights.sum(), repeat),
        measure(
            "thresher WeightedReservoir(k=1000).add",
            lambda: ts.WeightedReservoir(1000, seed=1).add(weights),
            repeat,
        ),
        measure(
            f"thresher.sample.weighted (k={k:,})", lambda: ts.weighted(weights, k, seed=1), repeat
        ),
    ]


def table(title: str, timings: list[Timing], base: str) -> str:
    reference = next(t for t in timings if t.tool.startswith(base))
    rows = [
        [
            t.tool,
            common.fmt(t.seconds, 3),
            common.fmt(t.extra_mb, 0),
            f"{t.seconds / reference.seconds:.1f}x" if t is not reference else "1x",
        ]
        for t in timings
    ]
    header = ["tool", "median s", "extra MB", f"time vs {base}"]
    return f"### {title}\n\n" + common.markdown_table(header, rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-numpy-choice", action="store_true", help="skip the slow peer")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    load = common.load_average()
    n, k = int(1e8 * args.scale), int(1e6 * args.scale)
    weights = np.random.default_rng(0).pareto(1.5, n)
    sections = [
        table(
            f"Weighted without replacement: k = {k:,} of n = {n:,} (Pareto weights)",
            weighted_case(weights, k, args.repeat, not args.skip_numpy_choice),
            "thresher",
        ),
        table(
            f"Uniform without replacement: k = {k:,} of n = {n:,}",
            uniform_case(n, k, args.repeat),
            "thresher",
        ),
        table(
            f"Stratified: 10% of {int(1e7 * args.scale):,} rows over 100 Zipf-skewed strata",
            stratified_case(int(1e7 * args.scale), 100, args.repeat),
            "thresher.sample.stratified (int",
        ),
        table(f"One pass over {n:,} weights", pass_case(weights, k, args.repeat), "numpy.sum"),
    ]
    info = common.machine_info(PACKAGES, load_at_start=load)
    text = (
        "# Sampling kernels versus numpy, polars and pandas\n\n"
        + common.machine_markdown(info)
        + f"\nMedian of {args.repeat} runs in one process; extra MB = peak RSS during the call "
        "minus RSS before it. Produced by `python benches/bench_sample.py"
        + (f" --scale {args.scale}" if args.scale != 1.0 else "")
        + "`.\n\n"
        + "\n".join(sections)
    )
    common.publish(
        text,
        args.out
        or RESULTS / ("sample.md" if args.scale == 1.0 else f"sample-scale{args.scale}.md"),
    )


if __name__ == "__main__":
    main()
