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
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher import _validation as check
from thresher._persist import Persistent, State
from thresher.exceptions import (
    InvalidParameterError,
    ModelFileError,
    invalid_parameter,
)

__all__ = ["Hierarchy", "KMeans", "as_labels", "as_matrix", "hierarchical"]

Metric = Literal["euclidean", "cosine"]
InitName = Literal["k-means++", "k-means||", "random"]

FORMAT = "thresher.kmeans"
FORMAT_VERSION = 2


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


class KMeans(Persistent):
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
        check.positive_count("k", k)
        check.optional_count("n_local_trials", n_local_trials, minimum=1)
        check.optional_count("max_points_per_centroid", max_points_per_centroid, minimum=1)
        check.optional_count("batch_size", batch_size, minimum=1)
        self.k = int(k)
        self.metric: Metric = check.choice("metric", metric, ("euclidean", "cosine"))
        self.max_iter = check.count("max_iter", max_iter)
        self.tol = float(tol)
        self.seed = check.seed(seed)
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

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted model to a ``.npz`` file (no pickle); returns ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> x = np.arange(20, dtype=np.float32).reshape(10, 2)
        >>> km = KMeans(2, seed=1).fit(x)
        >>> path = km.save(pathlib.Path(tempfile.mkdtemp()) / "km.npz")
        >>> bool((KMeans.load(path).predict(x) == km.labels_).all())
        True
        """
        self._fitted()
        return super().save(path)

    # Saved and pickled through thresher._persist; version 1 files (centroids and
    # four parameters, no header) still load.
    FORMAT = FORMAT
    FORMAT_VERSION = FORMAT_VERSION

    def _to_state(self) -> State:
        header = {
            "k": self.k,
            "metric": self.metric,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "seed": self.seed,
            "init": self.init if isinstance(self.init, str) else None,
            "n_local_trials": self.n_local_trials,
            "max_points_per_centroid": self.max_points_per_centroid,
            "batch_size": self.batch_size,
            "inertia": self.inertia_,
            "n_iter": self.n_iter_,
            "inertia_history": self.inertia_history_,
        }
        arrays: dict[str, npt.NDArray[Any]] = {}
        if not isinstance(self.init, str):
            arrays["init"] = np.asarray(self.init)
        if self.centroids_ is not None:
            arrays.update(centroids=self.centroids_, labels=self.labels_, distances=self.distances_)
        return header, arrays

    @classmethod
    def _upgrade(cls, arrays: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        if "header" in arrays or "params" not in arrays or str(arrays.get("format")) != FORMAT:
            return arrays
        if int(arrays["version"]) != 1:
            return arrays  # an unknown layout: the header check names it
        params = json.loads(str(arrays["params"]))
        header = {"format": FORMAT, "version": FORMAT_VERSION, **params}
        return {"header": np.array(json.dumps(header)), "centroids": arrays["centroids"]}

    @classmethod
    def _from_state(cls, header: dict[str, Any], arrays: dict[str, Any], where: str) -> KMeans:
        init = header.get("init") or "k-means++"
        model = cls(
            header["k"],
            metric=header["metric"],
            max_iter=header.get("max_iter", 20),
            tol=header.get("tol", 1e-4),
            seed=header["seed"],
            init=arrays.get("init", init),
            n_local_trials=header.get("n_local_trials"),
            max_points_per_centroid=header.get("max_points_per_centroid"),
            batch_size=header.get("batch_size"),
        )
        model.inertia_ = float(header["inertia"])
        model.n_iter_ = int(header.get("n_iter", 0))
        model.inertia_history_ = [float(v) for v in header.get("inertia_history", [])]
        if "centroids" not in arrays:
            return model
        centroids = np.ascontiguousarray(arrays["centroids"], dtype=np.float32)
        if centroids.ndim != 2 or len(centroids) != model.k:
            raise ModelFileError(f"{where}: centroids of shape {centroids.shape}")
        model.centroids_ = centroids
        if "labels" in arrays:
            model.labels_ = np.asarray(arrays["labels"], dtype=np.int64)
            model.distances_ = np.asarray(arrays["distances"], dtype=np.float32)
        return model


@dataclass
class Hierarchy(Persistent):
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

    def sample(
        self, k: int | None = None, *, seed: int = 0, budget: int | None = None
    ) -> npt.NDArray[np.int64]:
        """Balanced sample of ``k`` points: the same number from every top cluster,
        each split evenly among its children down the levels (clusters too small give
        all their points, the rest goes to the others), random points at the bottom.
        Returns rows in ascending order. ``budget`` is the old name of ``k``
        (deprecated: warns)."""
        k = check.renamed("budget", budget, "k", k)
        if k is None:
            raise invalid_parameter("k", "give the number of points to sample")
        k = check.count("k", k)
        parents = [as_labels(level.labels_) for level in self.levels]
        rows = _core.balanced_tree_sample(parents, k, check.seed(seed))
        return rows.astype(np.int64)

    # Saved and pickled through thresher._persist: each level's KMeans state, its
    # arrays prefixed by the level.
    FORMAT = "thresher.hierarchical-kmeans"
    FORMAT_VERSION = 1

    def _to_state(self) -> State:
        headers, arrays = [], {"labels": self.labels}
        for level, model in enumerate(self.levels):
            header, parts = model._to_state()
            headers.append(header)
            arrays.update({f"level{level}.{name}": a for name, a in parts.items()})
        return {"levels": headers}, arrays

    @classmethod
    def _from_state(cls, header: dict[str, Any], arrays: dict[str, Any], where: str) -> Hierarchy:
        levels = []
        for level, part in enumerate(header["levels"]):
            prefix = f"level{level}."
            mine = {n[len(prefix) :]: a for n, a in arrays.items() if n.startswith(prefix)}
            levels.append(KMeans._from_state(part, mine, where))
        labels = np.asarray(arrays["labels"], dtype=np.int64)
        if labels.ndim != 2 or labels.shape[1] != len(levels):
            raise ModelFileError(f"{where}: labels of shape {labels.shape}")
        return cls(levels, labels)


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
        check.positive_count("levels", k)
    results = _core.hierarchical_kmeans(
        as_matrix(x),
        [int(k) for k in levels],
        metric=metric,
        max_iter=max_iter,
        tol=tol,
        seed=check.seed(seed),
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
