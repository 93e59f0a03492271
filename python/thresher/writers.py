"""Old home of :mod:`thresher.io.writers`, kept so ``thresher.writers`` imports work."""

from thresher.io.writers import atomic_path, write_table

__all__ = ["atomic_path", "write_table"]
