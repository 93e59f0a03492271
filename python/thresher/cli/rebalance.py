"""The ``thresher smote`` subcommand (see :mod:`thresher.cli`).

Features and labels are read by :func:`thresher.io.load_labelled`: a ``.npz`` (arrays
``x`` and ``y``; other names with ``--x-key``/``--y-key``), a ``.npy`` of features with
``--labels`` (a ``.npy`` of labels), or a Parquet file (the ``--label-column`` and every
other numeric column, or one column of fixed-size lists, as features). The output is
written atomically.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from thresher.cli import options
from thresher.exceptions import invalid_parameter
from thresher.io.labelled import load_labelled

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    smote = sub.add_parser(
        "smote",
        help="rebalance a labelled feature matrix: SMOTE, random over- or under-sampling",
        description="Resample the rows of a labelled feature matrix (.npz, .npy + --labels, "
        "or .parquet) to the class counts of --sampling-strategy and write the result with "
        "the provenance of every row (parent, neighbor, gap).",
    )
    smote.add_argument("input", help=".npz, .npy (with --labels) or .parquet")
    options.add_labelled_input(smote)
    options.add_out(smote, shards=False, help="output .npz or .parquet")
    smote.add_argument("--method", choices=["smote", "over", "under"], default="smote")
    smote.add_argument(
        "--sampling-strategy",
        default="auto",
        help="auto, minority, majority, 'not minority', 'not majority', all, a float "
        "(two classes), or CLASS=COUNT,CLASS=COUNT",
    )
    smote.add_argument("-k", "--k-neighbors", type=int, default=5)
    smote.add_argument("--cell-size", type=int, default=None, help="approximate neighbours")
    smote.add_argument("--probe", type=int, default=3)
    options.add_seed(smote)
    options.add_threads(smote)
    smote.set_defaults(func=_run)


def _strategy(text: str) -> Any:
    if "=" in text:
        out: dict[Any, int] = {}
        for part in text.split(","):
            name, _, count = part.partition("=")
            key: Any = int(name) if name.strip().lstrip("-").isdigit() else name.strip()
            out[key] = int(count)
        return out
    try:
        return float(text)
    except ValueError:
        return text


def _run(args: argparse.Namespace) -> str:
    from thresher import rebalance
    from thresher.io.writers import atomic_path, write_table

    started = time.perf_counter()
    x, y = load_labelled(args.input, args.labels, args.label_column, args.x_key, args.y_key)
    strategy = _strategy(args.sampling_strategy)
    if isinstance(strategy, dict) and y.dtype.kind in "US":
        strategy = {str(k): v for k, v in strategy.items()}
    if args.method == "smote":
        r = rebalance.smote(
            x,
            y,
            sampling_strategy=strategy,
            k_neighbors=args.k_neighbors,
            seed=args.seed,
            cell_size=args.cell_size,
            probe=args.probe,
        )
    elif args.method == "over":
        r = rebalance.random_over_sample(x, y, sampling_strategy=strategy, seed=args.seed)
    else:
        r = rebalance.random_under_sample(x, y, sampling_strategy=strategy, seed=args.seed)
    out = Path(args.out)
    if out.suffix == ".npz":
        with atomic_path(out) as tmp, open(tmp, "wb") as f:
            np.savez(f, x=r.x, y=r.y, parent=r.parent, neighbor=r.neighbor, gap=r.gap)
    elif out.suffix == ".parquet":
        columns: dict[str, Any] = {f"x{j}": r.x[:, j] for j in range(r.x.shape[1])}
        columns.update(label=r.y, parent=r.parent, neighbor=r.neighbor, gap=r.gap)
        write_table(pa.table(columns), out)
    else:
        raise invalid_parameter("out", f"{out}: must end in .npz or .parquet")
    classes, counts = np.unique(r.y, return_counts=True)
    summary = ", ".join(
        f"{c}: {n:,}" for c, n in zip(classes.tolist(), counts.tolist(), strict=True)
    )
    return f"{len(x):,} rows -> {len(r.y):,} ({summary})\n{options.wrote(out, started)}"
