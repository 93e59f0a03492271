"""Labelled feature matrices ``(x, y)`` read from ``.npz``, ``.npy`` or Parquet files.

A ``.npz`` holds arrays ``x`` and ``y`` (other names with ``x_key``/``y_key``); a
``.npy`` of features needs a ``.npy`` of labels beside it; a Parquet file holds the
``label_column`` and, as features, every other numeric column or one column of
fixed-size lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher.exceptions import ReadError, invalid_parameter, located

__all__ = ["load_labelled"]


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

    Parameters
    ----------
    path
        A ``.npz``, ``.npy`` or ``.parquet`` file.
    labels
        The ``.npy`` of labels that goes with a ``.npy`` of features.
    label_column
        The label column of a Parquet file.
    x_key, y_key
        The feature and label arrays of a ``.npz``.

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
        return _parquet(path, label_column)
    raise invalid_parameter("input", f"{path}: must end in .npz, .npy or .parquet")


def _parquet(path: str, label_column: str) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
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


def _load(path: str) -> Any:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise _read_error(path, f"not a numpy file: {e}") from None
