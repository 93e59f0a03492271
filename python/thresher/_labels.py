"""Label encoding: one home for turning per-row labels into integer codes.

The kernels take ``uint32`` codes and a list of the distinct values; the modules that
group rows by a label (``sample.stratified``, ``select``, ``rebalance``, ``valuation``,
``gme``, ``mixing.quadmix``) encode through these functions. Two orders exist and each
caller keeps its own, since results depend on it (allocation ties go to the earlier
group, class order is the sorted one imbalanced-learn reports):

- :func:`encode` (Arrow): values in order of first appearance, or sorted;
- :func:`sorted_codes` (numpy): sorted values, as :func:`numpy.unique` gives them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from thresher.exceptions import invalid_parameter

__all__ = ["as_array", "check_per_row", "encode", "first_null", "plain", "sorted_codes"]


def as_array(labels: Any) -> pa.Array:
    """``labels`` as one Arrow array: a pyarrow (chunked) array, anything exporting
    ``__arrow_c_array__`` (polars), or an array-like (through numpy)."""
    if isinstance(labels, pa.ChunkedArray):
        return labels.combine_chunks()
    if isinstance(labels, pa.Array):
        return labels
    return pa.array(labels if hasattr(labels, "__arrow_c_array__") else np.asarray(labels))


def first_null(column: pa.Array | pa.ChunkedArray) -> int | None:
    """The row of the first null of ``column``, or ``None`` if it has none."""
    if not column.null_count:
        return None
    return int(pc.index(pc.is_null(column), True).as_py())


def plain(column: pa.Array) -> pa.Array:
    """``column`` with a dictionary type decoded and string/binary views made plain (so
    it sorts, and its distinct values are only those present)."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string_view(column.type):  # polars exports views; sort needs plain
        column = column.cast(pa.large_string())
    elif pa.types.is_binary_view(column.type):
        column = column.cast(pa.large_binary())
    return column


def encode(column: pa.Array, *, sort: bool = False) -> tuple[npt.NDArray[np.uint32], pa.Array]:
    """``(codes, values)``: the code of each row (``uint32``) and the distinct values.

    Values come in order of first appearance, or sorted with ``sort`` (the column is
    then made :func:`plain` first). Without ``sort`` a dictionary-typed column keeps its
    own dictionary (order and unused values included): pass ``plain(column)`` for the
    values present only. The column must hold no null (see :func:`first_null`).
    """
    if sort:
        column = plain(column)
        values = pc.unique(column)
        values = values.take(pc.sort_indices(values))
        codes = pc.index_in(column, value_set=values)
    else:
        encoded = pc.dictionary_encode(column)
        codes, values = encoded.indices, encoded.dictionary
    array = codes.to_numpy(zero_copy_only=False)
    if array.dtype == np.int32:  # Arrow's indices: non-negative, so reinterpreted in place
        array = array.view(np.uint32)
    return np.ascontiguousarray(array, dtype=np.uint32), values


def check_per_row(labels: npt.NDArray[Any], n: int, name: str, rows_of: str) -> None:
    """Raise unless ``labels`` is 1-D with one label per row of ``rows_of`` (``n``)."""
    if labels.ndim != 1:
        raise invalid_parameter(name, f"must be 1-D, got shape {labels.shape}")
    if len(labels) != n:
        raise invalid_parameter(name, f"has {len(labels)} labels for {n} rows of {rows_of}")


def sorted_codes(labels: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint32]]:
    """``(classes, codes)`` of 1-D numpy labels: the sorted distinct values and the
    ``uint32`` code of each row (raises numpy's ``TypeError`` if labels do not compare)."""
    classes, codes = np.unique(labels, return_inverse=True)
    return classes, np.ascontiguousarray(codes.reshape(-1), dtype=np.uint32)
