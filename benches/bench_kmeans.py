#!/usr/bin/env python
"""k-means: thresher against faiss-cpu, scikit-learn (KMeans, MiniBatchKMeans) and
fastkmeans (when it installs), in one process, on real MiniLM sentence embeddings and
synthetic Gaussian mixtures.

Every tool runs 20 iterations on the same float32 data with the same thread count; the
final inertia of every tool's centroids is recomputed the same way (exact squared
distances of all points to their nearest centroid, summed in float64), so quality is
compared on equal terms. Timings are medians of ``--repeat`` runs; peak RSS is the
resident memory of the process sampled every 20 ms during a run (the increase over the start
of that run is shown too).

Usage::

    python benches/bench_kmeans.py                       # everything (~30-60 min on 2 cores)
    python benches/bench_kmeans.py --datasets minilm --ks 100 --repeat 1   # quick look
    python benches/bench_kmeans.py --skip sklearn-minibatch --out /tmp/k.md

See benches/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys

# Before numpy, faiss or scikit-learn load an OpenMP runtime: idle OpenMP threads must
# sleep, not spin, or each library's pool slows the next one's runs on 2 shared cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
MINILM = CORPORA / "embeddings" / "minilm-30k.f16.npy"
RESULTS = HERE / "results"
PACKAGES = ("thresher", "faiss-cpu", "scikit-learn", "fastkmeans", "numpy")
ITERATIONS = 20


# --------------------------------------------------------------------------- data
def gaussian_mixture(n: int, d: int, centers: int, seed: int) -> np.ndarray:
    """``n`` points around ``centers`` random means (spread 1, means spread 3 per axis)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 3.0 / np.sqrt(d) * 4, (centers, d)).astype(np.float32)
    x = np.empty((n, d), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        end = min(n, start + step)
        which = rng.integers(0, centers, end - start)
        x[start:end] = means[which] + rng.standard_normal((end - start, d), dtype=np.float32)
    return x


def dataset(name: str) -> np.ndarray:
    if name == "minilm":
        return np.load(MINILM).astype(np.float32)
    if name == "gauss-200k-384":
        return gaussian_mixture(200_000, 384, 1000, 0)
    if name == "gauss-1M-128":
        return gaussian_mixture(1_000_000, 128, 1000, 1)
    raise SystemExit(f"unknown dataset {name}")


# --------------------------------------------------------------------------- tools
def run_thresher(x: np.ndarray, k: int, seed: int, **options: Any) -> np.ndarray:
    import thresher

    km = thresher.KMeans(k, max_iter=ITERATIONS, tol=0.0, seed=seed, **options).fit(x)
    return np.asarray(km.centroids_)


def run_faiss(x: np.ndarray, k: int, seed: int, all_points: bool) -> np.ndarray:
    import faiss

    kwargs: dict[str, Any] = {"niter": ITERATIONS, "seed": seed + 1, "verbose": False}
    if all_points:
        kwargs["max_points_per_centroid"] = len(x) // k + 1
    km = faiss.Kmeans(x.shape[1], k, **kwargs)
    km.train(x)
    return np.asarray(km.centroids)


def run_sklearn(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    km = KMeans(k, init="k-means++", n_init=1, max_iter=ITERATIONS, tol=0.0, random_state=seed)
    return np.asarray(km.fit(x).cluster_centers_, dtype=np.float32)


def run_sklearn_minibatch(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(
        k,
        batch_size=4096,
        n_init=1,
        max_iter=ITERATIONS,
        random_state=seed,
        max_no_improvement=None,
    )
    return np.asarray(km.fit(x).cluster_centers_, dtype=np.float32)


def run_fastkmeans(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    from fastkmeans import FastKMeans

    km = FastKMeans(x.shape[1], k, niter=ITERATIONS, seed=seed, gpu=False)
    km.train(x)
    return np.asarray(km.centroids, dtype=np.float32)


TOOLS: dict[str, tuple[str, Callable[[np.ndarray, int, int], np.ndarray]]] = {
    "thresher random": ("thresher", lambda x, k, s: run_thresher(x, k, s, init="random")),
    "thresher k-means++": ("thresher", lambda x, k, s: run_thresher(x, k, s)),
    "thresher k-means||": ("thresher", lambda x, k, s: run_thresher(x, k, s, init="k-means||")),
    "thresher 256/centroid": (
        "thresher",
        lambda x, k, s: run_thresher(x, k, s, init="random", max_points_per_centroid=256),
    ),
    "faiss all points": ("faiss", lambda x, k, s: run_faiss(x, k, s, True)),
    "faiss default (256/centroid)": ("faiss", lambda x, k, s: run_faiss(x, k, s, False)),
    "sklearn KMeans": ("sklearn", run_sklearn),
    "sklearn MiniBatchKMeans": ("sklearn", run_sklearn_minibatch),
    "fastkmeans": ("fastkmeans", run_fastkmeans),
}


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- measuring
def inertia(x: np.ndarray, centroids: np.ndarray) -> float:
    from thresher import _core

    _, _, value = _core.kmeans_assign(x, np.ascontiguousarray(centroids, dtype=np.float32))
    return float(value)


def measure(tool: str, x: np.ndarray, k: int, repeat: int, seed: int) -> dict[str, Any]:
    _, fn = TOOLS[tool]
    times, peaks, growth, values = [], [], [], []
    for r in range(repeat):
        start = common.rss_bytes(os.getpid())
        with common.TreeRssMonitor(os.getpid(), interval=0.02) as rss:
            t0 = time.perf_counter()
            centroids = fn(x, k, seed + r)
            times.append(time.perf_counter() - t0)
        peaks.append(rss.peak / 1e6)
        growth.append((rss.peak - start) / 1e6)
        values.append(inertia(x, centroids))
    return {
        "time": common.median(times),
        "times": times,
        "rss": max(peaks),
        "rss_growth": max(growth),
        "inertia": common.median(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["minilm", "gauss-200k-384", "gauss-1M-128"]
    )
    parser.add_argument("--ks", nargs="+", type=int, default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slow-repeat", type=int, default=1, help="runs of scikit-learn")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[], help="tools to leave out")
    parser.add_argument("--out", type=Path, default=RESULTS / "kmeans.md")
    args = parser.parse_args()

    load_at_start = common.load_average()
    import thresher

    thresher.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if available("faiss"):
        import faiss

        faiss.omp_set_num_threads(args.threads)
    if available("threadpoolctl"):
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    modules = {
        "thresher": "thresher",
        "faiss": "faiss",
        "sklearn": "sklearn",
        "fastkmeans": "fastkmeans",
    }
    tools = [t for t in TOOLS if t not in args.skip and available(modules[TOOLS[t][0]])]
    missing = [t for t in TOOLS if t not in args.skip and t not in tools]

    info = common.machine_info(PACKAGES, load_at_start)
    if missing:
        info["notes"].append(f"not run (not installed): {', '.join(missing)}")
    info["notes"].append(
        f"{args.threads} threads for every tool; {ITERATIONS} iterations; medians of "
        f"{args.repeat} runs ({args.slow_repeat} for scikit-learn); OMP_WAIT_POLICY=PASSIVE"
    )
    sections: list[str] = []

    def publish() -> None:
        info["load"] = f"{load_at_start} at the start, {common.load_average()} at the end"
        text = "# k-means benchmark\n\n" + common.machine_markdown(info) + "\n"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n".join(sections))

    for name in args.datasets:
        x = dataset(name)
        for k in args.ks:
            rows = {}
            for tool in tools:
                if tool == "thresher k-means||" and k < 1000:
                    continue
                slow = TOOLS[tool][0] == "sklearn"
                repeat = args.slow_repeat if slow else args.repeat
                print(f"{name} k={k}: {tool} x{repeat} ...", flush=True)
                rows[tool] = measure(tool, x, k, repeat, args.seed)
                print(
                    f"  {rows[tool]['time']:.2f} s, inertia {rows[tool]['inertia']:.6g}, "
                    f"peak RSS {rows[tool]['rss']:.0f} MB (load {common.load_average()})",
                    flush=True,
                )
            sections.append(report(name, x.shape, k, rows))
            print(sections[-1], flush=True)
            publish()
        del x
    print(f"wrote {args.out}")


def report(name: str, shape: tuple[int, ...], k: int, rows: dict[str, dict[str, Any]]) -> str:
    ref_time = rows.get("faiss all points", {}).get("time")
    ref_inertia = rows.get("faiss all points", {}).get("inertia")
    sk_time = rows.get("sklearn KMeans", {}).get("time")
    sk_inertia = rows.get("sklearn KMeans", {}).get("inertia")
    table = []
    for tool, r in rows.items():
        table.append(
            [
                tool,
                common.fmt(r["time"]),
                common.fmt(r["time"] / ref_time if ref_time else None),
                common.fmt(sk_time / r["time"] if sk_time else None, 1),
                f"{r['inertia']:.6g}",
                common.fmt(r["inertia"] / ref_inertia if ref_inertia else None, 4),
                common.fmt(r["inertia"] / sk_inertia if sk_inertia else None, 4),
                f"{r['rss']:.0f} (+{r['rss_growth']:.0f})",
            ]
        )
    header = [
        "tool",
        "time (s)",
        "time / faiss all",
        "sklearn time / time",
        "inertia",
        "inertia / faiss all",
        "inertia / sklearn",
        "peak RSS MB (+run)",
    ]
    return (
        f"## {name} ({shape[0]:,} x {shape[1]}), k = {k}\n\n"
        + common.markdown_table(header, table)
        + "\n"
    )


if __name__ == "__main__":
    main()
