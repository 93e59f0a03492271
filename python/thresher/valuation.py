"""Data valuation: which training examples help a model most.

:func:`knn_shapley` gives the exact Shapley value of every training point for the
K-nearest-neighbour classification utility (Jia et al. 2019), in O(N log N) per
validation point, in Rust. :func:`monte_carlo_shapley` estimates Data Shapley values
for any utility (a Python callable) by truncated Monte-Carlo permutation sampling
(Ghorbani & Zou 2019), with a standard error per value.

Examples
--------
>>> import numpy as np, thresher
>>> x_train = np.array([[0.0], [0.1], [5.0], [5.1]])
>>> y_train = [0, 0, 1, 0]  # the last point is mislabelled
>>> values = thresher.valuation.knn_shapley(x_train, y_train, [[4.9], [5.2]], [1, 1], k=1)
>>> values.round(3).tolist()
[0.0, 0.0, 0.75, -0.25]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core, _labels
from thresher import _validation as check
from thresher._results import TableResult
from thresher.exceptions import EmptyInputError, invalid_parameter
from thresher.rebalance import _features

__all__ = ["ShapleyEstimate", "knn_shapley", "knn_utility", "monte_carlo_shapley"]


def _label_codes(
    y_train: Any, y_val: Any, n_train: int, n_val: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    train, val = np.asarray(y_train), np.asarray(y_val)
    for name, labels, n, x in (
        ("y_train", train, n_train, "x_train"),
        ("y_val", val, n_val, "x_val"),
    ):
        _labels.check_per_row(labels, n, name, x)
    try:
        _, codes = _labels.sorted_codes(np.concatenate([train, val]))
    except TypeError as e:
        raise invalid_parameter(
            "y_val", f"labels of x_train and x_val do not compare: {e}"
        ) from None
    return np.ascontiguousarray(codes[:n_train]), np.ascontiguousarray(codes[n_train:])


def knn_shapley(
    x_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    x_val: npt.ArrayLike,
    y_val: npt.ArrayLike,
    *,
    k: int = 5,
) -> npt.NDArray[np.float64]:
    """Exact K-NN Shapley value of every training point (Jia et al. 2019).

    For a validation point ``(v, y)``, the utility of a training subset ``S`` is the
    share of its ``K`` nearest points to ``v`` (squared Euclidean distance, float32)
    that have label ``y``: ``U(S) = (1/K) sum_{i <= min(K, |S|)} 1[y_(i) = y]``,
    ``U({}) = 0``. Equal distances: the smaller training row is the nearer. The values
    are averaged over the validation points; they sum to ``U(all) - U({})`` averaged
    likewise (the efficiency axiom). With the points sorted by distance (``N``
    farthest), ``s_N = 1[y_N = y] min(K, N) / (N K)`` and
    ``s_i = s_{i+1} + (1[y_i = y] - 1[y_{i+1} = y]) / K * min(K, i) / i``.

    Parallel over validation points in Rust; the same result whatever the thread
    count.

    Parameters
    ----------
    x_train, y_train
        ``(N, d)`` training features (float32 or float64, read in place) and labels.
    x_val, y_val
        ``(M, d)`` validation features (same dtype) and labels.
    k
        Neighbours of the K-NN classifier.

    Returns
    -------
    numpy.ndarray
        ``N`` float64 values.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]], dtype=np.float32)
    >>> v = knn_shapley(x, [1, 1, 0], np.array([[0.2]], dtype=np.float32), [1], k=2)
    >>> v.round(4).tolist(), float(v.sum())  # U(all) = 1: both neighbours are right
    ([0.5, 0.5, 0.0], 1.0)
    """
    train = _features(x_train, "x_train")
    val = _features(x_val, "x_val")
    if val.dtype != train.dtype:
        val = cast("npt.NDArray[np.float32] | npt.NDArray[np.float64]", val.astype(train.dtype))
    check.positive_count("k", k)
    if len(val) == 0:
        raise EmptyInputError("validation set is empty: x_val has no rows")
    if len(train) == 0:
        raise EmptyInputError("training set is empty: x_train has no rows")
    yt, yv = _label_codes(y_train, y_val, len(train), len(val))
    return _core.knn_shapley(train, yt, val, yv, int(k))


def knn_utility(
    x_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    x_val: npt.ArrayLike,
    y_val: npt.ArrayLike,
    *,
    k: int = 5,
) -> Callable[[npt.NDArray[np.int64]], float]:
    """The utility :func:`knn_shapley` values, as a callable on subsets of training rows
    (for :func:`monte_carlo_shapley` and checks; float64 distances).

    Examples
    --------
    >>> u = knn_utility([[0.0], [1.0]], [1, 0], [[0.1]], [1], k=1)
    >>> u(np.array([0, 1])), u(np.array([1])), u(np.array([], dtype=np.int64))
    (1.0, 0.0, 0.0)
    """
    train = np.asarray(x_train, dtype=np.float64)
    val = np.asarray(x_val, dtype=np.float64)
    yt, yv = np.asarray(y_train), np.asarray(y_val)
    dist = ((val[:, None, :] - train[None, :, :]) ** 2).sum(axis=2)

    def utility(subset: npt.NDArray[np.int64]) -> float:
        rows = np.sort(np.asarray(subset, dtype=np.int64))
        if len(rows) == 0:
            return 0.0
        total = 0.0
        for j in range(len(val)):
            order = rows[np.lexsort((rows, dist[j, rows]))][:k]
            total += float(np.sum(yt[order] == yv[j])) / k
        return total / len(val)

    return utility


@dataclass
class ShapleyEstimate(TableResult):
    """Monte-Carlo Shapley values with their uncertainty.

    Attributes
    ----------
    values
        The estimated value of every point (mean marginal contribution).
    std_errors
        Standard error of each value (sample standard deviation over permutations /
        sqrt(permutations)).
    permutations
        Permutations sampled.
    utility_calls
        Calls of the utility (truncation saves some).
    truncated
        Share of marginal contributions set to 0 by truncation.
    converged
        Whether the largest standard error fell below ``tolerance`` before
        ``max_permutations``.
    seconds
        Wall time.
    """

    values: npt.NDArray[np.float64]
    std_errors: npt.NDArray[np.float64]
    permutations: int
    utility_calls: int
    truncated: float
    converged: bool
    seconds: float

    @property
    def table(self) -> pa.Table:
        """``row``, ``value`` and ``std_error`` of every point."""
        return pa.table(
            {
                "row": pa.array(np.arange(len(self.values), dtype=np.int64)),
                "value": pa.array(self.values),
                "std_error": pa.array(self.std_errors),
            }
        )


def monte_carlo_shapley(
    utility: Callable[[npt.NDArray[np.int64]], float],
    n: int,
    *,
    max_permutations: int = 1000,
    min_permutations: int = 30,
    tolerance: float | None = None,
    truncation_tol: float = 0.0,
    seed: int = 0,
) -> ShapleyEstimate:
    """Data Shapley values of ``n`` points for any utility, by truncated Monte-Carlo
    permutation sampling (TMC-Shapley, Ghorbani & Zou 2019).

    Each permutation adds the points one by one and credits each with the change of
    ``utility(prefix)``; once the utility of the prefix is within
    ``truncation_tol * |U(all)|`` of ``U(all)``, the remaining points get 0 without
    calling the utility (``truncation_tol=0``: never truncate, an unbiased estimate).

    Parameters
    ----------
    utility
        ``utility(rows) -> float`` for an int64 array of point indices (a subset, in
        the order the points were added). ``utility(empty)`` is called once.
    n
        Number of points valued (the population, not a number of rows to choose: hence
        ``n`` and not ``k``).
    max_permutations
        Most permutations to sample.
    min_permutations
        Fewest permutations before the ``tolerance`` test.
    tolerance
        Stop when every standard error is at most this (``None``: run
        ``max_permutations``).
    truncation_tol
        Relative truncation tolerance (the paper's performance tolerance).
    seed
        Seed of the permutations (numpy ``default_rng``).

    Returns
    -------
    ShapleyEstimate

    Examples
    --------
    >>> def u(rows):  # additive: each point is worth its index
    ...     return float(sum(rows))
    >>> est = monte_carlo_shapley(u, 4, max_permutations=50, seed=0)
    >>> est.values.tolist(), float(est.std_errors.max())
    ([0.0, 1.0, 2.0, 3.0], 0.0)
    """
    n = check.positive_count("n", n)
    check.positive_count("max_permutations", max_permutations)
    check.positive_count("min_permutations", min_permutations)
    check.non_negative("truncation_tol", truncation_tol)
    if tolerance is not None:
        check.positive("tolerance", tolerance)
    started = time.perf_counter()
    rng = np.random.default_rng(check.seed(seed))
    empty = float(utility(np.empty(0, dtype=np.int64)))
    everything = np.arange(n, dtype=np.int64)
    full = float(utility(everything))
    calls = 2
    mean = np.zeros(n)
    m2 = np.zeros(n)
    cut = 0
    converged = False
    done = 0
    for t in range(1, int(max_permutations) + 1):
        order = rng.permutation(n)
        marginal = np.zeros(n)
        previous = empty
        for j in range(n):
            if truncation_tol > 0 and abs(full - previous) <= truncation_tol * abs(full):
                cut += n - j
                break
            current = full if j == n - 1 else float(utility(order[: j + 1]))
            calls += j < n - 1
            marginal[order[j]] = current - previous
            previous = current
        delta = marginal - mean
        mean += delta / t
        m2 += delta * (marginal - mean)
        done = t
        if (
            tolerance is not None
            and t >= max(min_permutations, 2)
            and math.sqrt(float(m2.max()) / (t - 1) / t) <= tolerance
        ):
            converged = True
            break
    std = np.sqrt(m2 / max(done - 1, 1) / done)
    return ShapleyEstimate(
        values=mean,
        std_errors=std,
        permutations=done,
        utility_calls=calls,
        truncated=cut / (done * n),
        converged=converged,
        seconds=time.perf_counter() - started,
    )
