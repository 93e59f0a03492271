"""Sampling: uniform, weighted, stratified, reservoirs over streams, mixtures.

Every function takes an explicit ``seed`` and gives the same result for it whatever
the thread count (see :func:`thresher.set_num_threads`) or the way a stream is cut
into batches. Indices come back as sorted ``int64`` numpy arrays (draws with
replacement come in draw order).

Examples
--------
>>> import numpy as np
>>> from thresher import sample
>>> sample.uniform(10, 3, seed=0).tolist()
[0, 5, 7]
>>> sample.weighted(np.array([0.0, 5.0, 1.0, 5.0]), 2, seed=0).tolist()
[1, 3]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import EmptyInputError, invalid_parameter, located
from thresher.progress import ProgressBar
from thresher.rs2 import RS2Sampler
from thresher.schedules import CooldownSchedule, DomainUpsampling
from thresher.sources import SourceLike, call_kernel, read

__all__ = [
    "Allocation",
    "CooldownSchedule",
    "DomainUpsampling",
    "RS2Sampler",
    "WeightedReservoir",
    "allocate",
    "mixture",
    "reservoir",
    "stratified",
    "stratified_rows",
    "take",
    "uniform",
    "unimax",
    "weighted",
]

Indices = npt.NDArray[np.int64]
#: Weights: a numpy array, a pyarrow (chunked) array, or any array-like.
WeightsLike: TypeAlias = "npt.ArrayLike | pa.Array | pa.ChunkedArray"
Allocation = Literal["proportional", "equal", "neyman"] | Mapping[Any, int]


def _seed(seed: int) -> int:
    # Kept under this name: thresher.ray.sample imports it.
    return check.seed(seed)


def _count(name: str, value: int) -> int:
    # Kept under this name: thresher.ray.sample imports it.
    return check.count(name, value)


def _weights(weights: WeightsLike) -> npt.NDArray[np.float64] | npt.NDArray[np.float32]:
    """A contiguous 1-D float32/float64 view of ``weights`` (copied only if needed)."""
    if isinstance(weights, pa.ChunkedArray):
        weights = weights.combine_chunks() if weights.num_chunks != 1 else weights.chunk(0)
    if isinstance(weights, pa.Array):
        if weights.null_count:
            row = int(pc.index(pc.is_null(weights), True).as_py())
            raise invalid_parameter(
                "weights", f"weights[{row}] is null; weights must be finite and >= 0"
            )
        weights = weights.to_numpy(zero_copy_only=False)
    array: np.ndarray[Any, Any] = np.asarray(weights)
    if array.ndim != 1:
        raise invalid_parameter("weights", f"must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise located(EmptyInputError, "weights is empty: there is nothing to sample from")
    if array.dtype.kind not in "fiub":
        raise invalid_parameter("weights", f"must be numeric, got dtype {array.dtype}")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return np.ascontiguousarray(array)


def uniform(n: int, k: int, *, seed: int = 0) -> Indices:
    """``k`` distinct indices of ``range(n)``, every subset equally likely.

    Floyd's algorithm: k random draws and O(k) memory, whatever ``n``.

    Parameters
    ----------
    n
        Population size.
    k
        Sample size, at most ``n``.
    seed
        Seed of the draws.

    Returns
    -------
    numpy.ndarray
        The indices, sorted, as int64.

    Examples
    --------
    >>> uniform(1_000_000_000, 4, seed=7).shape
    (4,)
    """
    n, k = _count("n", n), _count("k", k)
    return _core.sample_uniform(n, k, _seed(seed))


def weighted(weights: WeightsLike, k: int, *, replace: bool = False, seed: int = 0) -> Indices:
    """``k`` indices drawn with probability proportional to ``weights``.

    Without replacement the draw is successive sampling (each pick proportional to
    the weights of the items left), computed by exponential keys in one parallel pass
    with O(k) extra memory. With replacement it is the alias method: O(n) to build,
    O(1) per draw.

    Parameters
    ----------
    weights
        Non-negative finite weights: a numpy array (float32 and float64 are read
        without a copy), a pyarrow array or any array-like. Items of weight 0 are
        never drawn.
    k
        Number of draws; without replacement at most the number of positive weights.
    replace
        Draw with replacement.
    seed
        Seed of the draws.

    Returns
    -------
    numpy.ndarray
        int64 indices: sorted without replacement, in draw order with replacement.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, 0.0, 8.0, 1.0])
    >>> picks = weighted(w, 10_000, replace=True, seed=1)
    >>> int((picks == 2).sum()) in range(7800, 8200), int((picks == 1).sum())
    (True, 0)
    """
    k = _count("k", k)
    array = _weights(weights)
    if replace:
        return _core.sample_with_replacement(array, k, _seed(seed))
    return _core.sample_weighted(array, k, _seed(seed))


class WeightedReservoir:
    """A weighted sample without replacement that merges exactly across partitions.

    Item ``i`` gets the key ``ln(U_i) / w_i`` with ``U_i`` drawn from ``(seed, i)``,
    and the sample is the ``k`` largest keys. Since a key depends only on the seed and
    the item's global index, reservoirs filled on separate partitions (processes,
    machines, files) and merged hold exactly the items of one reservoir over the
    whole: the basis of distributed sampling. Reservoirs pickle as plain arrays.

    Parameters
    ----------
    k
        Sample size.
    seed
        Seed of the keys (all partitions must use the same).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.random.default_rng(0).random(1000)
    >>> whole = WeightedReservoir(50, seed=3).add(w)
    >>> left = WeightedReservoir(50, seed=3).add(w[:400])
    >>> right = WeightedReservoir(50, seed=3).add(w[400:], start=400)
    >>> bool((left.merge(right).indices == whole.indices).all())
    True
    """

    def __init__(self, k: int, *, seed: int = 0) -> None:
        self.k = _count("k", k)
        self.seed = _seed(seed)
        self._indices: npt.NDArray[np.int64] = np.empty(0, np.int64)
        self._keys: npt.NDArray[np.float64] = np.empty(0, np.float64)
        self.positive = 0

    def add(self, weights: WeightsLike, *, start: int = 0) -> WeightedReservoir:
        """Offer ``weights`` as the items ``start, start + 1, ...``; returns ``self``.

        ``start`` is the global index of the first weight: partitions must use
        disjoint ranges of one global numbering.
        """
        start = _count("start", start)
        idx, keys, positive = _core.sample_keyed(_weights(weights), self.k, self.seed, start)
        self._absorb(idx, keys)
        self.positive += positive
        return self

    def merge(self, other: WeightedReservoir) -> WeightedReservoir:
        """Absorb ``other`` (same ``k`` and ``seed``, disjoint items); returns ``self``."""
        if (other.k, other.seed) != (self.k, self.seed):
            raise invalid_parameter(
                "other",
                f"reservoirs differ: k={other.k}, seed={other.seed} vs k={self.k}, "
                f"seed={self.seed}",
            )
        self._absorb(other._indices, other._keys)
        self.positive += other.positive
        return self

    def _absorb(self, indices: npt.NDArray[np.int64], keys: npt.NDArray[np.float64]) -> None:
        self._indices, self._keys = _core.merge_keyed(
            np.concatenate([self._indices, indices]),
            np.concatenate([self._keys, keys]),
            self.k,
        )

    @property
    def indices(self) -> Indices:
        """The sampled indices, sorted."""
        return np.sort(self._indices)

    @property
    def keys(self) -> npt.NDArray[np.float64]:
        """The keys of the sampled items, best first (aligned with ``ranked``)."""
        return self._keys.copy()

    @property
    def ranked(self) -> Indices:
        """The sampled indices, best key first."""
        return self._indices.copy()

    def __len__(self) -> int:
        return len(self._indices)

    def __repr__(self) -> str:
        return f"WeightedReservoir(k={self.k}, seed={self.seed}, held={len(self)})"


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
    k = _count("k", k)
    src = read(source, text_column=None)
    bar = ProgressBar("sample", src.total_bytes, quiet=quiet)
    rows, numbers, _seen = call_kernel(
        src, _core.reservoir, src.stream(), k, _seed(seed), weight_column, bar
    )
    bar.close()
    table = pa.Table.from_batches([rows])
    if row_number is not None:
        table = table.append_column(row_number, pa.array(numbers, pa.int64()))
    return table


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
        column = groups
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        elif not isinstance(column, pa.Array):
            array = column if hasattr(column, "__arrow_c_array__") else np.asarray(column)
            column = pa.array(array)
        if len(column) == 0:
            raise located(EmptyInputError, "groups is empty: there is nothing to sample from")
        if column.null_count:
            row = int(pc.index(pc.is_null(column), True).as_py())
            raise invalid_parameter("groups", f"groups[{row}] is null; every row needs a group")
        encoded = pc.dictionary_encode(column)
        self.labels = encoded.indices.to_numpy(zero_copy_only=False)
        self.low = 0
        self.values = encoded.dictionary.to_pylist()

    def __len__(self) -> int:
        return len(self.labels)


def allocate(
    sizes: Mapping[Any, int],
    k: int | None = None,
    *,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    spread: Mapping[Any, float] | None = None,
) -> dict[Any, int]:
    """How many items to take from each group; the counts add up exactly.

    Parameters
    ----------
    sizes
        Items available in each group.
    k, frac
        The total: ``k`` items, or ``round(frac * total size)``. Not with a mapping
        ``allocation``.
    allocation
        ``"proportional"`` (to group size), ``"equal"`` (the same for every group,
        as far as sizes allow), ``"neyman"`` (proportional to size x ``spread``, the
        allocation that minimises the variance of a stratified mean), or a mapping
        ``{group: count}`` fixed per group.
    spread
        Per-group standard deviation of the quantity of interest (Neyman only).

    Returns
    -------
    dict
        ``{group: count}``, in the order of ``sizes``. Shares are rounded by largest
        remainder (ties to the earlier group); a group whose share exceeds its size
        is capped and the excess shared among the others.

    Examples
    --------
    >>> allocate({"a": 50, "b": 30, "c": 20}, 7)
    {'a': 4, 'b': 2, 'c': 1}
    >>> allocate({"a": 5, "b": 40, "c": 40}, 20, allocation="equal")
    {'a': 5, 'b': 8, 'c': 7}
    >>> allocate({"a": 100, "b": 100}, 10, allocation="neyman", spread={"a": 1.0, "b": 4.0})
    {'a': 2, 'b': 8}
    """
    groups = list(sizes)
    caps = [_count(f"sizes[{g!r}]", sizes[g]) for g in groups]
    if isinstance(allocation, Mapping):
        if k is not None or frac is not None:
            raise invalid_parameter("k", "give either k/frac or a mapping allocation, not both")
        unknown = [g for g in allocation if g not in sizes]
        if unknown:
            raise invalid_parameter("allocation", f"unknown groups {unknown!r}")
        out = {g: _count(f"allocation[{g!r}]", allocation.get(g, 0)) for g in groups}
        for g, cap in zip(groups, caps, strict=True):
            if out[g] > cap:
                raise invalid_parameter(
                    "allocation", f"group {g!r} holds {cap} items but {out[g]} were requested"
                )
        return out
    total = _total(sum(caps), k, frac)
    if allocation == "proportional":
        scores = [float(c) for c in caps]
    elif allocation == "equal":
        scores = [1.0 if c > 0 else 0.0 for c in caps]
    elif allocation == "neyman":
        if spread is None:
            raise invalid_parameter("spread", "Neyman allocation needs a spread per group")
        missing = [g for g in groups if g not in spread]
        if missing:
            raise invalid_parameter("spread", f"no spread for groups {missing!r}")
        scores = [c * float(spread[g]) for g, c in zip(groups, caps, strict=True)]
    else:
        raise invalid_parameter(
            "allocation",
            f"must be 'proportional', 'equal', 'neyman' or a mapping, got {allocation!r}",
        )
    counts = _core.allocate(total, scores, caps)
    return dict(zip(groups, counts, strict=True))


def _total(size: int, k: int | None, frac: float | None) -> int:
    if (k is None) == (frac is None):
        raise invalid_parameter("k", "give exactly one of k and frac")
    if frac is not None:
        frac = check.fraction("frac", frac)
        return round(frac * size)
    assert k is not None
    return _count("k", k)


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
    return _core.sample_stratified(labels.labels, labels.low, quotas, _seed(seed), array)


def group_quotas(
    values: list[Any],
    sizes: Sequence[int] | npt.NDArray[Any],
    k: int | None,
    frac: float | None,
    allocation: Allocation,
    spread: Mapping[Any, float] | None,
) -> list[int]:
    """Rows to take from each group (code order), groups of size 0 getting none, as
    :func:`stratified` allocates them (shared with :func:`thresher.ray.stratified`)."""
    present = [i for i in range(len(values)) if sizes[i] > 0]
    by_group = allocate(
        {values[i]: int(sizes[i]) for i in present},
        k,
        frac=frac,
        allocation=allocation,
        spread=spread,
    )
    quotas = [0] * len(values)
    for i in present:
        quotas[i] = by_group[values[i]]
    return quotas


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
    table = take(src, rows, quiet=quiet)
    if row_number is not None:
        table = table.append_column(row_number, pa.array(rows, pa.int64()))
    return table


def _sizes(
    sizes: Mapping[Hashable, float] | Sequence[float],
) -> tuple[list[Any] | None, list[float]]:
    if isinstance(sizes, Mapping):
        return list(sizes), [float(v) for v in sizes.values()]
    return None, [float(v) for v in sizes]


def mixture(
    sizes: Mapping[Hashable, float] | Sequence[float],
    *,
    temperature: float = 1.0,
    budget: float | None = None,
    max_epochs: float = 1.0,
) -> Any:
    """Sampling probabilities across groups of different sizes.

    Temperature sampling gives ``p_i`` proportional to ``n_i^(1/T)`` (``T = 1`` is
    proportional, large ``T`` tends to uniform). With ``budget``, UniMax (Chung et
    al. 2023): the budget is spread as uniformly as possible across groups, no group
    being repeated more than ``max_epochs`` times; the probabilities are the shares
    of the budget.

    Parameters
    ----------
    sizes
        Size of each group (documents, tokens, characters), as a mapping or sequence.
    temperature
        Temperature (ignored with ``budget``).
    budget
        Total to draw, in the units of ``sizes``: selects UniMax.
    max_epochs
        UniMax's cap on passes over any group.

    Returns
    -------
    dict or list
        Probabilities summing to 1 (to less than 1 never: with every group capped by
        UniMax the shares are of the amount actually drawn), keyed like ``sizes``.

    Examples
    --------
    >>> mixture({"en": 16, "fr": 4, "sw": 1}, temperature=2.0)
    {'en': 0.5714285714285714, 'fr': 0.2857142857142857, 'sw': 0.14285714285714285}
    >>> mixture([100, 10, 1000], budget=600, max_epochs=2)
    [0.3333333333333333, 0.03333333333333333, 0.6333333333333333]
    """
    keys, values = _sizes(sizes)
    if budget is None:
        probabilities = _core.mixture_temperature(values, float(temperature))
    else:
        amounts = _core.mixture_unimax(values, float(budget), float(max_epochs))
        drawn = sum(amounts)
        probabilities = [a / drawn for a in amounts]
    return dict(zip(keys, probabilities, strict=True)) if keys is not None else probabilities


def unimax(
    sizes: Mapping[Hashable, float] | Sequence[float], budget: float, *, max_epochs: float = 1.0
) -> Any:
    """UniMax amounts: how much of ``budget`` each group gets (Chung et al. 2023).

    Groups are visited from smallest to largest; each takes the remaining budget
    divided by the groups left, but at most ``max_epochs`` times its size.

    Examples
    --------
    >>> unimax({"sw": 10, "fr": 100, "en": 1000}, 600, max_epochs=2)
    {'sw': 20.0, 'fr': 200.0, 'en': 380.0}
    """
    keys, values = _sizes(sizes)
    amounts = _core.mixture_unimax(values, float(budget), float(max_epochs))
    return dict(zip(keys, amounts, strict=True)) if keys is not None else amounts
