"""The shape every result object shares: a ``table`` property and ``write(path) -> Path``.

Results that are not a table already (:class:`thresher.select.Centers`,
:class:`thresher.GMERanking`...) derive from :class:`TableResult` and define only
``table``; writing goes through :func:`thresher.io.writers.write_table`, so every result
writes the same formats (``.parquet``, ``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

__all__ = ["TableResult"]


class TableResult:
    """Mixin: ``write(path)`` writes ``self.table`` and returns the path written."""

    @property
    def table(self) -> pa.Table:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :attr:`table` to ``path`` (``.parquet``, ``.jsonl``, ``.jsonl.zst``...)."""
        from thresher.io.writers import write_table  # imported late: it pulls the I/O stack

        return write_table(self.table, path)
