"""Clustering of embeddings: k-means and hierarchical k-means with balanced sampling.

The Rust core reads float32 or float16 numpy arrays in place (a memory-mapped ``.npy``
from ``numpy.load(path, mmap_mode="r")`` included, and column slices of wider arrays),
computes distances in blocks on a SIMD matrix-multiply kernel, and gives the same
result for a seed whatever the thread count.

Examples
--------
>>> import numpy as np, thresher
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([rng.normal(c, 0.1, (50, 8)) for c in (0, 5, 10)]).astype(np.float32)
>>> km = thresher.KMeans(3, seed=0).fit(x)
>>> sorted(np.bincount(km.labels_).tolist())
[50, 50, 50]
>>> bool(km.predict(x[:3] + 0.01).tolist() == km.labels_[:3].tolist())
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher.exceptions import (
    InvalidParameterError,
    ModelFileError,
    ReadError,
    invalid_parameter,
)

__all__ = ["Hierarchy", "KMeans", "as_labels", "as_matrix", "hierarchical"]

Metric = Literal["euclidean", "cosine"]
InitName = Literal["k-means++", "k-means||", "random"]

FORMAT = "thresher.kmeans"
FORMAT_VERSION = 1


def as_matrix(x: Any, name: str = "x") -> npt.NDArray[np.float32] | npt.NDArray[np.float16]:
    """``x`` as a 2-D float32 or float16 numpy array, without a copy.

    numpy arrays (and memory maps) of another dtype are rejected rather than silently
    copied; other objects (lists, ...) are converted to float32.

    Examples
    --------
    >>> as_matrix([[1, 2], [3, 4]]).dtype
    dtype('float32')
    >>> as_matrix(np.zeros((2, 3), dtype=np.float64))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thresher.exceptions.InvalidParameterError: invalid x: must be float32 or float16, got ...
    """
    if not isinstance(x, np.ndarray):
        x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise invalid_parameter(
            name, f"must be a 2-D array (rows, dimensions), got shape {x.shape}"
        )
    if x.dtype not in (np.float32, np.float16):
        raise invalid_parameter(
            name,
            f"must be float32 or float16, got {x.dtype}; convert it with "
            f"{name}.astype(np.float32) (a copy)",
        )
    if x.shape[1] == 0:
        raise invalid_parameter(name, "rows have 0 columns")
    return cast("npt.NDArray[np.float32] | npt.NDArray[np.float16]", x)


def as_labels(labels: Any, n: int | None = None, name: str = "labels") -> npt.NDArray[np.uint32]:
    """Cluster labels as a 1-D uint32 array (non-negative integers)."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise invalid_parameter(name, f"must be 1-D, got shape {array.shape}")
    if n is not None and len(array) != n:
        raise invalid_parameter(name, f"has {len(array)} values for {n} rows")
    if len(array) and not np.issubdtype(array.dtype, np.integer):
        raise invalid_parameter(name, f"must be integers, got {array.dtype}")
    if len(array) and (array.min() < 0 or array.max() > np.iinfo(np.uint32).max - 1):
        raise invalid_parameter(name, "must be between 0 and 2**32 - 2")
    return np.ascontiguousarray(array, dtype=np.uint32)


def _positive(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or value <= 0):
        raise invalid_parameter(name, f"must be a positive integer, got {value!r}")


class KMeans:
    """k-means clustering of dense embeddings (Lloyd, or mini-batch).

    Parameters
    ----------
    k
        Number of clusters.
    metric
        ``"euclidean"`` (squared distances) or ``"cosine"`` (spherical k-means: unit-norm
        centroids, distance ``1 - cos``; rows need not be normalised).
    max_iter
        Lloyd iterations (epochs with ``batch_size``); 0 only initialises.
    tol
        Stop when an iteration lowers the inertia by at most ``tol`` times the inertia
        (and always when no label changes).
    seed
        Seed of every random choice; the result does not depend on the thread count.
    init
        ``"k-means++"`` (greedy, ``n_local_trials`` candidates per centroid, as
        scikit-learn), ``"k-means||"`` (cheaper for large k), ``"random"`` (k distinct
        points, as faiss) or a ``(k, d)`` array of initial centroids.
    n_local_trials
        Candidates per k-means++ step (default ``2 + ln k``; 1 is the plain algorithm).
    max_points_per_centroid
        Fit on a random sample of at most ``k * max_points_per_centroid`` points (faiss
        uses 256), then assign all points.
    batch_size
        Mini-batch k-means with batches of this many rows, for data larger than memory
        (pass a memory-mapped ``.npy``).

    Attributes
    ----------
    centroids_, labels_, distances_, inertia_, n_iter_, inertia_history_
        The ``(k, d)`` float32 centroids, the nearest centroid of every point (int64),
        its distance, their sum, the iterations run and the inertia after the
        initialisation and after each iteration.
    """

    def __init__(
        self,
        k: int,
        *,
        metric: Metric = "euclidean",
        max_iter: int = 20,
        tol: float = 1e-4,
        seed: int = 0,
        init: InitName | npt.ArrayLike = "k-means++",
        n_local_trials: int | None = None,
        max_points_per_centroid: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        _positive("k", k)
        _positive("n_local_trials", n_local_trials)
        _positive("max_points_per_centroid", max_points_per_centroid)
        _positive("batch_size", batch_size)
        if metric not in ("euclidean", "cosine"):
            raise invalid_parameter("metric", f"must be 'euclidean' or 'cosine', got {metric!r}")
        if not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
            raise invalid_parameter("max_iter", f"must be an integer >= 0, got {max_iter!r}")
        self.k = int(k)
        self.metric: Metric = metric
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.seed = int(seed)
        self.init = init
        self.n_local_trials = n_local_trials
        self.max_points_per_centroid = max_points_per_centroid
        self.batch_size = batch_size
        self.centroids_: npt.NDArray[np.float32] | None = None
        self.labels_: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self.distances_: npt.NDArray[np.float32] = np.empty(0, dtype=np.float32)
        self.inertia_: float = float("nan")
        self.n_iter_: int = 0
        self.inertia_history_: list[float] = []

    def fit(self, x: npt.ArrayLike) -> KMeans:
        """Cluster the rows of ``x`` (float32 or float16, ``(n, d)``); returns ``self``."""
        matrix = as_matrix(x)
        init_name, given = "k-means++", None
        if isinstance(self.init, str):
            init_name = self.init
        else:
            given = np.ascontiguousarray(self.init, dtype=np.float32)
            if given.ndim != 2:
                raise invalid_parameter("init", f"must be a (k, d) array, got {given.shape}")
        result = _core.kmeans_fit(
            matrix,
            self.k,
            metric=self.metric,
            max_iter=self.max_iter,
            tol=self.tol,
            seed=self.seed,
            init=init_name,
            init_centroids=given,
            n_local_trials=self.n_local_trials,
            max_points_per_centroid=self.max_points_per_centroid,
            batch_size=self.batch_size,
        )
        self._set(result)
        return self

    def _set(self, result: _core.KMeansFit) -> None:
        self.centroids_ = result.centroids
        self.labels_ = result.labels.astype(np.int64)
        self.distances_ = result.distances
        self.inertia_ = float(result.inertia)
        self.n_iter_ = int(result.n_iter)
        self.inertia_history_ = [float(v) for v in result.inertia_history]

    def _fitted(self) -> npt.NDArray[np.float32]:
        if self.centroids_ is None:
            raise InvalidParameterError("this KMeans is not fitted: call fit(x) first")
        return self.centroids_

    def predict(self, x: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The nearest centroid of each row of ``x``."""
        return self.assign(x)[0]

    def assign(
        self, x: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], float]:
        """``(labels, distances, inertia)`` of the rows of ``x`` against the centroids."""
        labels, distances, inertia = _core.kmeans_assign(
            as_matrix(x), self._fitted(), metric=self.metric
        )
        return labels.astype(np.int64), distances, inertia

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the centroids and parameters to a ``.npz`` file (no pickle).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> x = np.arange(20, dtype=np.float32).reshape(10, 2)
        >>> km = KMeans(2, seed=1).fit(x)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "km.npz"
        >>> km.save(path)
        >>> bool((KMeans.load(path).predict(x) == km.labels_).all())
        True
        """
        from thresher.writers import atomic_path

        params = {"k": self.k, "metric": self.metric, "seed": self.seed, "inertia": self.inertia_}
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                format=np.array(FORMAT),
                version=np.array(FORMAT_VERSION),
                params=np.array(json.dumps(params)),
                centroids=self._fitted(),
            )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KMeans:
        """A :class:`KMeans` with the centroids saved by :meth:`save` (it can predict)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["format"]) != FORMAT or int(data["version"]) != FORMAT_VERSION:
                    raise ValueError(f"format {data['format']} version {data['version']}")
                params = json.loads(str(data["params"]))
                centroids = np.ascontiguousarray(data["centroids"], dtype=np.float32)
        except FileNotFoundError as e:
            raise ReadError(f"{path}: no such file") from e
        except (ValueError, KeyError, OSError) as e:
            raise ModelFileError(f"{path}: not a thresher k-means file: {e}") from e
        if centroids.ndim != 2 or len(centroids) != params["k"]:
            raise ModelFileError(f"{path}: centroids of shape {centroids.shape}")
        model = cls(params["k"], metric=params["metric"], seed=params["seed"])
        model.centroids_ = centroids
        model.inertia_ = float(params["inertia"])
        return model


@dataclass
class Hierarchy:
    """Hierarchical k-means: ``levels[0]`` clusters the points, ``levels[l]`` the
    centroids of ``levels[l - 1]``.

    Attributes
    ----------
    levels
        The fitted :class:`KMeans` of each level.
    labels
        ``(n, len(levels))``: the cluster of every point at every level.
    """

    levels: list[KMeans]
    labels: npt.NDArray[np.int64]

    def sample(self, budget: int, *, seed: int = 0) -> npt.NDArray[np.int64]:
        """Balanced sample of ``budget`` points: the same number from every top cluster,
        each split evenly among its children down the levels (clusters too small give
        all their points, the rest goes to the others), random points at the bottom.
        Returns rows in ascending order."""
        if not isinstance(budget, (int, np.integer)) or budget < 0:
            raise invalid_parameter("budget", f"must be an integer >= 0, got {budget!r}")
        parents = [as_labels(level.labels_) for level in self.levels]
        rows = _core.balanced_tree_sample(parents, int(budget), int(seed))
        return rows.astype(np.int64)


def hierarchical(
    x: npt.ArrayLike,
    levels: Sequence[int],
    *,
    metric: Metric = "euclidean",
    max_iter: int = 20,
    tol: float = 1e-4,
    seed: int = 0,
    init: InitName = "k-means++",
    n_local_trials: int | None = None,
    max_points_per_centroid: int | None = None,
) -> Hierarchy:
    """Hierarchical k-means (Vo et al. 2024, automatic data curation): cluster ``x``
    into ``levels[0]`` clusters, their centroids into ``levels[1]``, and so on.

    Examples
    --------
    >>> import numpy as np, thresher
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(c, 0.1, (n, 4)) for c, n in ((0, 90), (9, 10))])
    >>> h = thresher.cluster.hierarchical(x.astype(np.float32), levels=[10, 2])
    >>> rows = h.sample(20)
    >>> int((rows >= 90).sum())  # the small group gets half of the budget
    10
    """
    if isinstance(levels, (int, np.integer)) or not len(levels):
        raise invalid_parameter("levels", "give a list of cluster counts, e.g. [1000, 100]")
    for k in levels:
        _positive("levels", k)
    results = _core.hierarchical_kmeans(
        as_matrix(x),
        [int(k) for k in levels],
        metric=metric,
        max_iter=max_iter,
        tol=tol,
        seed=seed,
        init=init,
        n_local_trials=n_local_trials,
        max_points_per_centroid=max_points_per_centroid,
    )
    fitted = []
    for k, result in zip(levels, results, strict=True):
        model = KMeans(int(k), metric=metric, max_iter=max_iter, tol=tol, seed=seed)
        model._set(result)
        fitted.append(model)
    labels = np.empty((len(fitted[0].labels_), len(fitted)), dtype=np.int64)
    labels[:, 0] = fitted[0].labels_
    for level in range(1, len(fitted)):
        labels[:, level] = fitted[level].labels_[labels[:, level - 1]]
    return Hierarchy(fitted, labels)
