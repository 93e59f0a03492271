"""Uniform sampling of indices without replacement."""

from __future__ import annotations

import numpy.typing as npt

from thresher import _core
from thresher import _validation as check
from thresher.sample._common import Indices, _size, _token_counts

__all__ = ["uniform"]


def uniform(
    n: int,
    k: int | None = None,
    *,
    tokens: float | None = None,
    token_counts: npt.ArrayLike | None = None,
    seed: int = 0,
) -> Indices:
    """``k`` distinct indices of ``range(n)``, every subset equally likely.

    Floyd's algorithm: k random draws and O(k) memory, whatever ``n``. With ``tokens``
    instead of ``k``: the items in a random order, taken while their total of
    ``token_counts`` stays at most ``tokens`` (the first that would exceed it stops
    the walk; see :mod:`thresher.tokens`), so items of equal length are equally likely
    to be chosen.

    Parameters
    ----------
    n
        Population size.
    k
        Sample size, at most ``n``.
    tokens
        A budget in tokens instead of ``k``, at most the tokens of all items.
    token_counts
        With ``tokens``: the tokens of each of the ``n`` items.
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
    >>> int(uniform(6, tokens=10, token_counts=[5, 5, 5, 5, 5, 5], seed=0).size)
    2
    """
    _size(k, tokens)
    n = check.count("n", n)
    if tokens is not None:
        counts = _token_counts(token_counts, n)
        return _core.sample_budget(counts, [check.budget("tokens", tokens)], check.seed(seed))
    return _core.sample_uniform(n, check.count("k", k), check.seed(seed))
