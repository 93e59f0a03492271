"""Reading a corpus into a Ray Dataset whose rows carry stable global ids.

A local run numbers rows in stream order: the files in the order
:func:`thresher.read` gives them (a glob expands sorted), rows in file order. Here
each Ray task reads one file with thresher's own readers and tags its rows with the
file's index and the row's offset in the file; once every file is read (the
dataset is materialized in the object store), the per-file row counts give each
file's base, and ``thresher_row = base(file) + offset``: the row's number in the
local run, whatever the block layout or the order in which tasks ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import ray
import ray.data

from thresher import _core, _shared
from thresher.exceptions import invalid_parameter
from thresher.io.sources import DEFAULT_BATCH_SIZE, FileSource, SourceLike
from thresher.io.sources import read as read_local
from thresher.ray._common import ROW, thresher_errors

__all__ = ["read", "with_row_ids"]

_FILE = "thresher_file"
_OFFSET = "thresher_offset"


def _file_batches(
    path: str, fmt: str, schema: pa.Schema, first: str, text_column: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The batches of one file, read as a local run reads it (same schema, errors)."""
    if fmt == "parquet":
        yield from _shared.parquet_batches(path, schema, first, text_column, batch_size)
        return
    files = _core.JsonlFiles([path], text_column or None, batch_size)
    try:
        reader = pa.RecordBatchReader.from_stream(files)
        for batch in reader:
            yield batch if batch.schema == schema else batch.cast(schema)
    except pa.ArrowException:
        # The Rust reader's typed error crossed the C stream as text: read the file
        # natively to raise it whole (file, line, field).
        _core.take_rows(
            _core.JsonlFiles([path], text_column or None, batch_size), np.empty(0, np.int64)
        )
        raise


def _read_files(
    items: pa.Table, fmt: str, schema: pa.Schema, first: str, text_column: str, batch_size: int
) -> Iterator[pa.Table]:
    for index, path in zip(
        items.column("index").to_pylist(), items.column("path").to_pylist(), strict=True
    ):
        offset = 0
        for batch in _file_batches(path, fmt, schema, first, text_column, batch_size):
            n = batch.num_rows
            table = pa.Table.from_batches([batch])
            table = table.append_column(_FILE, pa.array(np.full(n, index, np.int32)))
            table = table.append_column(_OFFSET, pa.array(np.arange(offset, offset + n)))
            offset += n
            yield table


ShuffleChoice = Literal["sort", "current"]


@contextmanager
def _dataset_context(choice: ShuffleChoice) -> Iterator[None]:
    """Make Datasets whose shuffles are task-based sorts (``"sort"``), or with the
    current DataContext's strategy (``"current"``), and whose tasks raise their own
    exceptions.

    A Dataset copies the DataContext when it is made and its derived Datasets keep
    that copy, so the choice made here follows every shuffle of a pipeline that
    starts from :func:`read` (dedup's ``groupby`` rounds, joins), while the global
    context is left as it was. Ray's default hash shuffle starts aggregator actors,
    which cost seconds per shuffle on a small instance (the CLI's dedup of the
    480-document test corpus: 100 s with them, 11 s without).
    """
    if choice not in ("sort", "current"):
        raise invalid_parameter("shuffle", f"must be 'sort' or 'current', got {choice!r}")
    context = ray.data.DataContext.get_current()
    previous = context.shuffle_strategy, context.raise_original_map_exception
    if choice == "sort":
        context.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    # A task's own exception, not Ray Data's UserCodeException wrapper: the wrapper's
    # __cause__ (the thresher error naming the row) does not survive pickling.
    context.raise_original_map_exception = True
    try:
        yield
    finally:
        context.shuffle_strategy, context.raise_original_map_exception = previous


def _file_counts(batch: pa.Table) -> pa.Table:
    files = batch.column(_FILE).to_numpy()
    offsets = batch.column(_OFFSET).to_numpy()
    uniq = np.unique(files)
    last = [int(offsets[files == f].max()) + 1 for f in uniq]
    return pa.table({"file": pa.array(uniq, pa.int32()), "rows": pa.array(last, pa.int64())})


def _number(batch: pa.Table, bases: np.ndarray[Any, Any]) -> pa.Table:
    files = batch.column(_FILE).to_numpy()
    rows = bases[files] + batch.column(_OFFSET).to_numpy()
    batch = batch.drop_columns([_FILE, _OFFSET])
    return batch.append_column(ROW, pa.array(rows.astype(np.int64)))


def read(
    source: SourceLike,
    *,
    text_column: str | None = "text",
    batch_size: int = DEFAULT_BATCH_SIZE,
    ray_remote_args: dict[str, Any] | None = None,
    shuffle: ShuffleChoice = "sort",
) -> ray.data.Dataset:
    """Read JSON Lines or Parquet files into a Ray Dataset with global row ids.

    Parameters
    ----------
    source
        Paths, globs or directories, as :func:`thresher.read` takes them; rows are
        numbered in the order it gives (globs expand sorted).
    text_column
        The text column, checked as a local run checks it (``None``: not needed).
    batch_size
        Rows per block emitted by a read task.
    ray_remote_args
        Passed to the read tasks (e.g. ``{"num_cpus": 1, "max_retries": 3}``).
    shuffle
        ``"sort"`` (default): the Dataset and everything derived from it shuffle by
        task-based sorts, which start no aggregator actors; ``"current"``: keep the
        shuffle strategy of the current ``DataContext``. The global context is not
        changed.

    Returns
    -------
    ray.data.Dataset
        Every column of the files plus ``thresher_row`` (int64), the row's number in
        a local run. The rows are held in the object store (spilled to disk when it
        is full): each file is read once.
    """
    src = read_local(source, text_column=text_column, batch_size=batch_size)
    if not isinstance(src, FileSource):
        raise invalid_parameter(
            "source", "thresher.ray.read reads files; for in-memory data use with_row_ids"
        )
    paths = [str(p) for p in src.paths]
    column = src.text_column
    with thresher_errors(), _dataset_context(shuffle):
        if src.format == "jsonl":
            schema = _core.JsonlFiles(paths[:1], column or None, batch_size).schema
        else:
            schema = _shared.parquet_schema(paths[0])
            _shared.check_text_field(schema, column, paths[0])
        items = ray.data.from_items(
            [{"index": i, "path": p} for i, p in enumerate(paths)],
            override_num_blocks=len(paths),
        )
        tagged = items.map_batches(
            _read_files,
            batch_size=1,
            batch_format="pyarrow",
            fn_kwargs={
                "fmt": src.format,
                "schema": schema,
                "first": paths[0],
                "text_column": column,
                "batch_size": batch_size,
            },
            **(ray_remote_args or {}),
        ).materialize()
        bases = np.zeros(len(paths) + 1, np.int64)
        for batch in tagged.map_batches(_file_counts, batch_format="pyarrow").iter_batches(
            batch_format="pyarrow", batch_size=None
        ):
            for f, n in zip(
                batch.column("file").to_pylist(), batch.column("rows").to_pylist(), strict=True
            ):
                bases[f + 1] = max(bases[f + 1], n)
    bases = np.cumsum(bases)[:-1]
    return tagged.map_batches(
        _number, batch_format="pyarrow", zero_copy_batch=True, fn_kwargs={"bases": bases}
    )


def with_row_ids(dataset: ray.data.Dataset, *, shuffle: ShuffleChoice = "sort") -> ray.data.Dataset:
    """Number the rows of an in-memory Dataset in its block order.

    A Dataset built from memory (``ray.data.from_arrow(tables)``...) has a fixed
    block order, which this numbering follows: the result equals a local run over
    the same rows in that order (e.g. ``pa.concat_tables(tables)``). For files, use
    :func:`read`, whose numbering does not depend on how the files were read.
    ``shuffle`` is as in :func:`read`.
    """
    refs = dataset.to_arrow_refs()
    counts = ray.get([_num_rows.remote(ref) for ref in refs])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    numbered = [_with_rows.remote(ref, int(start)) for ref, start in zip(refs, starts, strict=True)]
    with _dataset_context(shuffle):
        return ray.data.from_arrow_refs(numbered)


@ray.remote  # type: ignore[untyped-decorator]
def _num_rows(table: pa.Table) -> int:
    return int(table.num_rows)


@ray.remote  # type: ignore[untyped-decorator]
def _with_rows(table: pa.Table, start: int) -> pa.Table:
    rows = np.arange(start, start + table.num_rows, dtype=np.int64)
    return table.append_column(ROW, pa.array(rows))
