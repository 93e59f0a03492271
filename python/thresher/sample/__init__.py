"""Sampling: uniform, weighted, stratified, reservoirs over streams, mixtures.

Every function takes an explicit ``seed`` and gives the same result for it whatever
the thread count (see :func:`thresher.set_num_threads`) or the way a stream is cut
into batches. Indices come back as sorted ``int64`` numpy arrays (draws with
replacement come in draw order).

One module per concept: :mod:`~thresher.sample.uniform`, :mod:`~thresher.sample.weighted`
(with the mergeable reservoir), :mod:`~thresher.sample.stream` (one-pass reservoirs over
a corpus, ``take``), :mod:`~thresher.sample.stratified`, :mod:`~thresher.sample.allocation`
(the per-group allocation vocabulary shared with ``select.balanced`` and
``mixing.static_mixture``) and :mod:`~thresher.sample.mixture`; every public name is
importable from ``thresher.sample``.

Examples
--------
>>> import numpy as np
>>> from thresher import sample
>>> sample.uniform(10, 3, seed=0).tolist()
[0, 5, 7]
>>> sample.weighted(np.array([0.0, 5.0, 1.0, 5.0]), 2, seed=0).tolist()
[1, 3]
"""

from __future__ import annotations

# The family is split by concept; this module keeps every public name (and the private
# helpers other modules import).
from thresher.rs2 import RS2Sampler
from thresher.sample._common import Indices as Indices
from thresher.sample._common import WeightsLike as WeightsLike
from thresher.sample.allocation import Allocation, allocate
from thresher.sample.allocation import group_quotas as group_quotas
from thresher.sample.mixture import mixture, unimax
from thresher.sample.stratified import _Groups as _Groups
from thresher.sample.stratified import stratified, stratified_rows, stratified_stream
from thresher.sample.stream import reservoir, take, take_batches
from thresher.sample.uniform import uniform
from thresher.sample.weighted import WeightedReservoir, weighted
from thresher.schedules import CooldownSchedule, DomainUpsampling

__all__ = [
    "Allocation",
    "CooldownSchedule",
    "DomainUpsampling",
    "RS2Sampler",
    "WeightedReservoir",
    "allocate",
    "mixture",
    "reservoir",
    "stratified",
    "stratified_rows",
    "stratified_stream",
    "take",
    "take_batches",
    "uniform",
    "unimax",
    "weighted",
]
