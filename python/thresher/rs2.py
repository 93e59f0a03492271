"""RS2: repeated random subsets, a fresh one each epoch (Okanovic et al. 2023).

"Repeated Random Sampling for Minimizing the Time-to-Accuracy of Learning" trains
each epoch on a random subset of the data instead of a fixed pruned set. Without
replacement (the variant the paper recommends), subsets are drawn so that no example
is seen twice before every example has been seen once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter

__all__ = ["RS2Sampler"]


class RS2Sampler:
    """Indices of a fresh random subset of the data for each epoch.

    Pass ``p`` of the data follows its own seeded permutation; epochs take
    consecutive blocks of ``k`` indices from it. An epoch that reaches the
    end of a pass is completed with the first indices of the next pass's permutation
    that are not already in it, and the next pass goes on without them, so each pass
    shows every example exactly once and no epoch repeats an example.

    Usable as the ``sampler`` of a PyTorch ``DataLoader`` (it only needs
    ``__iter__`` and ``__len__``; torch is not required). Iterating yields the
    current epoch's indices and moves to the next epoch; :meth:`set_epoch` jumps to
    any epoch (as with ``DistributedSampler``), and the result depends only on the
    seed and the epoch.

    Parameters
    ----------
    data
        The dataset (anything with ``len``) or its size.
    k, fraction
        Examples per epoch: a count, or a fraction of the data (give one).
    seed
        Seed of the permutations.
    num_samples
        Old name of ``k`` (deprecated: warns).

    Examples
    --------
    >>> sampler = RS2Sampler(10, k=4, seed=0)
    >>> epochs = [list(sampler) for _ in range(5)]
    >>> [len(e) for e in epochs], sorted(epochs[0] + epochs[1] + epochs[2][:2])
    ([4, 4, 4, 4, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """

    def __init__(
        self,
        data: Sized | int,
        *,
        k: int | None = None,
        fraction: float | None = None,
        seed: int = 0,
        num_samples: int | None = None,
    ) -> None:
        k = check.renamed("num_samples", num_samples, "k", k)
        n = data if isinstance(data, int) else len(data)
        if n < 1:
            raise invalid_parameter("data", f"needs at least one example, got {n}")
        if (k is None) == (fraction is None):
            raise invalid_parameter("k", "give exactly one of k and fraction")
        if fraction is not None:
            k = max(1, round(check.fraction("fraction", fraction, open_low=True) * n))
        self.n, self.k, self.seed = n, check.count("k", k, minimum=1, maximum=n), check.seed(seed)
        self.epoch = 0
        self._reset()

    def _reset(self) -> None:
        # State at the start of epoch `_at`: the rest of pass `_pass`, in order.
        self._at = 0
        self._pass = 0
        self._rest: npt.NDArray[np.int64] = _core.permutation(self.n, self.seed, 0)

    def _advance(self) -> npt.NDArray[np.int64]:
        """The indices of epoch ``_at``; moves the state to the next epoch."""
        m = self.k
        if len(self._rest) >= m:
            out, self._rest = self._rest[:m], self._rest[m:]
        else:
            leftover = self._rest
            self._pass += 1
            following = _core.permutation(self.n, self.seed, self._pass)
            fresh = np.ones(self.n, dtype=bool)
            fresh[leftover] = False
            candidates = following[fresh[following]]
            taken = candidates[: m - len(leftover)]
            out = np.concatenate([leftover, taken])
            used = np.zeros(self.n, dtype=bool)
            used[taken] = True
            self._rest = following[~used[following]]
        self._at += 1
        return out

    def indices(self, epoch: int) -> npt.NDArray[np.int64]:
        """The indices of ``epoch`` (int64, in training order)."""
        epoch = check.count("epoch", epoch)
        if epoch < self._at:
            self._reset()
        while self._at < epoch:
            self._advance()
        return self._advance()

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration yield ``epoch``."""
        self.epoch = check.count("epoch", epoch)

    def __iter__(self) -> Iterator[int]:
        order = self.indices(self.epoch)
        self.epoch += 1
        return iter(order.tolist())

    @property
    def num_samples(self) -> int:
        """Old name of :attr:`k`."""
        return self.k

    def __len__(self) -> int:
        return self.k

    def __repr__(self) -> str:
        return f"RS2Sampler(n={self.n}, k={self.k}, seed={self.seed}, epoch={self.epoch})"
