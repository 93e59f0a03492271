"""K-NN Shapley values: brute-force enumeration, the efficiency axiom, a reference
implementation, determinism and bad input; Monte-Carlo Data Shapley convergence."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import thresher
from thresher.exceptions import EmptyInputError, InvalidParameterError
from thresher.valuation import knn_shapley, knn_utility, monte_carlo_shapley


def _brute_force(utility, n: int) -> np.ndarray:
    """Shapley values by enumerating every subset."""
    values = np.zeros(n)
    cache = {}

    def u(subset: tuple[int, ...]) -> float:
        if subset not in cache:
            cache[subset] = utility(np.array(subset, dtype=np.int64))
        return cache[subset]

    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                values[i] += weight * (u(tuple(sorted((*subset, i)))) - u(subset))
    return values


def _grid_problem(n: int, seed: int, classes: int = 2, m: int = 3):
    """Points on a coarse integer grid: many exact distance ties."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (n, 2)).astype(np.float64)
    y = rng.integers(0, classes, n)
    v = rng.integers(0, 3, (m, 2)).astype(np.float64)
    yv = rng.integers(0, classes, m)
    return x, y, v, yv


@pytest.mark.parametrize(
    ("n", "k"), [(1, 1), (3, 2), (6, 1), (7, 3), (9, 4), (10, 2), (10, 10), (5, 8)]
)
def test_equals_brute_force_enumeration_with_ties(n: int, k: int) -> None:
    x, y, v, yv = _grid_problem(n, seed=n * 31 + k, classes=3 if n % 2 else 2)
    got = knn_shapley(x, y, v, yv, k=k)
    want = _brute_force(knn_utility(x, y, v, yv, k=k), n)
    np.testing.assert_allclose(got, want, atol=1e-12)
    got32 = knn_shapley(x.astype(np.float32), y, v.astype(np.float32), yv, k=k)
    np.testing.assert_allclose(got32, want, atol=1e-12)


def _reference(x: np.ndarray, y: np.ndarray, v: np.ndarray, yv: np.ndarray, k: int) -> np.ndarray:
    """The recursion of Jia et al., written directly (Python loop over sorted points)."""
    n = len(y)
    total = np.zeros(n)
    for j in range(len(yv)):
        dist = ((x - v[j]) ** 2).sum(axis=1)
        order = np.lexsort((np.arange(n), dist))
        hit = (y[order] == yv[j]).astype(float)
        s = np.zeros(n)
        s[n - 1] = hit[n - 1] * min(k, n) / (n * k)
        for i in range(n - 2, -1, -1):
            rank = i + 1
            s[i] = s[i + 1] + (hit[i] - hit[i + 1]) / k * min(k, rank) / rank
        total[order] += s
    return total / len(yv)


def test_efficiency_axiom_and_reference_on_a_larger_problem() -> None:
    # Integer coordinates: every distance is exact in float32 and float64, so the
    # ordering (ties by row) is the same in the kernel and in the float64 reference.
    rng = np.random.default_rng(1)
    x = rng.integers(-50, 50, (700, 6)).astype(np.float32)
    y = (x[:, 0] + 20 * rng.normal(size=700) > 0).astype(int)
    v = rng.integers(-50, 50, (57, 6)).astype(np.float32)
    yv = (v[:, 0] > 0).astype(int)
    for k in (1, 5, 20):
        values = knn_shapley(x, y, v, yv, k=k)
        full = knn_utility(x, y, v, yv, k=k)(np.arange(700))
        assert values.sum() == pytest.approx(full - 0.0, abs=1e-10)
        np.testing.assert_allclose(
            values, _reference(x.astype(np.float64), y, v, yv, k), atol=1e-12
        )


def test_mislabelled_points_get_negative_values() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(-2, 1, (200, 4)), rng.normal(2, 1, (200, 4))])
    y = np.array([0] * 200 + [1] * 200)
    flipped = rng.choice(400, 20, replace=False)
    y[flipped] = 1 - y[flipped]
    v = np.concatenate([rng.normal(-2, 1, (100, 4)), rng.normal(2, 1, (100, 4))])
    yv = np.array([0] * 100 + [1] * 100)
    values = knn_shapley(x, y, v, yv, k=5)
    assert values[flipped].mean() < 0 < np.delete(values, flipped).mean()
    assert len(set(np.argsort(values)[:20].tolist()) & set(flipped.tolist())) >= 15


def test_same_result_whatever_the_thread_count_and_labels_of_any_type() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 16)).astype(np.float32)
    y = rng.integers(0, 4, 3000)
    v = rng.normal(size=(300, 16)).astype(np.float32)
    yv = rng.integers(0, 4, 300)
    before = thresher.get_num_threads()
    try:
        runs = []
        for threads in (1, 2, 4):
            thresher.set_num_threads(threads)
            runs.append(knn_shapley(x, y, v, yv, k=7))
    finally:
        thresher.set_num_threads(before)
    assert all(np.array_equal(runs[0], r) for r in runs[1:])
    names = np.array(["a", "b", "c", "d"])
    assert np.array_equal(knn_shapley(x, names[y], v, names[yv], k=7), runs[0])


def test_monte_carlo_converges_to_exact_values_within_its_standard_error() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 2))
    y = rng.integers(0, 2, 7)
    v = rng.normal(size=(4, 2))
    yv = rng.integers(0, 2, 4)
    exact = knn_shapley(x, y, v, yv, k=3)
    utility = knn_utility(x, y, v, yv, k=3)
    est = monte_carlo_shapley(utility, 7, max_permutations=600, seed=0)
    assert est.permutations == 600 and est.truncated == 0.0
    # 7 values, each within 4.5 standard errors (two-sided p ~ 7e-6 each).
    assert np.all(np.abs(est.values - exact) <= 4.5 * est.std_errors + 1e-12), (est.values, exact)
    assert est.values.sum() == pytest.approx(utility(np.arange(7)), abs=1e-12)
    again = monte_carlo_shapley(utility, 7, max_permutations=600, seed=0)
    assert np.array_equal(again.values, est.values)


def test_monte_carlo_tolerance_and_truncation() -> None:
    calls = []

    def utility(rows: np.ndarray) -> float:
        calls.append(len(rows))
        return float(min(len(rows), 3))  # saturates after 3 points

    est = monte_carlo_shapley(utility, 10, max_permutations=200, truncation_tol=1e-9, seed=1)
    assert est.truncated > 0.5 and est.utility_calls < 200 * 9
    assert est.values.sum() == pytest.approx(3.0)
    stop = monte_carlo_shapley(utility, 10, max_permutations=5000, tolerance=0.05, seed=1)
    assert stop.converged and stop.permutations < 5000
    assert stop.std_errors.max() <= 0.05


# ----------------------------------------------------------------------------- bad input
def test_bad_input() -> None:
    x = np.zeros((5, 3))
    y = [0, 1, 0, 1, 0]
    with pytest.raises(EmptyInputError, match="validation"):
        knn_shapley(x, y, np.zeros((0, 3)), [])
    with pytest.raises(InvalidParameterError, match="k") as e:
        knn_shapley(x, y, x, y, k=0)
    assert e.value.parameter == "k"
    with pytest.raises(InvalidParameterError, match="y_train"):
        knn_shapley(x, y[:-1], x, y)
    with pytest.raises(InvalidParameterError, match="y_val"):
        knn_shapley(x, y, x, [*y, 1])
    with pytest.raises(InvalidParameterError, match="columns"):
        knn_shapley(x, y, np.zeros((2, 4)), [0, 1])
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(InvalidParameterError, match=r"row 3, column 2") as e:
        knn_shapley(bad, y, x, y)
    assert e.value.parameter == "x_train"
    with pytest.raises(InvalidParameterError, match=r"x_val: row 3, column 2|row 3, column 2"):
        knn_shapley(x, y, bad, y)
    with pytest.raises(InvalidParameterError, match="n"):
        monte_carlo_shapley(lambda rows: 0.0, 0)
    with pytest.raises(InvalidParameterError, match="truncation_tol"):
        monte_carlo_shapley(lambda rows: 0.0, 3, truncation_tol=-1.0)
