"""Stratified sampling: exact per-group counts, of indices or of a corpus's rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core, _labels
from thresher import _validation as check
from thresher._results import StreamedRows
from thresher.exceptions import EmptyInputError, invalid_parameter, located
from thresher.io.sources import SourceLike, call_kernel, read
from thresher.progress import ProgressBar
from thresher.sample._common import Indices, WeightsLike, _null_error, _token_counts, _weights
from thresher.sample.allocation import Allocation, allocation_name, group_quotas
from thresher.sample.stream import take_batches
from thresher.tokens import TokenizerLike, count_source, counter

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
    tokens: float | None = None,
    token_counts: npt.ArrayLike | None = None,
    allocation: Allocation = "proportional",
    mixture: Mapping[Any, float] | None = None,
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
    tokens
        A total budget in tokens instead of ``k``/``frac`` (a mixture by tokens): the
        budget is split across groups, then each group takes its rows in a random
        order (weighted with ``weights``) while they fit its share (the first row
        that would exceed it stops the group's walk; see :mod:`thresher.tokens`).
        ``allocation`` splits it ``"proportional"`` to the groups' tokens,
        ``"equal"``ly, or as a mapping ``{group: tokens}``.
    token_counts
        With ``tokens``: the tokens of each row.
    mixture
        Mixture weights ``{group: weight}`` (any scale; a missing group gets 0), as
        :func:`mixture` or :func:`thresher.mixing.static_mixture` return them: ``k``
        or ``tokens`` is split in proportion to them instead of by ``allocation``. A
        group whose share exceeds what it holds gives all it holds and the rest is
        shared among the others (largest remainder, as :func:`allocate` does).
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
    >>> lengths = np.full(100, 10)
    >>> rows = stratified(groups, tokens=200, token_counts=lengths, mixture={"en": 3, "fr": 1})
    >>> int((groups[rows] == "en").sum()), int((groups[rows] == "fr").sum())
    (15, 5)
    """
    labels = _Groups(groups)
    array = None if weights is None else _weights(weights)
    values = labels.values
    seed = check.seed(seed)
    if tokens is not None:
        if k is not None or frac is not None:
            raise invalid_parameter("k", "give either k/frac or tokens, not both")
        return _by_tokens(
            labels, array, check.budget("tokens", tokens), token_counts, allocation, mixture, seed
        )
    sizes = _core.group_sizes(labels.labels, labels.low, len(values), array)
    if mixture is not None:
        if k is None or frac is not None:
            raise invalid_parameter("k", "a mixture splits k (or tokens): give k")
        scores = _mixture_scores(values, mixture)
        quotas = _core.allocate(check.count("k", k), scores, [int(v) for v in sizes])
    else:
        quotas = group_quotas(values, sizes, k, frac, allocation, spread)
    return _core.sample_stratified(labels.labels, labels.low, quotas, seed, array)


def _mixture_scores(values: list[Any], mixture: Mapping[Any, float]) -> list[float]:
    """The mixture weight of each group (code order); unknown groups are an error."""
    known = set(values)
    unknown = [g for g in mixture if g not in known]
    if unknown:
        raise invalid_parameter("mixture", f"unknown groups {unknown!r}")
    return [check.non_negative(f"mixture[{g!r}]", mixture.get(g, 0.0)) for g in values]


def _by_tokens(
    labels: _Groups,
    weights: npt.NDArray[np.float64] | npt.NDArray[np.float32] | None,
    budget: int,
    token_counts: npt.ArrayLike | None,
    allocation: Allocation,
    mixture: Mapping[Any, float] | None,
    seed: int,
) -> Indices:
    """Rows of a stratified sample whose groups share ``budget`` tokens."""
    counts = _token_counts(token_counts, len(labels))
    codes = (labels.labels.astype(np.int64) - labels.low).astype(np.uint32)
    held = counts if weights is None else np.where(weights > 0, counts, 0)
    have = np.bincount(codes, weights=held, minlength=len(labels.values)).astype(np.uint64)
    caps = [int(v) for v in have]
    if mixture is not None:
        scores = _mixture_scores(labels.values, mixture)
        budgets = _allocate_tokens(budget, scores, caps)
    elif isinstance(allocation, Mapping):
        by_group = {g: i for i, g in enumerate(labels.values)}
        unknown = [g for g in allocation if g not in by_group]
        if unknown:
            raise invalid_parameter("allocation", f"unknown groups {unknown!r}")
        budgets = [0] * len(labels.values)
        for g, amount in allocation.items():
            budgets[by_group[g]] = check.count(f"allocation[{g!r}]", amount)
    else:
        how = allocation_name(allocation, ("proportional", "equal"), or_else="a mapping")
        scores = (
            [float(c) for c in caps]
            if how == "proportional"
            else [1.0 if c > 0 else 0.0 for c in caps]
        )
        budgets = _allocate_tokens(budget, scores, caps)
    return _core.sample_budget(counts, budgets, seed, weights, codes)


def _allocate_tokens(budget: int, scores: list[float], caps: list[int]) -> list[int]:
    """:func:`thresher.sample.allocate`'s split of ``budget`` tokens (capped groups
    shared out again), with the error of a budget the groups cannot hold naming it."""
    capacity = sum(c for c, s in zip(caps, scores, strict=True) if s > 0)
    if budget > capacity:
        raise invalid_parameter(
            "tokens",
            f"a budget of {budget} tokens was requested but the groups that can be "
            f"sampled hold only {capacity}",
        )
    return _core.allocate(budget, scores, caps)


def stratified_rows(
    source: SourceLike,
    by: str,
    k: int | None = None,
    *,
    frac: float | None = None,
    tokens: float | None = None,
    tokenizer: TokenizerLike | None = None,
    token_column: str | None = None,
    text_column: str = "text",
    allocation: Allocation = "proportional",
    mixture: Mapping[Any, float] | None = None,
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

    With ``tokens`` (a mixture by tokens), each row's tokens come from ``tokenizer``
    (a :class:`~thresher.tokens.TokenCounter` or a ``tokenizer.json`` path, counting
    ``text_column`` in one more pass; the output gains a ``tokens`` column) or from
    the integer column ``token_column``; ``allocation`` or ``mixture`` split the budget
    as in :func:`stratified`.

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
        tokens=tokens,
        tokenizer=tokenizer,
        token_column=token_column,
        text_column=text_column,
        allocation=allocation,
        mixture=mixture,
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
    tokens: float | None = None,
    tokenizer: TokenizerLike | None = None,
    token_column: str | None = None,
    text_column: str = "text",
    allocation: Allocation = "proportional",
    mixture: Mapping[Any, float] | None = None,
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
    counted = None
    if tokens is None and (tokenizer is not None or token_column is not None):
        raise invalid_parameter("tokenizer", "tokenizer and token_column go with tokens=")
    if tokens is not None:
        count_source(tokenizer, token_column)  # exactly one of them
        if tokenizer is not None:
            counted = counter(tokenizer).count(src, text_column, quiet=quiet)
    names = [by] + [c for c in (weight_column, token_column) if c is not None]
    bar = ProgressBar("groups", src.total_bytes, quiet=quiet)
    columns = call_kernel(src, _core.collect_columns, src.stream(), names, bar)
    bar.close()
    weights = columns[1] if weight_column is not None else None
    if token_column is not None:
        counted = columns[-1]
    rows = stratified(
        columns[0],
        k,
        frac=frac,
        tokens=tokens,
        token_counts=counted,
        allocation=allocation,
        mixture=mixture,
        spread=spread,
        weights=weights,
        seed=seed,
    )
    schema = src.to_reader().schema
    # Counted with a tokenizer: the output gains them, as a ``tokens`` column.
    chosen_tokens = None
    if tokens is not None and token_column is None:
        assert counted is not None
        chosen_tokens = np.asarray(counted)[np.sort(rows)].astype(np.uint32)
        schema = schema.append(pa.field("tokens", pa.uint32()))
    if row_number is not None:
        schema = schema.append(pa.field(row_number, pa.int64()))

    def produce() -> Iterator[pa.RecordBatch]:
        start = 0
        ordered = np.sort(rows)
        for batch in take_batches(src, rows, quiet=quiet):
            n = batch.num_rows
            if chosen_tokens is not None:
                batch = batch.append_column("tokens", pa.array(chosen_tokens[start : start + n]))
            if row_number is not None:
                batch = batch.append_column(row_number, pa.array(ordered[start : start + n]))
            start += n
            yield batch

    return StreamedRows(produce, schema, "sample")
