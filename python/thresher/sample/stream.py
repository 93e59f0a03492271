"""Sampling rows of a corpus: one-pass reservoirs, and taking rows by position."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter
from thresher.io.sources import Source, SourceLike, call_kernel, read
from thresher.progress import ProgressBar
from thresher.sample._common import _size
from thresher.tokens import TokenizerLike, count_source

__all__ = ["reservoir", "take", "take_batches"]


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


def take_batches(
    source: SourceLike,
    rows: npt.ArrayLike,
    *,
    copies: npt.ArrayLike | None = None,
    row_number: str | None = None,
    quiet: bool = True,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``source`` at the given positions, in stream order, batch by batch.

    Like :func:`take`, but yields each input batch's chosen rows as it reads them, so
    only one batch is held at a time. ``copies`` (one count per position, aligned with
    ``rows`` sorted) repeats each row that many times; ``row_number`` adds a column of
    the rows' positions; ``quiet=False`` draws a progress bar of the rows read.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"x": [10, 11, 12, 13]})
    >>> [b.to_pydict() for b in take_batches(table, [3, 1], row_number="row")]
    [{'x': [11, 13], 'row': [1, 3]}]
    >>> [b.column("x").to_pylist() for b in take_batches(table, [1, 3], copies=[2, 0])]
    [[11, 11]]
    """
    positions = np.asarray(rows, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    if positions.size and positions[0] < 0:
        raise invalid_parameter("rows", f"positions must be >= 0, got {positions[0]}")
    if positions.size > 1 and (np.diff(positions) == 0).any():
        raise invalid_parameter("rows", "positions must be distinct (use copies to repeat)")
    counts = None if copies is None else np.asarray(copies, dtype=np.int64)[order]
    src = read(source, text_column=None)
    bar = ProgressBar("take", src.total_bytes, quiet=quiet)
    yield from _taken(src, positions, counts, row_number, bar)
    bar.close()


def _taken(
    src: Source,
    positions: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64] | None,
    row_number: str | None,
    bar: ProgressBar,
) -> Iterator[pa.RecordBatch]:
    offset = 0
    with src.to_reader() as reader:
        for batch in reader:
            bar(batch.num_rows, batch.nbytes)
            if offset > (positions[-1] if positions.size else -1):
                break  # every position taken: the rest of the corpus is not read
            lo, hi = np.searchsorted(positions, [offset, offset + batch.num_rows])
            picked = positions[lo:hi]
            offset += batch.num_rows
            if not picked.size:
                continue
            local = picked - (offset - batch.num_rows)
            if counts is not None:
                repeat = counts[lo:hi]
                local, picked = np.repeat(local, repeat), np.repeat(picked, repeat)
                if not local.size:
                    continue
            out = batch.take(pa.array(local))
            if row_number is not None:
                out = out.append_column(row_number, pa.array(picked, pa.int64()))
            yield out
    if positions.size and positions[-1] >= offset:
        message = f"position {positions[-1]} is past the end of the corpus ({offset} rows)"
        raise invalid_parameter("rows", message)
