"""Greedy Maximum Entropy (GME) sampling: rank items so that their categorical
attributes are as diverse as possible as early as possible.

From "Relation extraction in underexplored biomedical domains: a diversity-optimised
sampling and synthetic data generation approach" (the reference implementation is
GPL; this one is written from the formulas). Input: a table with an item column and one
or more categorical columns, e.g. document -> entity rows. For a selected set ``S``,
``P(e)`` in column ``V_j`` is the share of the rows of ``S`` whose value is ``e`` (with
``binarised=True`` each distinct (item, value) counts once) and ``H_S(V_j)`` its
Shannon entropy (natural log). Each step adds the item that brings
``(H(V_1), ..., H(V_N))`` closest to the utopian point ``(ln|V_1|, ..., ln|V_N|)``
(``selector="dutopia"``; ``|V_j|`` counts the distinct values in the whole table) or
that maximises the sum of the entropies (``selector="sum"``).

Ranking rules (those of the reference): items are ordered by id (strings
lexicographically by code point, numbers numerically), the scores (the distance, or the
sum) are compared after rounding to 5 decimals as Python's ``round(x, 5)``, and ties go
to the smallest remaining id.

Examples
--------
>>> import pyarrow as pa, thresher
>>> table = pa.table({
...     "doc": ["d1", "d1", "d2", "d3", "d3", "d4"],
...     "entity": ["gene", "drug", "gene", "drug", "cell", "gene"],
... })
>>> ranked = thresher.GME().rank(table, item="doc", on=["entity"], k=3)
>>> ranked.items
['d1', 'd3', 'd2']
>>> [round(h, 3) for h in ranked.entropies[:, 0].tolist()]
[0.693, 1.04, 1.055]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core, _labels
from thresher import _validation as check
from thresher._results import TableResult
from thresher.exceptions import (
    EmptyInputError,
    MissingFieldError,
    invalid_parameter,
    located,
)

__all__ = ["GME", "GMERanking"]

Selector = Literal["dutopia", "sum"]


@dataclass
class GMERanking(TableResult):
    """The items GME ranked, with the entropies after each step.

    Attributes
    ----------
    items
        Item ids in the order chosen.
    entropies
        ``(len(items), len(on))``: the entropy of each column after each step (watch
        where it stops growing).
    scores
        The objective after each step: distance to the utopian point (``dutopia``) or
        the sum of the entropies (``sum``).
    on
        The categorical columns.
    utopia
        ``ln|V_j|`` of each column.
    """

    items: list[Any]
    entropies: npt.NDArray[np.float64]
    scores: npt.NDArray[np.float64]
    on: list[str]
    utopia: npt.NDArray[np.float64]

    @property
    def table(self) -> pa.Table:
        """``rank`` (1-based), ``item``, ``entropy_<column>`` for each column, ``score``."""
        columns: dict[str, Any] = {
            "rank": pa.array(np.arange(1, len(self.items) + 1, dtype=np.int64)),
            "item": pa.array(self.items),
        }
        for j, name in enumerate(self.on):
            columns[f"entropy_{name}"] = pa.array(self.entropies[:, j])
        columns["score"] = pa.array(self.scores)
        return pa.table(columns)


def _load(table: Any, columns: list[str]) -> pa.Table:
    """The columns of ``table`` (an Arrow-exportable object, Hugging Face dataset, or
    Parquet / JSON Lines paths) as a pyarrow Table."""
    from thresher.io.sources import expand_paths, is_paths, read

    if is_paths(table):
        # File by file: files of either format may be mixed, and their schemas need only
        # concatenate (a column typed null in one file and string in another).
        parts = []
        for path in expand_paths(table):
            part = read(path, text_column=None).to_reader().read_all()
            _check_columns(part.schema, columns, path)
            parts.append(part.select(columns))
        return pa.concat_tables(parts, promote_options="permissive")
    loaded = read(table, text_column=None).to_reader().read_all()
    _check_columns(loaded.schema, columns, "table")
    return loaded.select(columns)


def _check_columns(schema: pa.Schema, columns: list[str], where: str) -> None:
    for name in columns:
        if schema.get_field_index(name) < 0:
            message = f"{where}: no column {name!r} (columns: {', '.join(schema.names)})"
            raise located(MissingFieldError, message, field=name)


def _codes(
    column: pa.ChunkedArray, name: str, sort: bool
) -> tuple[npt.NDArray[np.uint32], pa.Array]:
    """Integer codes of a column's values and the distinct values (sorted if ``sort``)."""
    row = _labels.first_null(column)
    if row is not None:
        message = f"row {row}: column {name!r} is null"
        raise located(MissingFieldError, message, row=row, field=name)
    # Only the values present count (a dictionary's unused entries would change the
    # utopian entropies).
    return _labels.encode(_labels.plain(_labels.as_array(column)), sort=sort)


class GME:
    """The Greedy Maximum Entropy sampler.

    Parameters
    ----------
    selector
        ``"dutopia"``: minimise the distance to the utopian point; ``"sum"``: maximise
        the sum of the entropies.
    binarised
        Count each distinct (item, value) once instead of every row.
    approx
        Score only a random sample of ``approx`` remaining candidates per step (faster,
        approximate); ``None`` scores them all.
    seed
        Seed of ``approx``'s samples.
    """

    def __init__(
        self,
        selector: Selector = "dutopia",
        *,
        binarised: bool = False,
        approx: int | None = None,
        seed: int = 0,
    ) -> None:
        self.selector: Selector = check.choice("selector", selector, ("dutopia", "sum"))
        self.binarised = bool(binarised)
        self.approx = check.optional_count("approx", approx, minimum=1)
        self.seed = check.seed(seed)

    def rank(
        self,
        source: Any = None,
        *,
        item: str,
        on: Sequence[str],
        k: int | None = None,
        n: int | None = None,
        table: Any = None,
    ) -> GMERanking:
        """Rank ``k`` items of ``source`` (Arrow-exportable, ``datasets.Dataset`` or
        Parquet / JSON Lines paths) by greedy maximum entropy over the columns ``on``.

        ``k`` larger than the number of items is capped, with a warning. ``n`` and
        ``table`` are the old names of ``k`` and ``source`` (deprecated: they warn).
        """
        source = check.renamed("table", table, "source", source)
        if source is None:
            raise invalid_parameter("source", "give the table to rank")
        n = check.renamed("n", n, "k", k)
        if n is None:
            raise invalid_parameter("k", "give the number of items to rank")
        if isinstance(on, str):
            on = [on]
        on = list(on)
        if not on:
            raise invalid_parameter("on", "give at least one categorical column")
        if item in on or len(set(on)) != len(on):
            raise invalid_parameter("on", f"columns must be distinct and differ from item: {on}")
        n = check.positive_count("k", n)
        data = _load(source, [item, *on])
        if data.num_rows == 0:
            raise EmptyInputError("table is empty: no rows to rank")
        item_codes, item_values = _codes(data.column(item), item, sort=True)
        columns, n_values = [], []
        for name in on:
            codes, values = _codes(data.column(name), name, sort=False)
            columns.append(codes)
            n_values.append(len(values))
        n_items = len(item_values)
        if n > n_items:
            warnings.warn(
                f"k={n} is larger than the number of items ({n_items}): ranking all of them",
                UserWarning,
                stacklevel=2,
            )
        order, entropies, scores = _core.gme_rank(
            item_codes,
            n_items,
            columns,
            n_values,
            selector=self.selector,
            binarised=self.binarised,
            n=min(int(n), n_items),
            approx=self.approx,
            seed=self.seed,
        )
        items = item_values.take(pa.array(order.astype(np.int64))).to_pylist()
        utopia = np.log(np.asarray(n_values, dtype=np.float64))
        return GMERanking(items, entropies, scores, on, utopia)
