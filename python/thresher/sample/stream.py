"""Sampling rows of a corpus: one-pass reservoirs, and taking rows by position."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter
from thresher.io.sources import SourceLike, call_kernel, read
from thresher.progress import ProgressBar

__all__ = ["reservoir", "take"]


def reservoir(
    source: SourceLike,
    k: int,
    *,
    weight_column: str | None = None,
    seed: int = 0,
    row_number: str | None = "row",
    quiet: bool = True,
) -> pa.Table:
    """``k`` rows of a stream in one pass, holding only O(k) rows in memory.

    Without weights: Algorithm L (a uniform sample that skips ahead geometrically).
    With ``weight_column``: A-ExpJ (weighted without replacement, exponential
    jumps). The random draws are consumed in stream order, so the sample does not
    depend on batch sizes or file boundaries.

    Parameters
    ----------
    source
        Anything :func:`thresher.read` takes: paths, globs, tables, streams.
    k
        Rows to keep; the stream must hold at least k (with positive weight).
    weight_column
        A numeric column of non-negative weights.
    seed
        Seed of the draws.
    row_number
        Name of an added column with each row's position in the stream (``None``
        for no column).
    quiet
        No progress bar.

    Returns
    -------
    pyarrow.Table
        The sampled rows, in stream order.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"text": [f"doc {i}" for i in range(100)]})
    >>> reservoir(table, 3, seed=1).column("row").to_pylist()
    [31, 83, 97]
    """
    k = check.count("k", k)
    src = read(source, text_column=None)
    bar = ProgressBar("sample", src.total_bytes, quiet=quiet)
    rows, numbers, _seen = call_kernel(
        src, _core.reservoir, src.stream(), k, check.seed(seed), weight_column, bar
    )
    bar.close()
    table = pa.Table.from_batches([rows])
    if row_number is not None:
        table = table.append_column(row_number, pa.array(numbers, pa.int64()))
    return table


def take(source: SourceLike, rows: npt.ArrayLike, *, quiet: bool = True) -> pa.Table:
    """The rows of ``source`` at the given positions, in stream order.

    One pass that keeps only the rows taken (positions as returned by the samplers).

    Examples
    --------
    >>> import pyarrow as pa
    >>> take(pa.table({"x": [10, 11, 12, 13]}), [1, 3]).column("x").to_pylist()
    [11, 13]
    """
    positions = np.unique(np.asarray(rows, dtype=np.int64))
    if positions.size and positions[0] < 0:
        raise invalid_parameter("rows", f"positions must be >= 0, got {positions[0]}")
    src = read(source, text_column=None)
    bar = ProgressBar("take", src.total_bytes, quiet=quiet)
    batch = call_kernel(src, _core.take_rows, src.stream(), positions, bar)
    bar.close()
    return pa.Table.from_batches([batch])
