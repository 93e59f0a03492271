"""Connected components of an edge list on Ray Data, without gathering the edges.

Alternating large-star and small-star rounds (Kiveris et al., "Connected Components
in MapReduce and Beyond", 2014), each a shuffle of the edges by node (a
``groupby`` on ``node % partitions``, every partition handled by numpy). The rounds
end when every node has at most one smaller neighbour and no node has both smaller
and larger neighbours: the graph is then a forest of stars, each centred on its
smallest node, which is the component's id (as the local union-find gives it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import ray.data

from thresher.exceptions import InternalError

__all__ = ["components"]

_BUCKET = "thresher_bucket"
_EDGE_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("dirty", pa.int64())])


def _directed(batch: pa.Table, partitions: int) -> pa.Table:
    """Both directions ``(u, v)`` of every edge, with the bucket of ``u``."""
    keep = batch.column("a").to_numpy() >= 0
    a = batch.column("a").to_numpy()[keep]
    b = batch.column("b").to_numpy()[keep]
    u = np.concatenate([a, b])
    v = np.concatenate([b, a])
    return pa.table({_BUCKET: u % partitions, "u": u, "v": v})


def _edges(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], dirty: int) -> pa.Table:
    """Distinct edges ``(min, max)`` plus one sentinel row ``(-1, -1, dirty)``."""
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    pairs = pairs.reshape(-1, 2)
    return pa.table(
        {
            "a": np.concatenate([pairs[:, 0], [-1]]).astype(np.int64),
            "b": np.concatenate([pairs[:, 1], [-1]]).astype(np.int64),
            "dirty": np.concatenate([np.zeros(len(pairs), np.int64), [dirty]]),
        },
        schema=_EDGE_SCHEMA,
    )


def _grouped(group: pa.Table) -> tuple[npt.NDArray[np.int64], ...]:
    """``u, v`` sorted by ``u`` (distinct), group starts and each row's group."""
    uv = np.unique(
        np.stack([group.column("u").to_numpy(), group.column("v").to_numpy()], axis=1), axis=0
    ).reshape(-1, 2)
    u, v = uv[:, 0], uv[:, 1]
    starts = np.flatnonzero(np.concatenate([[True], u[1:] != u[:-1]]))
    which = np.cumsum(np.concatenate([[False], u[1:] != u[:-1]])) if u.size else u
    return u, v, starts, which


def _large_star(group: pa.Table) -> pa.Table:
    """Every neighbour larger than ``u`` is linked to the smallest of ``u``'s
    neighbourhood (``u`` included)."""
    u, v, starts, which = _grouped(group)
    if u.size == 0:
        return _edges(u, v, 0)
    smallest = np.minimum(np.minimum.reduceat(v, starts), u[starts])[which]
    larger = v > u
    return _edges(smallest[larger], v[larger], 0)


def _small_star(group: pa.Table) -> pa.Table:
    """``u`` and its smaller neighbours are linked to the smallest of them; counts
    the nodes that are not yet leaves or centres of a star."""
    u, v, starts, which = _grouped(group)
    if u.size == 0:
        return _edges(u, v, 0)
    smaller = v < u
    n_smaller = np.add.reduceat(smaller.astype(np.int64), starts)
    n_larger = np.add.reduceat((v > u).astype(np.int64), starts)
    dirty = int(((n_smaller > 1) | ((n_smaller >= 1) & (n_larger >= 1))).sum())
    low = np.where(smaller, v, np.iinfo(np.int64).max)
    m = np.minimum.reduceat(low, starts)[which]
    link = smaller & (v != m)
    nodes = u[starts][n_smaller > 0]
    centres = np.minimum.reduceat(low, starts)[n_smaller > 0]
    return _edges(np.concatenate([m[link], centres]), np.concatenate([v[link], nodes]), dirty)


def _round(edges: ray.data.Dataset, fn: object, partitions: int) -> ray.data.Dataset:
    return (
        edges.map_batches(
            _directed,
            batch_format="pyarrow",
            zero_copy_batch=True,
            fn_kwargs={"partitions": partitions},
        )
        .groupby(_BUCKET, num_partitions=partitions)
        .map_groups(fn, batch_format="pyarrow")
        .materialize()
    )


def _dirty(batch: pa.Table) -> pa.Table:
    return pa.table({"dirty": [int(batch.column("dirty").to_numpy().sum())]})


def _labels(batch: pa.Table) -> pa.Table:
    """``(node, root)`` for every node of a star forest: leaves and centres."""
    keep = batch.column("a").to_numpy() >= 0
    a = batch.column("a").to_numpy()[keep]
    b = batch.column("b").to_numpy()[keep]
    nodes = np.concatenate([b, a])
    roots = np.concatenate([a, a])
    pairs = np.unique(np.stack([nodes, roots], axis=1), axis=0).reshape(-1, 2)
    return pa.table({"node": pairs[:, 0], "root": pairs[:, 1]})


def components(
    edges: ray.data.Dataset, partitions: int, max_rounds: int = 64
) -> tuple[ray.data.Dataset, int]:
    """Label every node that has an edge with its component's smallest node.

    ``edges`` has int64 columns ``a`` and ``b``. Returns a Dataset of ``(node,
    root)`` rows (a root appears with itself; a centre may appear in several blocks,
    always with itself) and the number of rounds run.
    """
    current = edges.map_batches(
        lambda b: pa.table(
            {"a": b.column("a"), "b": b.column("b"), "dirty": np.zeros(b.num_rows, np.int64)},
            schema=_EDGE_SCHEMA,
        ),
        batch_format="pyarrow",
    )
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is returned
        current = _round(current, _large_star, partitions)
        current = _round(current, _small_star, partitions)
        dirty = sum(
            int(b.column("dirty").to_numpy().sum())
            for b in current.map_batches(_dirty, batch_format="pyarrow").iter_batches(
                batch_format="pyarrow", batch_size=None
            )
        )
        if dirty == 0:
            break
    else:  # pragma: no cover - log-depth in practice
        raise InternalError(f"connected components did not converge in {max_rounds} rounds")
    return current.map_batches(_labels, batch_format="pyarrow"), rounds
