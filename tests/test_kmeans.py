"""k-means: equality with a naive numpy Lloyd, monotone inertia, planted clusters,
k-means++ seeding statistics, float16, strided input, save/load, determinism."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import thresher
from thresher.exceptions import InvalidParameterError, ModelFileError


def blobs(n_per: int, centers: int, d: int, spread: float, seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 10, (centers, d))
    x = np.concatenate([rng.normal(m, spread, (n_per, d)) for m in means])
    truth = np.repeat(np.arange(centers), n_per)
    return x.astype(np.float32), truth


def adjusted_rand_index(a: Any, b: Any) -> float:
    """ARI from the contingency table (Hubert and Arabie)."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)

    def comb2(v: Any) -> float:
        return float((v * (v - 1) // 2).sum())

    index = comb2(table)
    rows, cols = comb2(table.sum(1)), comb2(table.sum(0))
    expected = rows * cols / comb2(np.array([len(a)]))
    return (index - expected) / ((rows + cols) / 2 - expected)


def naive_lloyd(x: Any, init: Any, max_iter: int, tol: float) -> dict[str, Any]:
    """Lloyd in float64, the same iteration and stopping rules as thresher."""
    x = x.astype(np.float64)
    c = init.astype(np.float64)

    def assign(c: Any) -> tuple[Any, float]:
        d = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        labels = d.argmin(1)
        return labels, float(d[np.arange(len(x)), labels].sum())

    labels, inertia = assign(c)
    history, n_iter = [inertia], 0
    while n_iter < max_iter:
        c = np.stack([x[labels == j].mean(0) for j in range(len(c))])
        new, new_inertia = assign(c)
        n_iter += 1
        unchanged = (new == labels).all()
        gain = inertia - new_inertia
        labels, inertia = new, new_inertia
        history.append(inertia)
        if unchanged or gain <= tol * inertia:
            break
    return {"labels": labels, "centroids": c, "history": history, "n_iter": n_iter}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_naive_lloyd_from_the_same_centroids(seed: int) -> None:
    x, _ = blobs(40, 4, 5, 4.0, seed)
    init = x[[0, 40, 80, 120]] + 0.5
    km = thresher.KMeans(4, init=init, max_iter=30, tol=0.0).fit(x)
    ref = naive_lloyd(x, init, 30, 0.0)
    assert km.labels_.tolist() == ref["labels"].tolist()
    np.testing.assert_allclose(km.centroids_, ref["centroids"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(km.inertia_history_, ref["history"], rtol=1e-5)
    assert km.n_iter_ == ref["n_iter"]
    assert km.inertia_ == pytest.approx(ref["history"][-1], rel=1e-5)


@pytest.mark.parametrize("init", ["k-means++", "k-means||", "random"])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_inertia_never_increases(init: str, metric: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2000, 16)).astype(np.float32)  # no structure: many iterations
    km = thresher.KMeans(20, init=init, metric=metric, max_iter=50, tol=0.0, seed=3).fit(x)
    history = np.array(km.inertia_history_)
    assert len(history) == km.n_iter_ + 1 and km.n_iter_ > 3
    assert (np.diff(history) <= 1e-6 * history[:-1]).all(), history


@pytest.mark.parametrize("init", ["k-means++", "k-means||"])
def test_recovers_planted_gaussian_clusters(init: str) -> None:
    x, truth = blobs(200, 8, 32, 1.0, 11)
    km = thresher.KMeans(8, init=init, seed=0).fit(x)
    assert adjusted_rand_index(km.labels_, truth) > 0.99
    assert (km.predict(x) == km.labels_).all()


def test_cosine_is_spherical_kmeans() -> None:
    x, _ = blobs(100, 5, 16, 1.0, 4)
    scaled = x * np.random.default_rng(0).uniform(0.1, 10, (len(x), 1)).astype(np.float32)
    a = thresher.KMeans(5, metric="cosine", seed=1).fit(x)
    b = thresher.KMeans(5, metric="cosine", seed=1).fit(scaled)
    np.testing.assert_allclose(np.linalg.norm(a.centroids_, axis=1), 1.0, rtol=1e-5)
    assert adjusted_rand_index(a.labels_, b.labels_) > 0.99
    cos = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ a.centroids_.T
    assert (a.labels_ == cos.argmax(1)).all()
    np.testing.assert_allclose(a.distances_, 1 - cos.max(1), atol=1e-5)


def test_plus_plus_seeding_distribution() -> None:
    """Plain k-means++ (one trial): the first centre is uniform, the second is drawn with
    probability proportional to the squared distance to the first. Chi-square tests at
    alpha = 0.001 over 5,000 seeds."""
    points = np.array([0.0, 1.0, 2.0, 4.0, 6.0], dtype=np.float32)
    x = points[:, None]
    runs = 5000
    counts = np.zeros((5, 5))
    for seed in range(runs):
        c = thresher.KMeans(2, n_local_trials=1, max_iter=0, seed=seed).fit(x).centroids_[:, 0]
        first, second = (int(np.flatnonzero(points == v)[0]) for v in c)
        counts[first, second] += 1
    first = counts.sum(1)
    chi2_first = ((first - runs / 5) ** 2 / (runs / 5)).sum()
    assert chi2_first < 18.47, first  # chi-square(4) 0.999 quantile
    d2 = (points[:, None] - points[None, :]) ** 2
    p = d2 / d2.sum(1, keepdims=True)
    expected = first[:, None] * p
    mask = ~np.eye(5, dtype=bool)
    assert counts[~mask].sum() == 0  # never the same point twice
    chi2 = ((counts[mask] - expected[mask]) ** 2 / expected[mask]).sum()
    assert chi2 < 37.70, counts  # chi-square(15) 0.999 quantile: 4 free cells in each of 5 rows


def test_greedy_plus_plus_beats_random_init() -> None:
    x, _ = blobs(50, 30, 8, 0.5, 2)
    inertia = {
        init: thresher.KMeans(30, init=init, max_iter=0, seed=0).fit(x).inertia_
        for init in ("k-means++", "random")
    }
    assert inertia["k-means++"] < inertia["random"]


def test_float16_input_is_accepted_without_change() -> None:
    x, _ = blobs(100, 3, 24, 1.0, 8)
    half = x.astype(np.float16)
    a = thresher.KMeans(3, seed=2).fit(half)
    b = thresher.KMeans(3, seed=2).fit(half.astype(np.float32))
    assert (a.labels_ == b.labels_).all()
    np.testing.assert_array_equal(a.centroids_, b.centroids_)
    assert (a.predict(half) == b.predict(half.astype(np.float32))).all()


def test_column_slices_are_read_in_place() -> None:
    x, _ = blobs(100, 3, 24, 1.0, 9)
    wide = np.concatenate([x, np.ones_like(x)], axis=1)
    view = wide[:, :24]
    assert not view.flags.c_contiguous
    a = thresher.KMeans(3, seed=0).fit(view)
    b = thresher.KMeans(3, seed=0).fit(np.ascontiguousarray(view))
    np.testing.assert_array_equal(a.centroids_, b.centroids_)


def test_memory_mapped_minibatch(tmp_path: Path) -> None:
    x, truth = blobs(500, 4, 16, 1.0, 10)
    np.save(tmp_path / "emb.npy", x)
    mapped = np.load(tmp_path / "emb.npy", mmap_mode="r")
    km = thresher.KMeans(4, batch_size=256, max_iter=5, seed=0).fit(mapped)
    assert adjusted_rand_index(km.labels_, truth) > 0.99


def test_max_points_per_centroid_subsamples() -> None:
    x, truth = blobs(1000, 4, 8, 1.0, 12)
    km = thresher.KMeans(4, max_points_per_centroid=50, seed=0).fit(x)
    assert len(km.labels_) == len(x)
    assert adjusted_rand_index(km.labels_, truth) > 0.99
    assert km.inertia_ == pytest.approx(float(km.distances_.astype(np.float64).sum()), rel=1e-6)


@pytest.mark.usefixtures("default_threads")
def test_same_result_whatever_the_thread_count() -> None:
    x, _ = blobs(3000, 10, 32, 3.0, 13)
    results = []
    for threads in (1, 2):
        thresher.set_num_threads(threads)
        runs = [
            thresher.KMeans(10, init=init, seed=4, batch_size=batch).fit(x)
            for init, batch in (("k-means++", None), ("k-means||", None), ("k-means++", 500))
        ]
        results.append(runs)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a.centroids_, b.centroids_)
        np.testing.assert_array_equal(a.labels_, b.labels_)
        assert a.inertia_history_ == b.inertia_history_


def test_save_and_load(tmp_path: Path) -> None:
    x, _ = blobs(50, 3, 4, 1.0, 14)
    km = thresher.KMeans(3, metric="cosine").fit(x)
    km.save(tmp_path / "km.npz")
    loaded = thresher.KMeans.load(tmp_path / "km.npz")
    assert loaded.metric == "cosine"
    np.testing.assert_array_equal(loaded.centroids_, km.centroids_)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        thresher.KMeans.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", centroids=np.zeros((2, 2)))
    with pytest.raises(ModelFileError):
        thresher.KMeans.load(tmp_path / "other.npz")
    with pytest.raises(InvalidParameterError, match="not fitted"):
        thresher.KMeans(2).predict(x)


def test_empty_cluster_is_repaired() -> None:
    x, _ = blobs(30, 2, 2, 0.5, 15)
    init = np.array([[0, 0], [1e3, 1e3], [-1e3, -1e3]], dtype=np.float32) + x.mean(0)
    km = thresher.KMeans(3, init=init, max_iter=10).fit(x)
    assert len(np.unique(km.labels_)) == 3
    assert math.isfinite(km.inertia_)
