"""Outputs that never look complete before they are: single files and sharded directories.

:func:`open_output` returns an :class:`OutputWriter` that takes record batches one at a
time, so no output is ever held whole in memory:

- a **file** (``out.parquet``, ``out.jsonl``, ``out.jsonl.gz``, ``out.jsonl.zst``) is
  written under a hidden temporary name beside it and renamed onto it by
  :meth:`~OutputWriter.close`;
- a **directory** (a path ending in ``/``, an existing directory, or a name without a
  suffix) receives shards ``part-00000.parquet``, ``part-00001.parquet``... of at most
  ``shard_size`` bytes of Arrow data each (each written under a temporary name and
  renamed when full) and a ``manifest.json`` (:mod:`thresher.io.manifest`) rewritten
  with ``complete: false`` when the output is opened and after each shard, and with
  ``complete: true`` once it is closed.

Re-writing a directory replaces its old output as a whole: the new manifest (``complete:
false``) goes first, then the old ``part-*`` files are deleted, then the new shards are
written. A run killed at any point therefore leaves a manifest saying ``complete:
false``, never an old manifest next to new shards or a mix of old and new shards under a
complete one. (Writing into a sibling ``DIR.tmp`` and renaming was the alternative; it
cannot be done atomically on object stores, where this way works the same.) A
directory holding ``part-*`` files but no thresher manifest (someone else's data) is
refused with :class:`~thresher.exceptions.WriteError`, never cleared.

A URL (``s3://``, ``gs://``, ``memory://``... any fsspec protocol, see
:mod:`thresher.io.remote`) is staged locally: each shard, and a single file, is written
to a local temporary directory and uploaded once complete, then deleted locally; the
manifest is uploaded after each shard.

Examples
--------
>>> import tempfile, pathlib, pyarrow as pa
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> batch = pa.record_batch({"text": ["a", "b", "c"], "n": [1, 2, 3]})
>>> with open_output(d / "out/", shard_size=1) as out:
...     out.write(batch)
>>> sorted(p.name for p in (d / "out").iterdir())
['manifest.json', 'part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']
>>> from thresher.io.manifest import Manifest
>>> m = Manifest.load(d / "out")
>>> m.complete, [s.rows for s in m.shards]
(True, [1, 1, 1])
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Union

import pyarrow as pa
import pyarrow.parquet as pq

from thresher import _core
from thresher.exceptions import (
    InvalidParameterError,
    ManifestError,
    SchemaMismatchError,
    WriteError,
    invalid_parameter,
    located,
)
from thresher.io import remote
from thresher.io.manifest import (
    InputFile,
    Manifest,
    ShardInfo,
    describe_inputs,
    sha256_file,
)

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "FORMATS",
    "OutputWriter",
    "atomic_path",
    "open_output",
    "parse_size",
    "write_part",
    "write_table",
]

#: Arrow bytes per shard when ``shard_size`` is not given: 256 MiB.
DEFAULT_SHARD_SIZE = 256 << 20

#: Arrow bytes gathered into one Parquet row group: 32 MiB.
ROW_GROUP_BYTES = 32 << 20

#: Output formats by name, and the file suffix of each.
FORMATS = {
    "parquet": ".parquet",
    "jsonl": ".jsonl",
    "jsonl.gz": ".jsonl.gz",
    "jsonl.zst": ".jsonl.zst",
}

_SHARD = re.compile(r"^(part-\d{5,}\.|\.part-\d{5,}\.)")
_TEMP_COUNTER = itertools.count()

Destination = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "out.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "out.txt").read_text()
    'done'
    """
    final = Path(path)
    _check_directory(final)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def parse_size(value: int | str) -> int:
    """A size in bytes from an integer or a string such as ``"512MB"`` or ``"1GiB"``.

    ``kB``, ``MB``, ``GB``, ``TB`` are powers of 1000; ``KiB``, ``MiB``, ``GiB``,
    ``TiB`` and the bare ``K``, ``M``, ``G``, ``T`` powers of 1024 (case does not
    matter).

    Examples
    --------
    >>> parse_size("512MB"), parse_size("256MiB"), parse_size("64k"), parse_size(100)
    (512000000, 268435456, 65536, 100)
    """
    if isinstance(value, bool):
        raise invalid_parameter("shard_size", f"must be a size in bytes, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*", str(value), re.IGNORECASE)
        if match is None:
            message = f"must be a size such as 512MB, 1GiB or 1000000, got {value!r}"
            raise invalid_parameter("shard_size", message)
        unit = match.group(2).lower()
        power = "bkmgt".index(unit[0]) if unit and unit[0] != "b" else 0
        base = 1000 if unit.endswith("b") and not unit.endswith("ib") and power else 1024
        number = int(float(match.group(1)) * base**power)
    if number < 1:
        raise invalid_parameter("shard_size", f"must be at least 1 byte, got {value!r}")
    return number


def _check_directory(final: Path) -> None:
    if not final.parent.exists():
        message = f"{final}: directory {final.parent} does not exist"
        raise located(WriteError, message, path=str(final))


def _text(path: Destination) -> str:
    return path if isinstance(path, str) else os.fspath(path)


def _format_of(name: str) -> str | None:
    """The output format a file name's suffix names, or ``None``."""
    lower = name.lower()
    for fmt, suffix in sorted(FORMATS.items(), key=lambda item: -len(item[1])):
        if lower.endswith(suffix):
            return fmt
    if lower.endswith(".jsonl.zstd"):
        return "jsonl.zst"
    return None


def _bad_suffix(where: str) -> InvalidParameterError:
    message = (
        f"{where}: output must end in .parquet, .jsonl, .jsonl.gz or .jsonl.zst "
        "(or in / for a sharded directory)"
    )
    return located(InvalidParameterError, message, parameter="out", path=where)


class _Part:
    """One output file written incrementally and atomically (staged if remote).

    The Parquet writer goes to a hidden temporary name renamed on :meth:`finish`;
    the Rust JSONL writer does its own temporary name and rename. Parquet batches are
    gathered into row groups of about :data:`ROW_GROUP_BYTES` (small batches would make
    small row groups: slower to write, worse compression, slower to read).
    """

    def __init__(self, target: str, fmt: str, schema: pa.Schema | None) -> None:
        self.target = target
        self.format = fmt
        self.schema = schema
        self.rows = 0
        self.arrow_bytes = 0
        self._stage: str | None = None
        name = remote.basename(target)
        if remote.is_url(target):
            self._stage = tempfile.mkdtemp(prefix="thresher-out-")
            self._local = Path(self._stage) / name
        else:
            self._local = Path(target)
            _check_directory(self._local)
        self._tmp = self._local.with_name(f".{name}.{os.getpid()}.{next(_TEMP_COUNTER)}.tmp")
        self._writer: Any = None
        self._pending: list[pa.RecordBatch] = []
        self._pending_bytes = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            self._open(batch.schema)
        if self.format == "parquet":
            self._pending.append(batch)
            self._pending_bytes += batch.nbytes
            if self._pending_bytes >= ROW_GROUP_BYTES:
                self._flush()
        else:
            self._writer.write(batch)
        self.rows += batch.num_rows
        self.arrow_bytes += batch.nbytes

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self.schema)
            self._pending, self._pending_bytes = [], 0
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))

    def _open(self, schema: pa.Schema) -> None:
        self.schema = schema
        try:
            if self.format == "parquet":
                self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")
            else:
                self._writer = _core.JsonlWriter(str(self._local))
        except OSError as e:
            where = self.target
            raise located(WriteError, f"{where}: cannot write it ({e})", path=where) from e

    def finish(self) -> ShardInfo:
        """Complete the file (upload it if remote) and describe it."""
        if self._writer is None:
            self._open(self.schema if self.schema is not None else pa.schema([]))
        if self.format == "parquet":
            try:
                self._flush()
            except BaseException:
                self.abort()
                raise
        writer, self._writer = self._writer, None
        try:
            if self.format == "parquet":
                writer.close()
                os.replace(self._tmp, self._local)
            else:
                writer.finish()
            info = ShardInfo(
                remote.basename(self.target),
                self.rows,
                self._local.stat().st_size,
                sha256_file(self._local),
            )
            if self._stage is not None:
                _upload(self._local, self.target)
            return info
        except BaseException:
            self._remove_temporaries()
            raise
        finally:
            self._drop_stage()

    def abort(self) -> None:
        """Stop writing and remove the temporary file; the target is left untouched."""
        self._pending = []
        writer, self._writer = self._writer, None
        if writer is not None and self.format == "parquet":
            with contextlib.suppress(Exception):
                writer.close()
        # Dropping the Rust JSONL writer removes its temporary file.
        del writer
        self._remove_temporaries()
        self._drop_stage()

    def _remove_temporaries(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def _drop_stage(self) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None


def _upload(local: Path, url: str) -> None:
    fs, inner = remote.filesystem(url)
    try:
        fs.put_file(str(local), inner)
    except OSError as e:
        raise located(WriteError, f"{url}: upload failed ({e})", path=url) from e


def _batches_of(data: pa.RecordBatch | pa.Table) -> tuple[pa.Schema, list[pa.RecordBatch]]:
    if isinstance(data, pa.RecordBatch):
        return data.schema, [data]
    if isinstance(data, pa.Table):
        return data.schema, data.to_batches()
    raise invalid_parameter(
        "batch", f"must be a pyarrow RecordBatch or Table, got {type(data).__name__}"
    )


class OutputWriter:
    """A streamed output opened by :func:`open_output`: :meth:`write` batches, then
    :meth:`close` (or :meth:`abort`). As a context manager it closes on success and
    aborts on an exception (temporary files removed, nothing looks complete).

    Attributes
    ----------
    destination
        The path or URL given to :func:`open_output`.
    sharded
        Whether the output is a directory of shards with a manifest.
    schema
        The schema of the first batch (every later batch must have the same).
    rows
        Rows written so far.
    """

    def __init__(self, destination: str, sharded: bool, schema: pa.Schema | None) -> None:
        self.destination = destination
        self.sharded = sharded
        self.schema = schema
        self.rows = 0
        self._closed = False

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Append the rows of ``batch`` (a ``RecordBatch`` or a ``Table``).

        Raises :class:`~thresher.exceptions.SchemaMismatchError` when its schema
        differs from the first batch's.
        """
        if self._closed:
            raise invalid_parameter("writer", f"{self.destination} is already closed")
        schema, batches = _batches_of(batch)
        exact = self._check_schema(schema)
        for piece in batches:
            if piece.num_rows:
                if not exact:  # same names and types: take the first batch's fields
                    piece = pa.RecordBatch.from_arrays(piece.columns, schema=self.schema)
                self._write(piece)
                self.rows += piece.num_rows

    def _check_schema(self, schema: pa.Schema) -> bool:
        """Whether ``schema`` is the output's exactly; ``False`` when only field
        nullability or metadata differ; a :class:`SchemaMismatchError` otherwise."""
        if self.schema is None:
            self.schema = schema
            return True
        if schema.equals(self.schema, check_metadata=False):
            return True
        if schema.names == self.schema.names and all(
            a.type == b.type for a, b in zip(schema, self.schema, strict=True)
        ):
            return False
        first, now = set(self.schema.names), set(schema.names)
        detail = ", ".join(
            [f"column {n!r} is new" for n in schema.names if n not in first]
            + [f"column {n!r} is missing" for n in self.schema.names if n not in now]
            + [
                f"column {f.name!r} is {f.type}, was {self.schema.field(f.name).type}"
                for f in schema
                if f.name in first and self.schema.field(f.name).type != f.type
            ]
        )
        if not detail:
            detail = f"columns in the order {schema.names} instead of {self.schema.names}"
        message = f"{self.destination}: a batch's schema differs from the first batch's: {detail}"
        raise located(SchemaMismatchError, message, path=self.destination)

    def _write(self, batch: pa.RecordBatch) -> None:
        raise NotImplementedError

    def close(self) -> Path | str:
        """Complete the output; returns its ``Path`` (its URL string when remote)."""
        raise NotImplementedError

    def abort(self) -> None:
        """Give up: remove temporary files; nothing is left looking complete."""
        raise NotImplementedError

    def _result(self) -> Path | str:
        return self.destination if remote.is_url(self.destination) else Path(self.destination)

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        if kind is None:
            self.close()
        else:
            self.abort()


class _FileOutput(OutputWriter):
    """One file, renamed (or uploaded) into place on close."""

    def __init__(self, target: str, fmt: str, schema: pa.Schema | None) -> None:
        super().__init__(target, False, schema)
        self._part = _Part(target, "parquet" if fmt == "parquet" else "jsonl", schema)

    def _write(self, batch: pa.RecordBatch) -> None:
        self._part.write(batch)

    def close(self) -> Path | str:
        if not self._closed:
            self.finish()
        return self._result()

    def finish(self) -> ShardInfo:
        """Complete the file and describe it (what :func:`write_part` returns)."""
        self._closed = True
        if self._part.schema is None:
            self._part.schema = self.schema
        return self._part.finish()

    def abort(self) -> None:
        self._closed = True
        self._part.abort()


class _ShardedOutput(OutputWriter):
    """A directory of ``part-NNNNN`` shards and a manifest (see the module docs)."""

    def __init__(
        self,
        directory: str,
        fmt: str,
        shard_size: int,
        manifest: Manifest,
        schema: pa.Schema | None,
    ) -> None:
        super().__init__(directory, True, schema)
        self.format = fmt
        self.shard_size = shard_size
        self.manifest = manifest
        self._part: _Part | None = None
        self._prepare()

    def _prepare(self) -> None:
        """Create the directory, mark it incomplete, then delete any old shards."""
        directory = self.destination
        if not remote.is_url(directory):
            path = Path(directory)
            if not path.is_dir():
                _check_directory(path)
                try:
                    path.mkdir()
                except OSError as e:
                    message = f"{directory}: cannot create the directory ({e})"
                    raise located(WriteError, message, path=directory) from e
        stale = _stale_shards(directory)
        if stale and not _has_manifest(directory):
            message = (
                f"{directory}: holds part-* files but no thresher manifest.json; refusing to "
                "delete them (they are not a thresher output): choose another --out"
            )
            raise located(WriteError, message, path=directory)
        self.manifest.save(directory)
        for delete in stale:
            delete()

    def _write(self, batch: pa.RecordBatch) -> None:
        while batch.num_rows:
            part = self._current()
            room = self.shard_size - part.arrow_bytes
            if batch.nbytes <= room:
                part.write(batch)
                return
            rows = _rows_fitting(batch, room)
            if rows == 0 and part.rows:
                self._finish_shard()
                continue
            rows = max(rows, 1)  # a row larger than a shard gets a shard of its own
            part.write(batch.slice(0, rows))
            batch = batch.slice(rows)
            self._finish_shard()

    def _current(self) -> _Part:
        if self._part is None:
            name = f"part-{len(self.manifest.shards):05d}{FORMATS[self.format]}"
            fmt = "parquet" if self.format == "parquet" else "jsonl"
            self._part = _Part(remote.join(self.destination, name), fmt, self.schema)
        return self._part

    def _finish_shard(self) -> None:
        assert self._part is not None
        part, self._part = self._part, None
        self.manifest.shards.append(part.finish())
        self.manifest.save(self.destination)

    def close(self) -> Path | str:
        if not self._closed:
            self._closed = True
            try:
                if self._part is not None or not self.manifest.shards:
                    self._current()  # an empty output still gets one part with its schema
                    self._finish_shard()
                self.manifest.complete = True
                self.manifest.save(self.destination)
            except BaseException:
                self.abort()
                raise
        return self._result()

    def abort(self) -> None:
        self._closed = True
        part, self._part = self._part, None
        if part is not None:
            part.abort()
        # The manifest on disk still says complete: false (written at open and after
        # each shard), so the finished shards are never taken for a complete output.


def _rows_fitting(batch: pa.RecordBatch, room: int) -> int:
    """The most leading rows of ``batch`` whose Arrow size is at most ``room``
    (estimated from the mean row size, then shrunk until it fits)."""
    if room <= 0:
        return 0
    rows: int = min(batch.num_rows, batch.num_rows * room // max(batch.nbytes, 1))
    while rows > 0:
        size: int = batch.slice(0, rows).nbytes
        if size <= room:
            return rows
        rows = min(rows - 1, rows * room // max(size, 1))
    return 0


def _stale_shards(directory: str) -> list[Any]:
    """Deleters of the old shards (and their temporary files) in ``directory``."""
    if remote.is_url(directory):
        fs, inner = remote.filesystem(directory)
        try:
            names = [p for p in fs.ls(inner, detail=False) if _SHARD.match(remote.basename(p))]
        except FileNotFoundError:
            return []
        return [lambda p=p: fs.rm_file(p) for p in names]
    paths = [p for p in Path(directory).iterdir() if _SHARD.match(p.name) and p.is_file()]
    return [lambda p=p: p.unlink(missing_ok=True) for p in paths]


def _has_manifest(directory: str) -> bool:
    """Whether ``directory`` holds a readable thresher manifest (complete or not)."""
    try:
        Manifest.load(directory)
    except ManifestError:
        return False
    return True


def _is_directory(text: str) -> bool:
    if text.endswith(("/", os.sep)):
        return True
    if remote.is_url(text):
        fs, inner = remote.filesystem(text)
        return bool(fs.isdir(inner))
    return os.path.isdir(text)


def open_output(
    path: Destination,
    *,
    format: str | None = None,
    shard_size: int | str | None = None,
    kind: str = "output",
    parameters: dict[str, Any] | None = None,
    inputs: Sequence[InputFile | str | os.PathLike[str]] | None = None,
    schema: pa.Schema | None = None,
) -> OutputWriter:
    """Open a streamed output: one file, or a directory of shards with a manifest.

    Parameters
    ----------
    path
        A file (``.parquet``, ``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``), or a directory:
        a path ending in ``/``, an existing directory or a name without a suffix. Local
        or a URL (``s3://bucket/out/``, any fsspec protocol).
    format
        The shards' format for a directory: ``"parquet"`` (default), ``"jsonl"``,
        ``"jsonl.gz"`` or ``"jsonl.zst"``. For a file it must agree with the suffix.
    shard_size
        The most Arrow bytes per shard (an int or a string such as ``"512MB"``;
        default 256 MiB). Only for a directory.
    kind, parameters, inputs
        Recorded in the directory's manifest: what made the output, with which
        settings (JSON values), from which files (paths, described with
        :func:`~thresher.io.manifest.describe_inputs`, or
        :class:`~thresher.io.manifest.InputFile`). A single file has no manifest.
    schema
        The schema to give an output that receives no batch (by default the first
        batch's).

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow as pa
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "kept.jsonl"
    >>> with open_output(out) as writer:
    ...     writer.write(pa.record_batch({"text": ["x"]}))
    ...     writer.write(pa.table({"text": ["y"]}))
    >>> out.read_text()
    '{"text":"x"}\\n{"text":"y"}\\n'
    """
    text = _text(path)
    if format is not None and format not in FORMATS:
        choices = ", ".join(FORMATS)
        raise invalid_parameter("format", f"must be one of {choices}, got {format!r}")
    suffix_format = _format_of(remote.basename(text))
    if suffix_format is not None and not _is_directory(text):
        if format is not None and format != suffix_format:
            message = f"{text} is a {suffix_format} file name, but format={format!r}"
            raise invalid_parameter("format", message)
        if shard_size is not None:
            message = f"a single file ({text}) has no shards: end the path in / to shard it"
            raise invalid_parameter("shard_size", message)
        return _FileOutput(text, suffix_format, schema)
    if not _is_directory(text) and "." in remote.basename(text):
        raise _bad_suffix(text)
    size = DEFAULT_SHARD_SIZE if shard_size is None else parse_size(shard_size)
    described = [i if isinstance(i, InputFile) else None for i in inputs or ()]
    named = [i for i in inputs or () if not isinstance(i, InputFile)]
    if named:
        fresh = iter(describe_inputs(named))
        described = [d if d is not None else next(fresh) for d in described]
    manifest = Manifest(
        kind=kind,
        parameters=dict(parameters or {}),
        inputs=[d for d in described if d is not None],
        shards=[],
        complete=False,
        thresher_version=_core.__version__,
    )
    manifest.to_json()  # refuse parameters that are not JSON before touching the directory
    return _ShardedOutput(text.rstrip("/") or "/", format or "parquet", size, manifest, schema)


def write_part(
    batches: Iterable[pa.RecordBatch],
    path: Destination,
    *,
    schema: pa.Schema | None = None,
) -> ShardInfo:
    """Write one complete file from a batch iterator, atomically; describe it.

    The format comes from the suffix (``.parquet``, ``.jsonl``, ``.jsonl.gz``,
    ``.jsonl.zst``); ``path`` may be a URL (staged locally, uploaded when complete).
    Nothing appears at ``path`` unless every batch was written; ``schema`` gives an
    empty iterator its columns and is checked against every batch.

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow as pa
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "part-00007.parquet"
    >>> info = write_part(iter([pa.record_batch({"n": [1, 2]})]), out)
    >>> info.name, info.rows, info.bytes == out.stat().st_size
    ('part-00007.parquet', 2, True)
    """
    text = _text(path)
    fmt = _format_of(remote.basename(text))
    if fmt is None:
        raise _bad_suffix(text)
    writer = _FileOutput(text, fmt, schema)
    try:
        for batch in batches:
            writer.write(batch)
    except BaseException:
        writer.abort()
        raise
    return writer.finish()


def write_table(table: pa.Table | pa.RecordBatch, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` to the file ``path``; the format comes from the extension.

    ``.parquet`` (zstd-compressed), ``.jsonl`` / ``.jsonl.gz`` / ``.jsonl.zst``. For
    sharded directories, remote URLs and batch streams see :func:`open_output`.

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow as pa
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "sel.jsonl"
    >>> _ = write_table(pa.table({"text": ["héllo"], "n": [1]}), out)
    >>> out.read_text(encoding="utf-8")
    '{"text":"héllo","n":1}\\n'
    """
    final = Path(path)
    if _format_of(final.name) is None:
        raise InvalidParameterError(
            f"{final}: output must end in .parquet, .jsonl, .jsonl.gz or .jsonl.zst"
        )
    schema, batches = _batches_of(table)
    write_part(batches, final, schema=schema)
    return final
