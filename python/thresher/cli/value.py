"""The ``thresher value`` subcommand (see :mod:`thresher.cli`).

Features and labels of the training and the validation set are read by
:func:`thresher.io.load_labelled`: a ``.npz`` (arrays ``x`` and ``y``; other names with
``--x-key``/``--y-key``), a ``.npy`` of features with ``--labels`` (a ``.npy`` of
labels), or a Parquet file (the ``--label-column`` and every other numeric column, or
one column of fixed-size lists, as features). The output is written atomically.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from thresher.cli import options
from thresher.exceptions import invalid_parameter
from thresher.io.labelled import load_labelled

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    value = sub.add_parser(
        "value",
        help="value training points: exact K-NN Shapley values against a validation set",
        description="Compute the exact K-nearest-neighbour Shapley value (Jia et al. 2019) "
        "of every training row for a validation set and write one value per row.",
    )
    value.add_argument("train", help="training features and labels (.npz, .npy, .parquet)")
    options.add_labelled_input(value)
    value.add_argument("--val", required=True, help="validation features and labels")
    options.add_labelled_input(value, "val")
    value.add_argument("-k", type=int, default=5, help="neighbours of the K-NN utility")
    options.add_out(value, shards=False, help="output .parquet (row, value) or .npy")
    options.add_threads(value)
    value.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> str:
    from thresher.io.writers import atomic_path, write_table
    from thresher.valuation import knn_shapley

    started = time.perf_counter()
    xt, yt = load_labelled(args.train, args.labels, args.label_column, args.x_key, args.y_key)
    xv, yv = load_labelled(
        args.val, args.val_labels, args.val_label_column, args.val_x_key, args.val_y_key
    )
    values = knn_shapley(xt, yt, xv, yv, k=args.k)
    out = Path(args.out)
    if out.suffix == ".npy":
        with atomic_path(out) as tmp, open(tmp, "wb") as f:
            np.save(f, values)
    elif out.suffix == ".parquet":
        write_table(pa.table({"row": np.arange(len(values)), "value": values}), out)
    else:
        raise invalid_parameter("out", f"{out}: must end in .npy or .parquet")
    return (
        f"{len(values):,} training rows valued against {len(yv):,} validation rows (K={args.k}); "
        f"sum {values.sum():.6g}, {int((values < 0).sum()):,} negative"
        f"\n{options.wrote(out, started)}"
    )
