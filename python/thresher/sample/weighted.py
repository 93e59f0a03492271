"""Weighted sampling of indices, and the mergeable weighted reservoir."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter
from thresher.sample._common import Indices, WeightsLike, _size, _token_counts, _weights

__all__ = ["WeightedReservoir", "weighted"]


def weighted(
    weights: WeightsLike,
    k: int | None = None,
    *,
    tokens: float | None = None,
    token_counts: npt.ArrayLike | None = None,
    replace: bool = False,
    seed: int = 0,
) -> Indices:
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
    tokens
        A budget in tokens instead of ``k`` (without replacement): the items in the
        order of their sampling keys (the order of successive sampling, the same keys
        as for ``k``), taken while their total of ``token_counts`` stays at most
        ``tokens``; the first that would exceed it stops the walk.
    token_counts
        With ``tokens``: the tokens of each item.
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
    >>> weighted(w, tokens=3, token_counts=[1, 1, 1, 1], seed=1).tolist()
    [0, 2, 3]
    """
    _size(k, tokens)
    array = _weights(weights)
    if tokens is not None:
        if replace:
            raise invalid_parameter("replace", "a budget in tokens samples without replacement")
        counts = _token_counts(token_counts, array.size)
        return _core.sample_budget(
            counts, [check.budget("tokens", tokens)], check.seed(seed), array
        )
    k = check.count("k", k)
    if replace:
        return _core.sample_with_replacement(array, k, check.seed(seed))
    return _core.sample_weighted(array, k, check.seed(seed))


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
        self.k = check.count("k", k)
        self.seed = check.seed(seed)
        self._indices: npt.NDArray[np.int64] = np.empty(0, np.int64)
        self._keys: npt.NDArray[np.float64] = np.empty(0, np.float64)
        self.positive = 0

    def add(self, weights: WeightsLike, *, start: int = 0) -> WeightedReservoir:
        """Offer ``weights`` as the items ``start, start + 1, ...``; returns ``self``.

        ``start`` is the global index of the first weight: partitions must use
        disjoint ranges of one global numbering.
        """
        start = check.count("start", start)
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
