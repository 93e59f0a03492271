"""Uniform sampling of indices without replacement."""

from __future__ import annotations

from thresher import _core
from thresher import _validation as check
from thresher.sample._common import Indices

__all__ = ["uniform"]


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
    n, k = check.count("n", n), check.count("k", k)
    return _core.sample_uniform(n, k, check.seed(seed))
