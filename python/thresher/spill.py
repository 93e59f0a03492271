"""Old home of :mod:`thresher.io.spill`, kept so ``thresher.spill`` imports work."""

from thresher.io.spill import CachePolicy, RawCache

__all__ = ["CachePolicy", "RawCache"]
