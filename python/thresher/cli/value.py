"""The ``thresher smote`` and ``thresher value`` subcommands (see :mod:`thresher.cli`).

Features and labels come from a ``.npz`` (arrays ``x`` and ``y``; other names with
``--x-key``/``--y-key``), a ``.npy`` of features with ``--labels`` (a ``.npy`` of
labels), or a Parquet file (the ``--label-column`` and every other numeric column, or
one column of fixed-size lists, as features). Outputs are written atomically.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher.exceptions import ReadError, invalid_parameter, located

__all__ = ["add_parsers", "load_labelled", "run"]


def _add_input(p: argparse.ArgumentParser, prefix: str = "") -> None:
    dash = f"--{prefix}-" if prefix else "--"
    p.add_argument(f"{dash}labels", default=None, help="a .npy of labels (with a .npy input)")
    p.add_argument(f"{dash}label-column", default="label", help="label column of a Parquet input")
    p.add_argument(f"{dash}x-key", default="x", help="features array of a .npz input")
    p.add_argument(f"{dash}y-key", default="y", help="labels array of a .npz input")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommands on ``sub``."""
    smote = sub.add_parser(
        "smote",
        help="rebalance a labelled feature matrix: SMOTE, random over- or under-sampling",
        description="Resample the rows of a labelled feature matrix (.npz, .npy + --labels, "
        "or .parquet) to the class counts of --sampling-strategy and write the result with "
        "the provenance of every row (parent, neighbor, gap).",
    )
    smote.add_argument("input", help=".npz, .npy (with --labels) or .parquet")
    _add_input(smote)
    smote.add_argument("--out", required=True, help="output .npz or .parquet")
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
    smote.add_argument("--seed", type=int, default=0)
    smote.add_argument("--threads", type=int, default=0, help="worker threads (default: all)")

    value = sub.add_parser(
        "value",
        help="value training points: exact K-NN Shapley values against a validation set",
        description="Compute the exact K-nearest-neighbour Shapley value (Jia et al. 2019) "
        "of every training row for a validation set and write one value per row.",
    )
    value.add_argument("train", help="training features and labels (.npz, .npy, .parquet)")
    _add_input(value)
    value.add_argument("--val", required=True, help="validation features and labels")
    _add_input(value, "val")
    value.add_argument("-k", type=int, default=5, help="neighbours of the K-NN utility")
    value.add_argument("--out", required=True, help="output .parquet (row, value) or .npy")
    value.add_argument("--threads", type=int, default=0, help="worker threads (default: all)")


def _read_error(path: str, message: str) -> ReadError:
    return located(ReadError, f"{path}: {message}", path=path)


def load_labelled(
    path: str,
    labels: str | None = None,
    label_column: str = "label",
    x_key: str = "x",
    y_key: str = "y",
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """``(x, y)`` read from a ``.npz``, a ``.npy`` with a ``.npy`` of labels, or Parquet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.npz"
    >>> np.savez(f, x=np.eye(2), y=np.array([0, 1]))
    >>> [a.shape for a in load_labelled(str(f))]
    [(2, 2), (2,)]
    """
    suffix = Path(path).suffix.lower()
    if not Path(path).exists():
        raise _read_error(path, "no such file")
    if suffix == ".npz":
        data = _load(path)
        for key in (x_key, y_key):
            if key not in data:
                raise _read_error(path, f"no array {key!r} (has {sorted(data.keys())})")
        return np.asarray(data[x_key]), np.asarray(data[y_key])
    if suffix == ".npy":
        if labels is None:
            raise invalid_parameter("labels", f"{path} holds only features: give --labels FILE.npy")
        if not Path(labels).exists():
            raise _read_error(labels, "no such file")
        return np.asarray(_load(path)), np.asarray(_load(labels))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if label_column not in table.column_names:
            raise _read_error(path, f"no label column {label_column!r} (--label-column)")
        y = table.column(label_column).to_numpy()
        rest = [c for c in table.column_names if c != label_column]
        if len(rest) == 1 and pa.types.is_fixed_size_list(table.schema.field(rest[0]).type):
            column = table.column(rest[0]).combine_chunks()
            width = column.type.list_size
            x = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)
        else:
            bad = [
                c
                for c in rest
                if not pa.types.is_floating(table.schema.field(c).type)
                and not pa.types.is_integer(table.schema.field(c).type)
            ]
            if bad or not rest:
                raise _read_error(path, f"feature columns must be numeric, not {bad or 'none'}")
            x = np.column_stack([table.column(c).to_numpy() for c in rest])
        return x, y
    raise invalid_parameter("input", f"{path}: must end in .npz, .npy or .parquet")


def _load(path: str) -> Any:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise _read_error(path, f"not a numpy file: {e}") from None


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


def _run_smote(args: argparse.Namespace) -> str:
    from thresher import rebalance
    from thresher.writers import atomic_path, write_table

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
    return (
        f"{len(x):,} rows -> {len(r.y):,} ({summary})"
        f"\nwrote {out} in {time.perf_counter() - started:.1f} s"
    )


def _run_value(args: argparse.Namespace) -> str:
    from thresher.valuation import knn_shapley
    from thresher.writers import atomic_path, write_table

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
        f"\nwrote {out} in {time.perf_counter() - started:.1f} s"
    )


def run(args: argparse.Namespace) -> str | None:
    """Run ``args.command`` if it is one of ours; ``None`` otherwise."""
    if args.command not in ("smote", "value"):
        return None
    _core.set_num_threads(args.threads)
    return _run_smote(args) if args.command == "smote" else _run_value(args)
