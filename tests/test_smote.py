"""SMOTE, random over- and under-sampling: targets, segments, neighbours, determinism and
bad input."""

from __future__ import annotations

import numpy as np
import pytest
import thresher
from thresher.exceptions import InvalidParameterError
from thresher.rebalance import (
    nearest_neighbors,
    random_over_sample,
    random_under_sample,
    smote,
    target_counts,
)


def _data(seed: int = 0, n: tuple[int, ...] = (300, 40, 25), d: int = 5, dtype: type = np.float64):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(3.0 * c, 1.0 + c, (m, d)) for c, m in enumerate(n)])
    y = np.concatenate([np.full(m, c) for c, m in enumerate(n)])
    return x.astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_synthetic_points_lie_on_segments_to_brute_force_neighbours(dtype: type, k: int) -> None:
    x, y = _data(1, dtype=dtype)
    r = smote(x, y, k_neighbors=k, seed=3)
    assert r.x.dtype == dtype
    n = len(y)
    assert np.array_equal(r.x[:n], x) and np.array_equal(r.parent[:n], np.arange(n))
    synthetic = np.arange(n, len(r.y))
    assert len(synthetic) == 2 * 300 - 40 - 25
    x64 = x.astype(np.float64)
    for i in synthetic:
        p, nb, u = r.parent[i], r.neighbor[i], r.gap[i]
        assert y[p] == y[nb] == r.y[i] and p != nb and 0 < u < 1
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(r.x[i], x64[p] + u * (x64[nb] - x64[p]), rtol=tol, atol=tol)
        members = np.flatnonzero(y == y[p])
        members = members[members != p]
        dist = ((x64[members] - x64[p]) ** 2).sum(axis=1)
        kth = np.sort(dist)[k - 1]
        assert ((x64[nb] - x64[p]) ** 2).sum() <= kth * (1 + 1e-4) + 1e-6


def test_neighbour_search_equals_brute_force() -> None:
    x, _ = _data(2, n=(500,), d=7)
    got = nearest_neighbors(x, 4)
    dist = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist, np.inf)
    want = np.argsort(dist, axis=1, kind="stable")[:, :4]
    assert np.array_equal(got, want)


def test_approximate_search_has_high_recall_and_is_deterministic() -> None:
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(c, 0.3, (500, 8)) for c in range(8)]).astype(np.float32)
    exact = nearest_neighbors(x, 5)
    approx = nearest_neighbors(x, 5, cell_size=400, probe=3)
    recall = np.mean([len(set(a) & set(e)) / 5 for a, e in zip(approx, exact, strict=True)])
    assert recall > 0.95, recall
    assert np.array_equal(approx, nearest_neighbors(x, 5, cell_size=400, probe=3))
    r = smote(x, np.repeat(np.arange(2), 2000), sampling_strategy={1: 2500}, cell_size=400)
    assert np.bincount(r.y).tolist() == [2000, 2500]


@pytest.mark.parametrize(
    "strategy",
    ["auto", "minority", "not majority", "not minority", "all", {1: 100, 2: 60}],
)
def test_over_sampling_counts_match_imbalanced_learn(strategy: object) -> None:
    from imblearn.utils import check_sampling_strategy

    x, y = _data(5)
    want = dict(zip(*np.unique(y, return_counts=True), strict=True))
    for c, extra in check_sampling_strategy(strategy, y, "over-sampling").items():
        want[c] += extra
    for fn in (smote, random_over_sample):
        r = fn(x, y, sampling_strategy=strategy, seed=1)
        got = dict(zip(*np.unique(r.y, return_counts=True), strict=True))
        assert got == want


@pytest.mark.parametrize("strategy", ["auto", "majority", "not minority", "all", {0: 50}])
def test_under_sampling_counts_match_imbalanced_learn(strategy: object) -> None:
    from imblearn.utils import check_sampling_strategy

    x, y = _data(6)
    want = dict(zip(*np.unique(y, return_counts=True), strict=True))
    want.update(check_sampling_strategy(strategy, y, "under-sampling"))
    r = random_under_sample(x, y, sampling_strategy=strategy, seed=2)
    assert dict(zip(*np.unique(r.y, return_counts=True), strict=True)) == want
    assert np.all(np.diff(r.parent) > 0)
    assert np.array_equal(r.x, x[r.parent]) and np.array_equal(r.y, y[r.parent])


def test_float_ratio_for_two_classes() -> None:
    from imblearn.utils import check_sampling_strategy

    x, y = _data(7, n=(200, 30))
    extra = check_sampling_strategy(0.5, y, "over-sampling")[1]
    assert (smote(x, y, sampling_strategy=0.5).y == 1).sum() == 30 + extra
    keep = check_sampling_strategy(0.5, y, "under-sampling")[0]
    assert (random_under_sample(x, y, sampling_strategy=0.5).y == 0).sum() == keep


def test_random_over_sampling_copies_rows() -> None:
    x, y = _data(8)
    r = random_over_sample(x, y, seed=5)
    assert np.array_equal(r.x, x[r.parent]) and np.array_equal(r.y, y[r.parent])
    assert np.all(r.neighbor == -1)


def test_string_labels_and_lists() -> None:
    x = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [9.0, 9.0], [9.5, 9.0], [3.0, 3.0], [9.0, 9.5]]
    y = ["cat", "cat", "cat", "dog", "dog", "cat", "dog"]
    r = smote(x, y, k_neighbors=2, seed=0)
    assert sorted(r.y.tolist()) == ["cat"] * 4 + ["dog"] * 4
    assert r.x.dtype == np.float64


@pytest.mark.parametrize("kind", ["blobs", "grid"])
def test_pruned_exact_search_of_a_large_class_equals_brute_force(kind: str) -> None:
    # From 20,000 points the exact search prunes over k-means cells: same neighbours.
    rng = np.random.default_rng(5)
    if kind == "blobs":
        x = rng.normal(0, 4, (20, 6))[rng.integers(0, 20, 21_000)] + rng.normal(0, 1, (21_000, 6))
    else:  # integer grid: many exact ties and duplicates
        x = rng.integers(0, 12, (21_000, 3))
    x = x.astype(np.float32)
    before = thresher.get_num_threads()
    try:
        thresher.set_num_threads(1)
        one = nearest_neighbors(x, 5)
        thresher.set_num_threads(2)
        got = nearest_neighbors(x, 5)
    finally:
        thresher.set_num_threads(before)
    assert np.array_equal(one, got)
    x64 = x.astype(np.float64)
    for i in rng.choice(len(x), 150, replace=False):
        dist = ((x64 - x64[i]) ** 2).sum(axis=1)
        dist[i] = np.inf
        want = np.sort(dist)[:5]
        assert np.allclose(np.sort(dist[got[i].astype(np.int64)]), want, rtol=1e-5), i


def test_same_result_whatever_the_thread_count() -> None:
    x, y = _data(9, n=(3000, 400), d=16, dtype=np.float32)
    before = thresher.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            thresher.set_num_threads(threads)
            results.append(smote(x, y, seed=11, k_neighbors=5))
            results.append(smote(x, y, seed=11, cell_size=100))
    finally:
        thresher.set_num_threads(before)
    for other in results[2:]:
        base = results[0] if other is results[2] or other is results[4] else results[1]
        for a, b in zip(base, other, strict=True):
            assert np.array_equal(a, b)
    assert not np.array_equal(results[0].x, smote(x, y, seed=12).x)


def test_target_counts_examples() -> None:
    assert target_counts({0: 5, 1: 5}, "minority") == {0: 5, 1: 5}
    with pytest.raises(InvalidParameterError, match="two classes"):
        target_counts({0: 5, 1: 3, 2: 1}, 0.5)


# ----------------------------------------------------------------------------- bad input
def test_a_class_smaller_than_k_plus_one_is_named() -> None:
    x, y = _data(10, n=(50, 4))
    with pytest.raises(InvalidParameterError, match=r"class 1 has 4 rows.*at least 6") as e:
        smote(x, y, k_neighbors=5)
    assert e.value.parameter == "k_neighbors"
    assert len(smote(x, y, k_neighbors=3).y) == 100


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_name_row_and_column(bad: float) -> None:
    x, y = _data(11)
    x[17, 3] = bad
    with pytest.raises(InvalidParameterError, match=r"row 17, column 3") as e:
        smote(x, y)
    assert e.value.parameter == "x"
    with pytest.raises(InvalidParameterError, match=r"row 17, column 3"):
        smote(x.astype(np.float32), y)


def test_other_bad_input() -> None:
    x, y = _data(12)
    with pytest.raises(InvalidParameterError, match="labels for"):
        smote(x, y[:-1])
    with pytest.raises(InvalidParameterError, match="k_neighbors"):
        smote(x, y, k_neighbors=0)
    with pytest.raises(InvalidParameterError, match="sampling_strategy"):
        smote(x, y, sampling_strategy="most")
    with pytest.raises(InvalidParameterError, match="cannot bring"):
        smote(x, y, sampling_strategy={1: 10})
    with pytest.raises(InvalidParameterError, match="cannot bring"):
        random_under_sample(x, y, sampling_strategy={1: 1000})
    with pytest.raises(InvalidParameterError, match="not in y"):
        smote(x, y, sampling_strategy={7: 1000})
    with pytest.raises(InvalidParameterError, match="2-D"):
        smote(x[0], y[:1])
    with pytest.raises(InvalidParameterError, match="seed"):
        smote(x, y, seed=-1)
    with pytest.raises(InvalidParameterError, match="cell_size"):
        smote(x, y, cell_size=0)
    with pytest.raises(InvalidParameterError, match="no label"):
        smote(np.zeros((0, 3)), [])
