"""Diversity: choose rows that cover the data rather than repeat it.

:mod:`thresher.diversity.select` holds k-center (farthest point) selection, semantic
deduplication and balanced selection over groups; :mod:`thresher.diversity.gme` ranks
items by greedy maximum entropy over categorical columns. ``thresher.select`` and
``thresher.gme`` remain import paths for the two modules.
"""

from thresher.diversity import gme, select
from thresher.diversity.gme import GME, GMERanking
from thresher.diversity.select import Centers, Duplicates, balanced, k_center, semantic_dedup

__all__ = [
    "GME",
    "Centers",
    "Duplicates",
    "GMERanking",
    "balanced",
    "gme",
    "k_center",
    "select",
    "semantic_dedup",
]
