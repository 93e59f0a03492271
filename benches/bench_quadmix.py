#!/usr/bin/env python
"""QuaDMix sampling: thresher versus numpy and polars in one process.

n documents (default 1e7) with two quality scores (one continuous, one rounded to 2
decimals so that ties are common) over 20 Zipf-skewed domains. Each tool computes the
same thing: each score's mid-rank percentile within its domain, the per-domain weighted
merge, the merged quality's rank within the domain, QuaDMix's sampling function, and
integer copies ``floor(S) + Bernoulli(S - floor(S))``. The expected copies of numpy and
polars are checked against thresher's (they agree to 1e-12; the Bernoulli draws use
each tool's own generator).

- numpy: a loop over domains, ``np.sort`` + ``np.searchsorted`` for mid-ranks;
- polars: ``rank("average").over("domain")``, parameters joined per domain.

Usage::

    python benches/bench_quadmix.py              # n = 1e7
    python benches/bench_quadmix.py --scale 0.1  # n = 1e6
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
from bench_sample import measure  # noqa: E402

RESULTS = HERE / "results"
PACKAGES = ("thresher", "numpy", "polars")
DOMAINS = 20


def make_data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, Any]]:
    from thresher.mixing import DomainParams

    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, DOMAINS + 1)
    domains = rng.choice(DOMAINS, size=n, p=p / p.sum()).astype(np.int64)
    s1 = rng.normal(size=n)
    s2 = np.round(rng.uniform(size=n), 2)
    params = {
        d: DomainParams(
            threshold=float(rng.uniform(0.1, 1.0)),
            steepness=float(rng.uniform(0.0, 10.0)),
            rate=float(rng.uniform(0.2, 3.0)),
            weights=[float(w), 1.0 - float(w)],
        )
        for d, w in zip(range(DOMAINS), rng.uniform(size=DOMAINS), strict=True)
    }
    return s1, s2, domains, params


def numpy_quadmix(s1, s2, domains, params, seed=1):  # type: ignore[no-untyped-def]
    def mid(v: np.ndarray) -> np.ndarray:
        ordered = np.sort(v)
        below = np.searchsorted(ordered, v, side="left")
        upto = np.searchsorted(ordered, v, side="right")
        return (below + (upto - below) / 2.0) / len(v)

    expected = np.zeros(len(domains))
    for d, p in params.items():
        rows = np.flatnonzero(domains == d)
        w = list(p.weights)
        q = w[0] * mid(s1[rows]) + w[1] * mid(s2[rows])
        r = 1.0 - mid(q)
        s = p.rate * 2.0 / (1.0 + np.exp(p.steepness * (r - p.threshold)))
        expected[rows] = np.where(r <= p.threshold, s, 0.0)
    whole = np.floor(expected)
    u = np.random.default_rng(seed).random(len(expected))
    return expected, (whole + (u < expected - whole)).astype(np.uint32)


def polars_quadmix(s1, s2, domains, params, seed=1):  # type: ignore[no-untyped-def]
    import polars as pl

    table = pl.DataFrame(
        {
            "d": list(params),
            "w1": [p.weights[0] for p in params.values()],
            "w2": [p.weights[1] for p in params.values()],
            "omega": [p.threshold for p in params.values()],
            "lam": [p.steepness for p in params.values()],
            "eta": [p.rate for p in params.values()],
        }
    )
    n_d = pl.len().over("d")

    def mid(col: str) -> pl.Expr:
        return (pl.col(col).rank("average").over("d") - 0.5) / n_d

    frame = pl.DataFrame({"s1": s1, "s2": s2, "d": domains}).join(table, on="d", how="left")
    out = (
        frame.with_columns(q=pl.col("w1") * mid("s1") + pl.col("w2") * mid("s2"))
        .with_columns(r=1.0 - mid("q"))
        .with_columns(
            e=pl.when(pl.col("r") <= pl.col("omega"))
            .then(
                pl.col("eta")
                * 2.0
                / (1.0 + (pl.col("lam") * (pl.col("r") - pl.col("omega"))).exp())
            )
            .otherwise(0.0)
        )
    )
    expected = out["e"].to_numpy()
    whole = np.floor(expected)
    u = np.random.default_rng(seed).random(len(expected))
    return expected, (whole + (u < expected - whole)).astype(np.uint32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "quadmix.md")
    args = parser.parse_args()
    import thresher
    from thresher.mixing import quadmix

    load_at_start = common.load_average()
    n = int(1e7 * args.scale)
    s1, s2, domains, params = make_data(n)
    scores = {"s1": s1, "s2": s2}
    print(f"QuaDMix over {n:,} documents, 2 scores, {DOMAINS} domains")
    rows = []
    for threads in (2, 1):
        thresher.set_num_threads(threads)
        rows.append(
            measure(
                f"thresher quadmix.sample ({threads} thread{'s' if threads > 1 else ''})",
                lambda: quadmix.sample(scores, domains, params, seed=1),
                args.repeat,
            )
        )
    thresher.set_num_threads(0)
    rows.append(
        measure(
            "numpy (sort + searchsorted per domain)",
            lambda: numpy_quadmix(s1, s2, domains, params),
            args.repeat,
        )
    )
    rows.append(
        measure(
            "polars (rank('average').over(domain))",
            lambda: polars_quadmix(s1, s2, domains, params),
            args.repeat,
        )
    )
    reference = quadmix.expected_copies(scores, domains, params)
    np.testing.assert_allclose(numpy_quadmix(s1, s2, domains, params)[0], reference, rtol=1e-12)
    np.testing.assert_allclose(polars_quadmix(s1, s2, domains, params)[0], reference, rtol=1e-12)
    base = rows[0].seconds
    info = common.machine_info(PACKAGES, load_at_start)
    info["notes"].append(
        "Each tool computes expected copies and draws integer copies; numpy and polars "
        "agree with thresher's expected copies to 1e-12."
    )
    table = common.markdown_table(
        ["tool", "median s", "extra MB", "time vs thresher (2 threads)"],
        [
            [
                t.tool,
                common.fmt(t.seconds, 3),
                common.fmt(t.extra_mb, 0),
                f"{t.seconds / base:.1f}x",
            ]
            for t in rows
        ],
    )
    text = f"# QuaDMix sampling, {n:,} documents\n\n{common.machine_markdown(info)}\n{table}\n"
    common.publish(text, args.out)


if __name__ == "__main__":
    main()
