"""Diversity selection: k-center greedy against brute force, cluster-then-quota,
SemDeDup against a naive implementation, hierarchical balanced sampling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import thresher
from thresher import select
from thresher.exceptions import InvalidParameterError


def naive_k_center(x: np.ndarray, k: int, first: int) -> tuple[list[int], list[float]]:
    x = x.astype(np.float64)
    chosen = [first]
    closest = np.linalg.norm(x - x[first], axis=1)
    radii = []
    for _ in range(k):
        closest[chosen] = -1
        radii.append(float(closest.max()) if len(chosen) < len(x) else 0.0)
        if len(chosen) == k:
            break
        nxt = int(closest.argmax())
        chosen.append(nxt)
        closest = np.minimum(closest, np.linalg.norm(x - x[nxt], axis=1))
    return chosen, radii


@pytest.mark.parametrize("seed", range(5))
def test_k_center_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(12, 3)).astype(np.float32)
    got = select.k_center(x, 4, seed=seed)
    chosen, radii = naive_k_center(x, 4, int(got.indices[0]))
    assert got.indices.tolist() == chosen
    np.testing.assert_allclose(got.radii, radii, rtol=1e-5)
    # The covering radius is within twice the optimum over every 4-subset.
    xd = x.astype(np.float64)
    dist = np.linalg.norm(xd[:, None] - xd[None], axis=2)
    best = min(dist[:, list(s)].min(1).max() for s in itertools.combinations(range(12), 4))
    assert best - 1e-6 <= got.radii[-1] <= 2 * best + 1e-6


def test_k_center_cosine_and_initial() -> None:
    x = np.array([[1, 0], [0, 1], [-1, 0], [0.9, 0.1]], dtype=np.float32)
    got = select.k_center(x, 2, metric="cosine", initial=[0])
    assert got.indices.tolist() == [2, 1]
    np.testing.assert_allclose(got.radii, [1.0, 1 - 0.9 / np.hypot(0.9, 0.1)], rtol=1e-5)
    with pytest.raises(InvalidParameterError):
        select.k_center(x, 4, initial=[0])
    with pytest.raises(InvalidParameterError):
        select.k_center(x, 1, initial=[7])


def test_balanced_allocations() -> None:
    labels = np.array([0] * 10 + [1] * 5 + [2] * 1)
    rows = select.balanced(labels, 9, seed=1)
    assert np.bincount(labels[rows]).tolist() == [4, 4, 1]
    rows = select.balanced(labels, 8, allocation="proportional")
    assert np.bincount(labels[rows]).tolist() == [5, 3]
    rows = select.balanced(labels, 6, allocation={0: 1.0, 1: 2.0})
    assert np.bincount(labels[rows], minlength=3).tolist() == [2, 4, 0]
    assert (np.diff(rows) > 0).all()
    scores = np.arange(16, dtype=np.float64)
    top = select.balanced(labels, 3, scores=scores)
    assert top.tolist() == [9, 14, 15]
    with pytest.raises(InvalidParameterError):
        select.balanced(labels, 17)
    with pytest.raises(InvalidParameterError):
        select.balanced(labels, 2, scores=[1.0])
    with pytest.raises(InvalidParameterError):
        select.balanced([-1, 0], 1)


def test_balanced_random_choice_is_seeded() -> None:
    labels = np.repeat(np.arange(5), 100)
    a = select.balanced(labels, 50, seed=3)
    assert (a == select.balanced(labels, 50, seed=3)).all()
    assert not (a == select.balanced(labels, 50, seed=4)).all()


def naive_semdedup(x: np.ndarray, labels: np.ndarray, threshold: float) -> list[int]:
    v = x / np.linalg.norm(x, axis=1, keepdims=True)
    dup = [-1] * len(x)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        sims = v[rows] @ v[rows].T
        for r in range(1, len(rows)):
            best = int(sims[r, :r].argmax())
            if sims[r, best] > threshold:
                dup[rows[r]] = int(rows[best])
    return dup


def test_semantic_dedup_equals_naive() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 8))
    x = np.concatenate([base, base[:20] + rng.normal(0, 0.05, (20, 8))]).astype(np.float32)
    x = x[rng.permutation(len(x))]
    labels = thresher.KMeans(4, metric="cosine", seed=0).fit(x).labels_
    got = select.semantic_dedup(x, labels, 0.98)
    assert got.duplicate_of.tolist() == naive_semdedup(x, labels, 0.98)
    assert 15 <= int((~got.keep).sum()) <= 20
    assert (got.indices == np.flatnonzero(got.keep)).all()
    # Scores choose which copy stays.
    scores = rng.normal(size=len(x))
    by_score = select.semantic_dedup(x, labels, 0.98, scores=scores)
    for row in np.flatnonzero(~by_score.keep):
        assert scores[by_score.duplicate_of[row]] >= scores[row]
    with pytest.raises(InvalidParameterError):
        select.semantic_dedup(x, labels[:-1], 0.9)
    with pytest.raises(InvalidParameterError):
        select.semantic_dedup(x, labels, 2.0)


def test_hierarchical_balanced_sample() -> None:
    rng = np.random.default_rng(1)
    groups = [(0.0, 900), (20.0, 90), (40.0, 10)]
    x = np.concatenate([rng.normal(c, 1.0, (n, 4)) for c, n in groups]).astype(np.float32)
    h = thresher.cluster.hierarchical(x, levels=[30, 3], seed=0)
    assert h.labels.shape == (1000, 2)
    top = h.labels[:, 1]
    assert len(np.unique(top[:900])) == 1 and len(np.unique(top[990:])) == 1
    rows = h.sample(60, seed=0)
    assert len(rows) == 60 and len(np.unique(rows)) == 60
    sizes = np.bincount(np.searchsorted([900, 990], rows, side="right"), minlength=3)
    assert sizes.tolist() == [25, 25, 10]  # the 10-point group gives all it has
    with pytest.raises(InvalidParameterError):
        thresher.cluster.hierarchical(x, levels=[3, 30])
    with pytest.raises(InvalidParameterError):
        h.sample(1001)


@pytest.mark.usefixtures("default_threads")
def test_selection_is_thread_independent() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5000, 16)).astype(np.float32)
    labels = rng.integers(0, 7, 5000)
    out = []
    for threads in (1, 2):
        thresher.set_num_threads(threads)
        out.append(
            (
                select.k_center(x, 30, seed=1).indices.tolist(),
                select.semantic_dedup(x, labels, 0.5).duplicate_of.tolist(),
                select.balanced(labels, 700, seed=2).tolist(),
            )
        )
    assert out[0] == out[1]


def test_balanced_old_names_warn() -> None:
    labels = np.repeat([0, 1, 2], [10, 5, 1])
    expected = select.balanced(labels, 9, allocation="equal", seed=1)
    with pytest.warns(DeprecationWarning, match="allocation='uniform' is deprecated"):
        assert (select.balanced(labels, 9, allocation="uniform", seed=1) == expected).all()
    with pytest.warns(DeprecationWarning, match="'budget' is deprecated: use 'k'"):
        assert (select.balanced(labels, budget=9, seed=1) == expected).all()
    with pytest.raises(InvalidParameterError, match="must be one of 'equal', 'proportional' or"):
        select.balanced(labels, 9, allocation="neyman")


def test_hierarchy_sample_old_keyword_budget_warns() -> None:
    x = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    tree = thresher.cluster.hierarchical(x, [8, 2], seed=0)
    with pytest.warns(DeprecationWarning, match="'budget' is deprecated: use 'k'"):
        assert (tree.sample(budget=20, seed=1) == tree.sample(20, seed=1)).all()
