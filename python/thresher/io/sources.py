"""Where documents come from: files, globs, directories and in-memory Arrow data.

:func:`read` turns what a user has into a :class:`Source`, which hands out Arrow
record-batch streams on demand. Files are read in a fixed order (sorted glob and
directory listings), so a row's position, and thus every seeded selection, is the same
from run to run. JSON Lines (plain, ``.gz``, ``.zst``) is parsed in Rust; Parquet by
pyarrow; tables (pyarrow, polars, Hugging Face ``datasets``) are streamed chunk by chunk
without a copy.

Paths may be URLs of any fsspec protocol (``s3://bucket/corpus/*.jsonl.zst``,
``gs://...``, ``memory://...``; see :mod:`thresher.io.remote`): globs and directories are
expanded through fsspec, Parquet files are read by pyarrow through the fsspec file, and
JSON Lines files are downloaded once (still compressed) into a temporary spill
directory that the Rust reader reads; it is deleted with the :class:`Source`. Rows,
their order and the line numbers in error messages (which name the URL) are those of a
local read of the same files.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeGuard, TypeVar, Union, cast, runtime_checkable

import pyarrow as pa
import pyarrow.parquet as pq

from thresher import _core
from thresher.exceptions import (
    FieldTypeError,
    InvalidParameterError,
    MissingFieldError,
    ReadError,
    ThresherError,
    invalid_parameter,
    located,
)
from thresher.io import remote

__all__ = [
    "ArrowStreamExportable",
    "Source",
    "SourceLike",
    "call_kernel",
    "expand_paths",
    "is_paths",
    "read",
]

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
COMPRESSION_SUFFIXES = (".gz", ".zst", ".zstd")
PARQUET_SUFFIXES = (".parquet", ".pq")
DEFAULT_BATCH_SIZE = 8192


@runtime_checkable
class ArrowStreamExportable(Protocol):
    """Anything that exports an Arrow C stream (pyarrow, polars, duckdb, nanoarrow...)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


PathLike = Union[str, "os.PathLike[str]"]
SourceLike = Union[PathLike, Sequence[PathLike], ArrowStreamExportable, "Source", Any]


def file_format(path: PathLike) -> str:
    """``"jsonl"`` or ``"parquet"`` from a file name (compression suffixes allowed).

    Examples
    --------
    >>> file_format("shard-0001.jsonl.zst"), file_format("part.parquet")
    ('jsonl', 'parquet')
    """
    name = Path(path).name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise InvalidParameterError(
        f"cannot tell the format of {os.fspath(path)!r}: expected .jsonl/.json/.ndjson "
        "(optionally .gz or .zst) or .parquet"
    )


def _expand(pattern: PathLike) -> list[str]:
    text = os.fspath(pattern)
    shards = _output_shards(text)
    if shards is not None:
        return shards
    if remote.is_url(text):
        return remote.expand_url(text, _known)
    if glob.has_magic(text):
        matches = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
        if not matches:
            raise located(ReadError, f"{text}: no file matches this pattern", path=text)
        return matches
    if os.path.isdir(text):
        found = sorted(
            os.path.join(root, name)
            for root, _, names in os.walk(text)
            for name in names
            if not name.startswith(".") and _known(name)
        )
        if not found:
            message = f"{text}: directory holds no .jsonl(.gz/.zst) or .parquet file"
            raise located(ReadError, message, path=text)
        return found
    if not os.path.exists(text):
        raise located(ReadError, f"{text}: no such file or directory", path=text)
    return [text]


def _output_shards(text: str) -> list[str] | None:
    """The shards of a thresher output directory (one holding ``manifest.json``), in
    the manifest's order; ``None`` for any other path. An output whose manifest says
    it is incomplete is refused."""
    from thresher.io.manifest import MANIFEST_NAME, Manifest

    if glob.has_magic(text):
        return None
    manifest_path = remote.join(text, MANIFEST_NAME)
    if remote.is_url(text):
        fs, inner = remote.filesystem(manifest_path)
        if not fs.isfile(inner):
            return None
    elif not os.path.isfile(manifest_path):
        return None
    manifest = Manifest.load(text)
    if not manifest.complete:
        message = (
            f"{text}: this output is incomplete (its manifest says complete: false; "
            "the run that wrote it failed or is still going)"
        )
        raise located(ReadError, message, path=manifest_path)
    return [remote.join(text, shard.name) for shard in manifest.shards]


def is_paths(source: object) -> TypeGuard[PathLike | Sequence[PathLike]]:
    """Whether ``source`` is a path or a non-empty list of paths (not in-memory data).

    Examples
    --------
    >>> is_paths("data/*.jsonl"), is_paths(["a.parquet"]), is_paths([])
    (True, True, False)
    """
    if isinstance(source, (str, os.PathLike)):
        return True
    return (
        isinstance(source, Sequence)
        and len(source) > 0
        and all(isinstance(p, (str, os.PathLike)) for p in source)
    )


def expand_paths(source: PathLike | Sequence[PathLike]) -> list[str]:
    """The files that a path, glob or directory, or a list of them, names, in the
    fixed order they are read (sorted glob and directory listings)."""
    items = [source] if isinstance(source, (str, os.PathLike)) else source
    return [p for item in items for p in _expand(item)]


def _known(name: str) -> bool:
    try:
        file_format(name)
    except InvalidParameterError:
        return False
    return True


class Source:
    """A corpus that can be streamed as Arrow record batches, possibly several times.

    Use :func:`read` to make one. ``text_column`` names the column holding the text;
    it is ``""`` for a source read with ``text_column=None`` (no text required).
    """

    def __init__(self, text_column: str | None = "text") -> None:
        self.text_column = text_column or ""
        self._error: ThresherError | None = None

    def relocate(self, error: ThresherError) -> None:
        """Make ``error`` name the user's file where it names a local stand-in (the
        spilled copy of a remote file); nothing to do for local sources."""

    def take_error(self) -> ThresherError | None:
        """The error Python code raised while producing batches, if any (it reached the
        Rust kernel through the Arrow C stream as text; this gives it back whole)."""
        error, self._error = self._error, None
        return error

    def stream(self) -> ArrowStreamExportable:
        """A new Arrow stream over the whole corpus, in its fixed row order."""
        raise NotImplementedError

    def to_reader(self) -> pa.RecordBatchReader:
        """The corpus as a ``pyarrow.RecordBatchReader``."""
        return pa.RecordBatchReader.from_stream(self.stream())

    @property
    def reopenable(self) -> bool:
        """Whether :meth:`stream` can be called more than once."""
        return True

    @property
    def total_bytes(self) -> int | None:
        """Bytes of text to expect, when known cheaply (for progress bars)."""
        return None

    def describe(self) -> str:
        """A short human description, for logs and summaries."""
        return type(self).__name__


class FileSource(Source):
    """JSON Lines or Parquet files, read in the given order."""

    def __init__(self, paths: list[str], text_column: str | None, batch_size: int) -> None:
        super().__init__(text_column)
        formats = {file_format(p) for p in paths}
        if len(formats) > 1:
            raise InvalidParameterError(
                "a source mixes JSON Lines and Parquet files; read them as separate sources"
            )
        self.paths = paths
        self.format = formats.pop()
        self.batch_size = batch_size
        self._spilled: dict[str, str] = {}  # URL -> local copy (remote JSON Lines)

    def stream(self) -> ArrowStreamExportable:
        if self.format == "jsonl":
            paths = [self._local(p) for p in self.paths]
            return _core.JsonlFiles(paths, self.text_column or None, self.batch_size)
        return cast(ArrowStreamExportable, self._parquet_stream())

    def to_reader(self) -> pa.RecordBatchReader:
        reader = super().to_reader()
        if self.format != "jsonl" and not self._spilled:
            return reader
        # The local copies are deleted with this source: the reader keeps it alive.
        # A bad line reaches pyarrow as text only: it is raised typed, naming its line.
        return pa.RecordBatchReader.from_batches(reader.schema, _typed_errors(reader, self))

    def _local(self, path: str) -> str:
        """``path``, or for a URL its local copy (downloaded on first use)."""
        if not remote.is_url(path):
            return path
        if path not in self._spilled:
            if not self._spilled:
                self._spill_dir = tempfile.mkdtemp(prefix="thresher-remote-")
                weakref.finalize(self, shutil.rmtree, self._spill_dir, True)
            # The name keeps the suffix, which tells the reader the compression.
            local = os.path.join(
                self._spill_dir, f"{len(self._spilled):05d}-{remote.basename(path)}"
            )
            _download(path, local)
            self._spilled[path] = local
        return self._spilled[path]

    def relocate(self, error: ThresherError) -> None:
        for url, local in self._spilled.items():
            if error.path == local:
                error.path = url
            if error.args and isinstance(error.args[0], str) and local in error.args[0]:
                error.args = (error.args[0].replace(local, url), *error.args[1:])

    @property
    def total_bytes(self) -> int | None:
        if any(p.lower().endswith(COMPRESSION_SUFFIXES) for p in self.paths):
            return None
        if any(remote.is_url(p) for p in self.paths):
            return None
        return sum(os.path.getsize(p) for p in self.paths)

    def _parquet_stream(self) -> pa.RecordBatchReader:
        paths, text_column = self.paths, self.text_column
        schema = _parquet_schema(paths[0])
        _check_text_field(schema, text_column, paths[0])

        def generate() -> Iterator[pa.RecordBatch]:
            try:
                for path in paths:
                    yield from _parquet_batches(
                        path, schema, paths[0], text_column, self.batch_size
                    )
            except ThresherError as e:
                self._error = e
                raise

        return pa.RecordBatchReader.from_batches(schema, generate())

    def describe(self) -> str:
        first = self.paths[0]
        more = f" and {len(self.paths) - 1} more" if len(self.paths) > 1 else ""
        return f"{first}{more}"


def _download(url: str, local: str) -> None:
    fs, inner = remote.filesystem(url)
    try:
        fs.get_file(inner, local)
    except OSError as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(local)
        raise located(ReadError, f"{url}: cannot download it ({e})", path=url) from e


@contextlib.contextmanager
def _open_parquet(path: str) -> Iterator[pq.ParquetFile]:
    """``path`` (local or a URL, read through its fsspec file) opened as Parquet."""
    with contextlib.ExitStack() as stack:
        try:
            source: Any = path
            if remote.is_url(path):
                fs, inner = remote.filesystem(path)
                source = stack.enter_context(fs.open(inner, "rb"))
            file = stack.enter_context(pq.ParquetFile(source))
        except (OSError, pa.ArrowException) as e:
            message = f"{path}: not a readable Parquet file ({_one_line(e)})"
            raise located(ReadError, message, path=path) from e
        yield file


def _one_line(error: BaseException) -> str:
    """pyarrow's message of ``error`` on one line (it may span several, end with a
    newline, or carry a trailing ``.``)."""
    parts = [part.strip() for part in str(error).splitlines()]
    return "; ".join(part.rstrip(".") for part in parts if part)


def _typed_errors(reader: pa.RecordBatchReader, source: FileSource) -> Iterator[pa.RecordBatch]:
    """``reader``'s batches; if the Rust reader fails, the error crossed the Arrow C
    stream as text (``ArrowInvalid``): the files are read again by a Rust consumer up to
    the fault, which raises the typed error (ParseError, FieldTypeError... with the
    file and line). Only a failing read pays for the second read."""
    try:
        yield from reader
    except pa.ArrowException:
        call_kernel(source, _core.collect_columns, source.stream(), [], None)
        raise  # the second read succeeded (the file changed meanwhile): the original


def _parquet_schema(path: str) -> pa.Schema:
    with _open_parquet(path) as file:
        return file.schema_arrow


def _parquet_batches(
    path: str, schema: pa.Schema, first_path: str, text_column: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    with _open_parquet(path) as file:
        if not file.schema_arrow.equals(schema):
            message = (
                f"{path}: schema differs from {first_path}:\n{file.schema_arrow}\nvs\n{schema}"
            )
            raise located(FieldTypeError, message, path=path)
        offset = 0
        for batch in _checked_batches(file, path, batch_size):
            text = batch.column(text_column) if text_column else None
            if text is not None and text.null_count:
                first = offset + text.is_null().to_pylist().index(True)
                message = f"{path}: row {first}: field {text_column!r} is null"
                raise located(MissingFieldError, message, path=path, row=first, field=text_column)
            offset += batch.num_rows
            yield batch


def _checked_batches(file: pq.ParquetFile, path: str, batch_size: int) -> Iterator[pa.RecordBatch]:
    """``file``'s batches; corrupt data met while reading them is a one-line
    :class:`ReadError` naming the file and the rows read before it."""
    batches, rows = file.iter_batches(batch_size=batch_size), 0
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as e:
            message = f"{path}: not a readable Parquet file after row {rows} ({_one_line(e)})"
            raise located(ReadError, message, path=path, row=rows) from e
        rows += batch.num_rows
        yield batch


def _check_text_field(schema: pa.Schema, text_column: str, where: str) -> None:
    if not text_column:  # read with text_column=None: no text required
        return
    index = schema.get_field_index(text_column)
    if index < 0:
        message = f"{where}: no column {text_column!r} (columns: {', '.join(schema.names)})"
        raise located(MissingFieldError, message, field=text_column)
    kind = schema.field(index).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_view(kind)):
        message = f"{where}: column {text_column!r} must be a string column, not {kind}"
        raise located(FieldTypeError, message, field=text_column)


def _is_view(kind: pa.DataType) -> bool:
    return bool(getattr(pa.types, "is_string_view", lambda _: False)(kind))


class TableSource(Source):
    """An in-memory table (pyarrow Table or RecordBatch, polars, pandas-exported...)."""

    def __init__(self, table: Any, text_column: str | None, description: str) -> None:
        super().__init__(text_column)
        self.table = table
        self._description = description
        schema = pa.schema(pa.RecordBatchReader.from_stream(table).schema)
        _check_text_field(schema, self.text_column, description)

    def stream(self) -> ArrowStreamExportable:
        return cast(ArrowStreamExportable, self.table)

    def describe(self) -> str:
        return self._description


_CONSUMED: weakref.WeakSet[Any] = weakref.WeakSet()


class StreamSource(Source):
    """A one-shot stream (``pyarrow.RecordBatchReader`` or another C stream)."""

    def __init__(self, stream: Any, text_column: str | None) -> None:
        super().__init__(text_column)
        self._stream: Any = stream
        if _was_consumed(stream):
            raise _consumed_error()

    @property
    def reopenable(self) -> bool:
        return False

    def stream(self) -> ArrowStreamExportable:
        if self._stream is None:
            raise _consumed_error()
        stream, self._stream = self._stream, None
        with contextlib.suppress(TypeError):  # objects without weak references
            _CONSUMED.add(stream)
        reader = pa.RecordBatchReader.from_stream(stream)
        _check_text_field(reader.schema, self.text_column, "stream")
        return cast(ArrowStreamExportable, reader)

    def describe(self) -> str:
        return "stream"


def _was_consumed(stream: Any) -> bool:
    try:
        return stream in _CONSUMED
    except TypeError:
        return False


def _consumed_error() -> InvalidParameterError:
    return invalid_parameter(
        "source",
        "this one-shot stream was already read (a RecordBatchReader can be read once); "
        "pass a table or files to read a corpus more than once",
    )


def _hf_table(obj: Any) -> Any:
    """The Arrow table behind a Hugging Face ``datasets.Dataset``, if ``obj`` is one."""
    module = type(obj).__module__ or ""
    if not module.startswith("datasets"):
        return None
    name = type(obj).__name__
    if name in ("DatasetDict", "IterableDatasetDict"):
        raise InvalidParameterError(
            f"got a {name} with splits {list(obj)}: pass one split, e.g. ds['train']"
        )
    if name == "IterableDataset":
        raise InvalidParameterError(
            "streaming IterableDataset is not supported: load the dataset without "
            "streaming=True, or pass its files"
        )
    data = getattr(obj, "data", None)
    table = getattr(data, "table", None)
    if table is None:
        return None
    # A Dataset with selected indices views rows of its table; flatten the view first.
    if getattr(obj, "_indices", None) is not None:
        table = obj.flatten_indices().data.table
    return table


def read(
    source: SourceLike,
    *,
    text_column: str | None = "text",
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Source:
    """Make a :class:`Source` from paths or in-memory data.

    Parameters
    ----------
    source
        A path, glob (``"data/*.jsonl.zst"``, ``**`` allowed) or directory, a list of
        them, or an in-memory object: ``pyarrow.Table`` / ``RecordBatch`` /
        ``RecordBatchReader``, ``polars.DataFrame``, ``datasets.Dataset``, or anything
        exporting ``__arrow_c_stream__``. A :class:`Source` is returned as is.
    text_column
        The column holding the documents' text; ``None`` when no text column is
        needed (sampling rows of any table).
    batch_size
        Rows per record batch when reading files.

    Examples
    --------
    >>> import pyarrow as pa
    >>> src = read(pa.table({"text": ["a b", "c d"], "id": [1, 2]}))
    >>> src.to_reader().read_all().num_rows
    2
    """
    if isinstance(source, Source):
        return source
    if batch_size < 1:
        raise invalid_parameter("batch_size", f"must be at least 1, got {batch_size}")
    if is_paths(source):
        return FileSource(expand_paths(source), text_column, batch_size)
    hf = _hf_table(source)
    if hf is not None:
        return TableSource(hf, text_column, "datasets.Dataset")
    if isinstance(source, pa.RecordBatchReader):
        return StreamSource(source, text_column)
    if isinstance(source, pa.RecordBatch):
        return TableSource(pa.Table.from_batches([source]), text_column, "pyarrow.RecordBatch")
    if isinstance(source, pa.Table):
        return TableSource(source, text_column, "pyarrow.Table")
    if hasattr(source, "__arrow_c_stream__"):
        kind = type(source).__module__.split(".")[0] + "." + type(source).__name__
        if "Reader" in type(source).__name__ or "Stream" in type(source).__name__:
            return StreamSource(source, text_column)
        return TableSource(source, text_column, kind)
    raise InvalidParameterError(
        f"cannot read documents from a {type(source).__name__}: pass paths, a pyarrow "
        "Table, a polars DataFrame, a datasets.Dataset or an Arrow stream"
    )


_T = TypeVar("_T")


def call_kernel(source: Source, kernel: Callable[..., _T], *args: Any) -> _T:
    """Run a kernel on ``source``'s stream; an error raised while Python produced its
    batches (it crossed the Arrow C stream as text) is re-raised as it was."""
    try:
        return kernel(*args)
    except ThresherError as error:
        pending = source.take_error()
        if pending is not None:
            raise pending from None
        source.relocate(error)
        raise
