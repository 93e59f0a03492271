"""Stratified sampling: exact per-group counts, of indices or of a corpus's rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from thresher import _core, _labels
from thresher import _validation as check
from thresher._results import StreamedRows
from thresher.exceptions import EmptyInputError, invalid_parameter, located
from thresher.io.sources import SourceLike, call_kernel, read
from thresher.progress import ProgressBar
from thresher.sample._common import Indices, WeightsLike, _null_error, _weights
from thresher.sample.allocation import Allocation, group_quotas
from thresher.sample.stream import take_batches

__all__ = ["stratified", "stratified_rows", "stratified_stream"]

_LABEL_DTYPES = {np.dtype(t) for t in ("i1", "i2", "i4", "i8", "u1", "u2", "u4")}


class _Groups:
    """Integer labels per row (read in place when possible) and the group of each
    code ``label - low``."""

    def __init__(self, groups: Any) -> None:
        if isinstance(groups, np.ndarray) and groups.dtype in _LABEL_DTYPES and groups.ndim == 1:
            if groups.size == 0:
                raise located(EmptyInputError, "groups is empty: there is nothing to sample from")
            low, high = int(groups.min()), int(groups.max())
            # A small range of integers is used as is, the codes being label - low
            # (absent labels are empty groups); anything else is dictionary-encoded.
            if high - low < 4 * groups.size + 1024:
                self.labels = np.ascontiguousarray(groups)
                self.low = low
                self.values: list[Any] = list(range(low, high + 1))
                return
        column = _labels.as_array(groups)
        if len(column) == 0:
            raise located(EmptyInputError, "groups is empty: there is nothing to sample from")
        row = _labels.first_null(column)
        if row is not None:
            raise _null_error("groups", row)
        self.labels, values = _labels.encode(column)
        self.low = 0
        self.values = values.to_pylist()

    def __len__(self) -> int:
        return len(self.labels)


def stratified(
    groups: Any,
    k: int | None = None,
    *,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    spread: Mapping[Any, float] | None = None,
    weights: WeightsLike | None = None,
    seed: int = 0,
) -> Indices:
    """Rows sampled within each group, with exact per-group counts.

    Parameters
    ----------
    groups
        One group label per row: a numpy array (integers are encoded without
        hashing), a pyarrow or polars column, or a list.
    k, frac, allocation, spread
        The per-group counts, as in :func:`allocate`.
    weights
        Optional non-negative weights, one per row: within each group, rows are then
        drawn without replacement in proportion to weight (as :func:`weighted`),
        and group sizes count only rows of positive weight.
    seed
        Seed of the draws. Within a group the rows with the best seeded keys are
        taken, so a row's fate depends only on the seed, its index (and weight) and
        its group's count.

    Returns
    -------
    numpy.ndarray
        The chosen row indices, sorted, as int64.

    Examples
    --------
    >>> import numpy as np
    >>> groups = np.array(["en"] * 90 + ["fr"] * 10)
    >>> rows = stratified(groups, 10, allocation="equal", seed=0)
    >>> int((groups[rows] == "en").sum()), int((groups[rows] == "fr").sum())
    (5, 5)
    """
    labels = _Groups(groups)
    array = None if weights is None else _weights(weights)
    values = labels.values
    sizes = _core.group_sizes(labels.labels, labels.low, len(values), array)
    quotas = group_quotas(values, sizes, k, frac, allocation, spread)
    return _core.sample_stratified(labels.labels, labels.low, quotas, check.seed(seed), array)


def stratified_rows(
    source: SourceLike,
    by: str,
    k: int | None = None,
    *,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    spread: Mapping[Any, float] | None = None,
    weight_column: str | None = None,
    seed: int = 0,
    row_number: str | None = "row",
    quiet: bool = True,
) -> pa.Table:
    """A stratified sample of the rows of a corpus, grouped by column ``by``.

    Two passes over ``source`` (files or a table; not a one-shot stream): the first
    reads only the group (and weight) column, the second keeps the chosen rows.
    Memory is 4 bytes per row for the group codes (plus 8 for weights) and the rows
    kept. The rows chosen are those of :func:`stratified` on the group column
    (weighted within groups by ``weight_column`` if given).

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"lang": ["en"] * 8 + ["fr"] * 2, "n": list(range(10))})
    >>> out = stratified_rows(table, "lang", 4, allocation="equal", seed=0)
    >>> sorted(out.column("lang").to_pylist())
    ['en', 'en', 'fr', 'fr']
    """
    return stratified_stream(
        source,
        by,
        k,
        frac=frac,
        allocation=allocation,
        spread=spread,
        weight_column=weight_column,
        seed=seed,
        row_number=row_number,
        quiet=quiet,
    ).table


def stratified_stream(
    source: SourceLike,
    by: str,
    k: int | None = None,
    *,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    spread: Mapping[Any, float] | None = None,
    weight_column: str | None = None,
    seed: int = 0,
    row_number: str | None = "row",
    quiet: bool = True,
) -> StreamedRows:
    """:func:`stratified_rows` as a streamed result: the rows are chosen now (one pass
    over the group column), and read again batch by batch by ``batches()`` or
    ``write(path)``, never held whole (``table`` collects them if asked for).

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"lang": ["en"] * 8 + ["fr"] * 2, "n": list(range(10))})
    >>> out = stratified_stream(table, "lang", 4, allocation="equal", seed=0)
    >>> sum(b.num_rows for b in out.batches()), out.schema.names
    (4, ['lang', 'n', 'row'])
    """
    src = read(source, text_column=None)
    if not src.reopenable:
        raise invalid_parameter(
            "source", "a stratified sample reads the corpus twice: pass files or a table"
        )
    names = [by] if weight_column is None else [by, weight_column]
    bar = ProgressBar("groups", src.total_bytes, quiet=quiet)
    columns = call_kernel(src, _core.collect_columns, src.stream(), names, bar)
    bar.close()
    weights = columns[1] if weight_column is not None else None
    rows = stratified(
        columns[0],
        k,
        frac=frac,
        allocation=allocation,
        spread=spread,
        weights=weights,
        seed=seed,
    )
    schema = src.to_reader().schema
    if row_number is not None:
        schema = schema.append(pa.field(row_number, pa.int64()))
    return StreamedRows(
        lambda: take_batches(src, rows, row_number=row_number), schema, kind="sample"
    )
