"""Diverse subsets of embedded data: cluster-then-quota selection, k-center greedy
coresets and semantic near-duplicate removal within clusters (SemDeDup).

Examples
--------
Take 4 rows spread evenly over 2 clusters, the best-scored of each:

>>> import numpy as np
>>> from thresher import select
>>> select.balanced([0, 0, 0, 1, 1, 1], 4, scores=[0.1, 0.9, 0.5, 0.3, 0.2, 0.8]).tolist()
[1, 2, 3, 5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher import _validation as check
from thresher._results import TableResult
from thresher.cluster import Metric, as_labels, as_matrix
from thresher.exceptions import invalid_parameter
from thresher.sample.allocation import allocation_name

__all__ = ["Centers", "Duplicates", "balanced", "k_center", "semantic_dedup"]


def _scores(scores: Any, n: int, name: str = "scores") -> npt.NDArray[np.float64] | None:
    if scores is None:
        return None
    array = np.ascontiguousarray(scores, dtype=np.float64)
    if array.shape != (n,):
        raise invalid_parameter(name, f"must have one value per row ({n}), got shape {array.shape}")
    return array


def balanced(
    labels: npt.ArrayLike,
    k: int | None = None,
    *,
    scores: npt.ArrayLike | None = None,
    allocation: Literal["equal", "proportional"] | Sequence[float] | Mapping[int, float] = (
        "equal"
    ),
    seed: int = 0,
    budget: int | None = None,
) -> npt.NDArray[np.int64]:
    """Choose ``k`` rows across clusters (Diversify-and-Conquer, Quad).

    Parameters
    ----------
    labels
        The cluster of each row (non-negative integers, e.g. ``KMeans.labels_``).
    k
        Rows to choose.
    scores
        Optional quality score per row: each cluster gives its best-scored rows (ties:
        the smaller row). Without scores, random rows (seeded).
    allocation
        How the rows are shared, in the allocation vocabulary of
        :func:`thresher.sample.allocate`: ``"equal"`` (the same number per cluster),
        ``"proportional"`` (to cluster sizes), or a weight per cluster (a sequence
        indexed by label, or a mapping label -> weight). A cluster never gives more rows
        than it has; what it cannot give goes to the others. ``"uniform"`` is the old
        name of ``"equal"`` (deprecated: warns).
    seed
        Seed of the random choice.
    budget
        Old name of ``k`` (deprecated: warns).

    Returns
    -------
    numpy.ndarray
        The chosen rows, ascending.
    """
    k = check.renamed("budget", budget, "k", k)
    if k is None:
        raise invalid_parameter("k", "give the number of rows to choose")
    codes = as_labels(labels)
    n = len(codes)
    k = check.count("k", k)
    weights = None
    how = "weights"
    if isinstance(allocation, str):
        how = allocation_name(
            allocation, ("equal", "proportional"), or_else="weights", stacklevel=3
        )
    else:
        clusters = int(codes.max()) + 1 if n else 0
        if isinstance(allocation, Mapping):
            weights = [float(allocation.get(j, 0.0)) for j in range(clusters)]
        else:
            weights = [float(w) for w in allocation]
    rows = _core.balanced_select(
        codes,
        k,
        scores=_scores(scores, n),
        allocation=_CORE_NAMES.get(how, how),
        weights=weights,
        seed=check.seed(seed),
    )
    return rows.astype(np.int64)


# The binding still spells "equal" as "uniform".
_CORE_NAMES = {"equal": "uniform"}


@dataclass
class Centers(TableResult):
    """The rows k-center greedy chose.

    Attributes
    ----------
    indices
        Rows in the order chosen.
    radii
        The covering radius after each choice: the largest distance of any row to its
        nearest chosen row (Euclidean, or ``1 - cos``). It never increases.
    """

    indices: npt.NDArray[np.int64]
    radii: npt.NDArray[np.float64]

    @property
    def table(self) -> pa.Table:
        """``row`` (in the order chosen) and ``radius`` after each choice."""
        return pa.table({"row": pa.array(self.indices), "radius": pa.array(self.radii)})


def k_center(
    x: npt.ArrayLike,
    k: int,
    *,
    metric: Metric = "euclidean",
    seed: int = 0,
    initial: Sequence[int] | None = None,
) -> Centers:
    """k-center greedy (farthest-point) coreset: each step takes the row farthest from
    those chosen so far (ties: the smallest row). Its covering radius is at most twice
    the best possible.

    Parameters
    ----------
    x
        ``(n, d)`` float32 or float16 embeddings.
    k
        Rows to choose.
    metric
        ``"euclidean"`` or ``"cosine"``.
    seed
        Chooses the first row (uniformly) when ``initial`` is not given.
    initial
        Rows already chosen (e.g. a labelled set); ``k`` more are added.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [5, 5]], dtype=np.float32)
    >>> c = k_center(x, 2, initial=[0])
    >>> c.indices.tolist(), round(float(c.radii[-1]), 3)
    ([3, 4], 1.0)
    """
    matrix = as_matrix(x)
    check.positive_count("k", k)
    init = None if initial is None else [check.count("initial", i) for i in initial]
    indices, radii = _core.k_center_greedy(
        matrix, int(k), metric=metric, seed=check.seed(seed), initial=init
    )
    return Centers(indices.astype(np.int64), radii)


@dataclass
class Duplicates(TableResult):
    """What :func:`semantic_dedup` decided.

    Attributes
    ----------
    keep
        ``True`` for rows to keep.
    duplicate_of
        For a removed row, the row of its cluster it is most similar to (one that comes
        before it in priority order); -1 for kept rows.
    similarity
        That cosine similarity (NaN for kept rows).
    """

    keep: npt.NDArray[np.bool_]
    duplicate_of: npt.NDArray[np.int64]
    similarity: npt.NDArray[np.float32]

    @property
    def indices(self) -> npt.NDArray[np.int64]:
        """The kept rows, ascending."""
        return np.flatnonzero(self.keep).astype(np.int64)

    @property
    def table(self) -> pa.Table:
        """One row per input row: ``row``, ``keep``, ``duplicate_of`` (-1 when kept) and
        ``similarity`` (null when kept)."""
        similarity = pa.array(self.similarity, mask=np.isnan(self.similarity))
        return pa.table(
            {
                "row": pa.array(np.arange(len(self.keep), dtype=np.int64)),
                "keep": pa.array(self.keep),
                "duplicate_of": pa.array(self.duplicate_of),
                "similarity": similarity,
            }
        )


def semantic_dedup(
    x: npt.ArrayLike,
    labels: npt.ArrayLike,
    threshold: float = 0.95,
    *,
    scores: npt.ArrayLike | None = None,
) -> Duplicates:
    """Remove semantic near-duplicates within clusters (SemDeDup, Abbas et al. 2023).

    In each cluster, rows are ordered by ``scores`` (highest first; without scores, by
    row); a row is removed when its cosine similarity to an earlier row of its cluster
    exceeds ``threshold``. Pass the distance to the centroid as ``scores`` to keep the
    least prototypical copy, as the paper does.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 0], [0, 1], [1, 0.01], [0, 1.01]], dtype=np.float32)
    >>> d = semantic_dedup(x, [0, 1, 0, 1], threshold=0.99)
    >>> d.keep.tolist(), d.duplicate_of.tolist()
    ([True, True, False, False], [-1, -1, 0, 1])
    """
    matrix = as_matrix(x)
    codes = as_labels(labels, len(matrix))
    t = check.real("threshold", threshold)
    keep, duplicate_of, similarity = _core.semantic_dedup(
        matrix, codes, t, scores=_scores(scores, len(matrix))
    )
    return Duplicates(keep, duplicate_of, similarity)
