"""The ``thresher cluster`` and ``thresher gme`` subcommands (see :mod:`thresher.cli`)."""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pyarrow as pa

from thresher.cli import options
from thresher.exceptions import ReadError, located

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommands on ``sub``."""
    cluster = sub.add_parser(
        "cluster",
        help="k-means clustering of embeddings in a .npy file",
        description="Cluster the rows of a (n, d) float32 or float16 .npy file (memory-mapped, "
        "not loaded) and write each row's cluster and distance.",
    )
    cluster.add_argument("embeddings", help="a .npy file of shape (n, d), float32 or float16")
    cluster.add_argument("-k", type=int, required=True, help="number of clusters")
    options.add_out(
        cluster,
        help="output file (.parquet, .jsonl...) or DIR/ of shards: row, cluster, distance",
    )
    cluster.add_argument("--metric", choices=["euclidean", "cosine"], default="euclidean")
    cluster.add_argument("--max-iter", type=int, default=20)
    cluster.add_argument("--tol", type=float, default=1e-4)
    options.add_seed(cluster)
    cluster.add_argument(
        "--init", choices=["k-means++", "k-means||", "random"], default="k-means++"
    )
    cluster.add_argument("--max-points-per-centroid", type=int, default=None)
    cluster.add_argument("--batch-size", type=int, default=None, help="mini-batch k-means")
    cluster.add_argument("--save-centroids", default=None, help="also save the model (.npz)")
    options.add_threads(cluster)
    cluster.set_defaults(func=_run_cluster)

    gme = sub.add_parser(
        "gme",
        help="rank items by greedy maximum entropy of their categorical attributes",
        description="Rank the items of a table (Parquet or JSON Lines) so that the values of "
        "the --on columns are as diverse as possible, and write the ranking with the "
        "entropies after each step.",
    )
    options.add_inputs(gme, "table", help="Parquet or JSON Lines files, globs or dirs")
    gme.add_argument("--item", required=True, help="the item id column")
    gme.add_argument("--on", nargs="+", required=True, help="categorical columns")
    gme.add_argument("-n", type=int, required=True, help="items to rank")
    options.add_out(gme)
    gme.add_argument("--selector", choices=["dutopia", "sum"], default="dutopia")
    gme.add_argument("--binarised", action="store_true", help="count each (item, value) once")
    gme.add_argument("--approx", type=int, default=None, help="score m random candidates a step")
    options.add_seed(gme)
    options.add_threads(gme)
    gme.set_defaults(func=_run_gme)


def _run_cluster(args: argparse.Namespace) -> str:
    from thresher.cluster import KMeans

    try:
        x = np.load(args.embeddings, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise located(ReadError, f"{args.embeddings}: no such file", path=args.embeddings) from None
    except ValueError as e:
        message = f"{args.embeddings}: not a .npy array: {e}"
        raise located(ReadError, message, path=args.embeddings) from None
    started = time.perf_counter()
    km = KMeans(
        args.k,
        metric=args.metric,
        max_iter=args.max_iter,
        tol=args.tol,
        seed=args.seed,
        init=args.init,
        max_points_per_centroid=args.max_points_per_centroid,
        batch_size=args.batch_size,
    ).fit(x)
    table = pa.table(
        {
            "row": pa.array(np.arange(len(km.labels_), dtype=np.int64)),
            "cluster": pa.array(km.labels_),
            "distance": pa.array(km.distances_),
        }
    )
    parameters = {
        n: getattr(args, n)
        for n in ("k", "metric", "max_iter", "tol", "seed", "init", "max_points_per_centroid")
    }
    parameters["batch_size"] = args.batch_size
    options.write_out(args, table, kind="cluster", parameters=parameters, inputs=[args.embeddings])
    if args.save_centroids:
        km.save(args.save_centroids)
    return (
        f"{len(km.labels_):,} rows, k={args.k}, {km.n_iter_} iterations, inertia {km.inertia_:.6g}"
        f"\n{options.wrote(args.out, started)}"
    )


def _run_gme(args: argparse.Namespace) -> str:
    from thresher.gme import GME

    started = time.perf_counter()
    gme = GME(args.selector, binarised=args.binarised, approx=args.approx, seed=args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranking = gme.rank(args.table, item=args.item, on=args.on, k=args.n)
    notes = "".join(f"thresher: warning: {w.message}\n" for w in caught)
    parameters = {
        n: getattr(args, n) for n in ("item", "on", "n", "selector", "binarised", "approx", "seed")
    }
    options.write_out(args, ranking, kind="gme", parameters=parameters, inputs=args.table)
    last = ", ".join(
        f"H({name})={h:.4f}" for name, h in zip(ranking.on, ranking.entropies[-1], strict=True)
    )
    return (
        f"{notes}ranked {len(ranking.items):,} items; after the last: {last}"
        f"\n{options.wrote(args.out, started)}"
    )
