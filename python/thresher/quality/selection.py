"""Keeping documents by a quality score: threshold, top-k, or GPT-3's Pareto rule.

The Pareto rule
---------------
GPT-3 (Brown et al., 2020, appendix A) kept a document of quality score ``s`` when
``np.random.pareto(alpha) > 1 - s``, with ``alpha = 9``; DSIR (Xie et al., 2023) used
the same rule for its classifier baseline. ``np.random.pareto`` draws a Lomax variable
``X = U**(-1/alpha) - 1`` with ``U`` uniform on (0, 1), so for ``t >= 0``

    P(X > t) = P(U < (1 + t)**(-alpha)) = (1 + t)**(-alpha),

and with ``t = 1 - s`` a document of score ``s`` in [0, 1] is kept with probability
``(2 - s)**(-alpha)`` = ``(1 / (2 - s))**alpha``: 1 for ``s = 1``, ``2**-9`` (0.2%) for
``s = 0`` at ``alpha = 9``, and about 15% at ``s = 0.8``. :func:`pareto_inclusion` gives
that probability. Here ``U`` of document ``i`` is thresher's counter-based draw for
``(seed, i)``, so a seed keeps the same documents whatever the thread count.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter

__all__ = ["pareto_inclusion", "select_by_score"]


def pareto_inclusion(scores: npt.ArrayLike, alpha: float = 9.0) -> npt.NDArray[np.float64]:
    """The probability that the Pareto rule keeps a document of each score:
    ``(2 - s) ** -alpha`` (see the module's derivation).

    Examples
    --------
    >>> pareto_inclusion([0.0, 0.5, 1.0], alpha=1.0)
    array([0.5       , 0.66666667, 1.        ])
    """
    s = np.asarray(scores, dtype=np.float64)
    alpha = check.positive("pareto_alpha", alpha)
    return np.power(2.0 - s, -alpha)


def select_by_score(
    scores: npt.ArrayLike,
    *,
    threshold: float | None = None,
    k: int | None = None,
    pareto_alpha: float | None = None,
    seed: int = 0,
) -> npt.NDArray[np.int64]:
    """The indices (increasing) of the documents kept by their quality score.

    Give exactly one rule:

    - ``threshold``: every document of score at least ``threshold``;
    - ``k``: the ``k`` best scores (ties broken toward the earlier document);
    - ``pareto_alpha``: GPT-3's rule, keep document ``i`` when
      ``pareto(alpha) > 1 - score`` (scores in [0, 1]; GPT-3 and DSIR used 9), with
      thresher's counter-based draws for ``seed``: the same documents for a seed
      whatever the thread count. A document of score ``s`` is kept with probability
      ``(2 - s) ** -alpha`` (:func:`pareto_inclusion`).

    Parameters
    ----------
    scores
        One finite score per document (for example the probability of the "positive"
        label from :meth:`TrainedClassifier.score`).
    threshold, k, pareto_alpha
        The rule (exactly one).
    seed
        Seed of the Pareto draws (unused by the other rules).

    Returns
    -------
    numpy.ndarray
        int64 indices of the kept documents, increasing.

    Raises
    ------
    InvalidParameterError
        No rule or several, a score not finite (or outside [0, 1] for the Pareto rule),
        ``k`` negative.

    Examples
    --------
    >>> s = [0.9, 0.1, 0.5, 0.95]
    >>> select_by_score(s, threshold=0.5)
    array([0, 2, 3])
    >>> select_by_score(s, k=2)
    array([0, 3])
    >>> kept = select_by_score(np.full(100_000, 0.5), pareto_alpha=2, seed=1)
    >>> bool(abs(len(kept) / 100_000 - pareto_inclusion(0.5, 2)) < 0.01)  # (1/1.5)**2
    True
    """
    rules = [r for r in (threshold, k, pareto_alpha) if r is not None]
    if len(rules) != 1:
        raise invalid_parameter("threshold", "give exactly one of threshold=, k= and pareto_alpha=")
    s = np.ascontiguousarray(scores, dtype=np.float64).reshape(-1)
    if not np.isfinite(s).all():
        row = int(np.flatnonzero(~np.isfinite(s))[0])
        raise invalid_parameter("scores", f"score of document {row} is {s[row]}, not finite")
    if threshold is not None:
        return np.flatnonzero(s >= check.real("threshold", threshold)).astype(np.int64)
    if k is not None:
        k = check.count("k", k)
        if k >= len(s):
            return np.arange(len(s), dtype=np.int64)
        best = np.argsort(-s, kind="stable")[:k]
        return np.sort(best).astype(np.int64)
    alpha = check.positive("pareto_alpha", pareto_alpha)
    if len(s) and (s.min() < 0 or s.max() > 1):
        raise invalid_parameter("scores", "the Pareto rule takes scores in [0, 1] (probabilities)")
    keep = _core.pareto_keep(s, alpha, check.seed(seed))
    return np.flatnonzero(keep).astype(np.int64)
