"""The shape every result object shares: ``table``, ``batches()`` and ``write(path)``.

Results derive from :class:`TableResult` and define ``table`` (built when asked for)
and, when their rows come from a corpus too large to hold, ``batches()`` that yields
them lazily; ``write`` streams ``batches()`` through
:func:`thresher.io.writers.open_output`, so every result writes the same outputs (a
``.parquet``, ``.jsonl``, ``.jsonl.gz`` or ``.jsonl.zst`` file, or a directory of shards
with a manifest, local or at a URL).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = ["StreamedRows", "TableResult"]


class TableResult:
    """Mixin: ``batches()`` from ``table`` and ``write(path)`` streaming ``batches()``."""

    #: The ``kind`` recorded in a sharded output's manifest.
    KIND = "output"

    @property
    def table(self) -> pa.Table:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @property
    def schema(self) -> pa.Schema:
        """The schema of the rows (of :attr:`table` and of each batch)."""
        return self.table.schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows as record batches (those of :attr:`table` unless a subclass
        streams them from its corpus)."""
        yield from self.table.to_batches()

    def write(self, path: str | os.PathLike[str], **options: Any) -> Path | str:
        """Stream :meth:`batches` to ``path``: a file (``.parquet``, ``.jsonl``,
        ``.jsonl.zst``...) or a directory of shards (``out/``), local or a URL;
        ``options`` go to :func:`thresher.io.writers.open_output` (``shard_size``,
        ``format``, ``kind``, ``parameters``, ``inputs``)."""
        from thresher.io.writers import open_output  # imported late: it pulls the I/O stack

        options.setdefault("kind", self.KIND)
        with open_output(path, schema=self.schema, **options) as out:
            for batch in self.batches():
                out.write(batch)
        return out.close()


class StreamedRows(TableResult):
    """Rows of a corpus produced on demand: :meth:`batches` calls ``produce()`` (which
    reads the corpus again), :attr:`table` collects them once when asked for.

    Examples
    --------
    >>> import pyarrow as pa
    >>> rows = StreamedRows(lambda: iter(pa.table({"n": [1, 2]}).to_batches()),
    ...                     pa.schema([("n", pa.int64())]), kind="sample")
    >>> rows.table.num_rows, rows.KIND
    (2, 'sample')
    """

    def __init__(
        self,
        produce: Callable[[], Iterator[pa.RecordBatch]],
        schema: pa.Schema,
        kind: str = "output",
    ) -> None:
        self._produce = produce
        self._schema = schema
        self._table: pa.Table | None = None
        self.KIND = kind

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self._table is not None:
            yield from self._table.to_batches()
        else:
            yield from self._produce()

    @property
    def table(self) -> pa.Table:
        if self._table is None:
            self._table = pa.Table.from_batches(list(self._produce()), schema=self._schema)
        return self._table
