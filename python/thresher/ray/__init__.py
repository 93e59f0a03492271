"""thresher on Ray Data: the same selections on a cluster, identical to local runs.

Install with ``pip install 'thresher[ray]'``; the core package never imports ray.

- :func:`read`: files into a Ray Dataset whose rows carry ``thresher_row``, their
  number in a local run (independent of block layout and read order);
  :func:`with_row_ids` numbers an in-memory Dataset in block order.
- :func:`fit` / :func:`select`: DSIR (:meth:`thresher.DSIR.fit` and
  :meth:`~thresher.DSIR.select`) with per-block counts and per-block top-k keys.
- :func:`uniform`, :func:`weighted`, :func:`stratified`, :func:`take`: sampling.
- :func:`dedup`: MinHash LSH near-duplicates with distributed connected components.

Every function gives the local result for the same data and seed, in the local shape:
:func:`select` returns the local :class:`thresher.dsir.Selection`, the samplers a
``pyarrow.Table`` (as :func:`thresher.sample.stratified_rows` and
:func:`thresher.sample.take` do), :func:`dedup` a :class:`RayDeduplication` with the
``table`` / ``write(path) -> Path`` of every thresher result (collected on the driver).
"""

from __future__ import annotations

from thresher.ray._common import ROW
from thresher.ray.dsir import fit, select
from thresher.ray.neardup import RayDeduplication, dedup
from thresher.ray.reader import read, with_row_ids
from thresher.ray.sample import stratified, take, uniform, weighted

__all__ = [
    "ROW",
    "RayDeduplication",
    "dedup",
    "fit",
    "read",
    "select",
    "stratified",
    "take",
    "uniform",
    "weighted",
    "with_row_ids",
]
