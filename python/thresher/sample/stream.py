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
from thresher.sample._common import _size
from thresher.tokens import TokenizerLike, count_source

__all__ = ["reservoir", "take"]


def reservoir(
    source: SourceLike,
    k: int | None = None,
    *,
    tokens: float | None = None,
    tokenizer: TokenizerLike | None = None,
    token_column: str | None = None,
    text_column: str = "text",
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

    With ``tokens`` instead of ``k``: the rows in a random order (uniform, or the
    keyed order of :func:`~thresher.sample.weighted` with ``weight_column``), taken
    while their tokens stay at most the budget (the first row that would exceed it
    stops the walk; see :mod:`thresher.tokens`); one pass holding the rows within the
    budget. The rows are those of :func:`~thresher.sample.uniform` /
    :func:`~thresher.sample.weighted` with ``tokens`` on the same counts and seed.

    Parameters
    ----------
    source
        Anything :func:`thresher.read` takes: paths, globs, tables, streams.
    k
        Rows to keep; the stream must hold at least k (with positive weight).
    tokens
        A budget in tokens instead of ``k`` (``2e9`` is accepted), at most the
        tokens of the stream's rows.
    tokenizer, token_column, text_column
        With ``tokens``: a :class:`~thresher.tokens.TokenCounter` (or the path of a
        ``tokenizer.json``) counting ``text_column``, or an integer column of counts.
        The sample gains a ``tokens`` column.
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
    >>> table = table.append_column("n", pa.array([10] * 100))
    >>> reservoir(table, tokens=35, token_column="n", seed=1).num_rows
    3
    """
    _size(k, tokens)
    if tokens is not None:
        return _budget_reservoir(
            source,
            check.budget("tokens", tokens),
            count_source(tokenizer, token_column),
            text_column,
            weight_column,
            check.seed(seed),
            row_number,
            quiet,
        )
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


def _budget_reservoir(
    source: SourceLike,
    budget: int,
    counts: tuple[_core.TokenCounter | None, str | None],
    text_column: str,
    weight_column: str | None,
    seed: int,
    row_number: str | None,
    quiet: bool,
) -> pa.Table:
    src = read(source, text_column=None)
    counter, token_column = counts
    bar = ProgressBar("sample", src.total_bytes, quiet=quiet)
    rows, numbers, tokens, _seen = call_kernel(
        src,
        _core.budget_sample,
        src.stream(),
        budget,
        seed,
        weight_column,
        counter,
        text_column,
        token_column,
        bar,
    )
    bar.close()
    table = pa.Table.from_batches([rows])
    if token_column is None:
        table = table.append_column("tokens", pa.array(tokens, pa.uint32()))
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
