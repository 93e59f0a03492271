"""Writers that never leave a partial file: write to a temporary name, rename when done."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from thresher import _core
from thresher.exceptions import InvalidParameterError, WriteError, located
from thresher.io.sources import file_format

__all__ = ["atomic_path", "write_table"]


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


def write_table(table: pa.Table | pa.RecordBatch, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` to ``path``; the format comes from the extension.

    ``.parquet`` (zstd-compressed), ``.jsonl`` / ``.jsonl.gz`` / ``.jsonl.zst``.

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow as pa
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "sel.jsonl"
    >>> _ = write_table(pa.table({"text": ["héllo"], "n": [1]}), out)
    >>> out.read_text(encoding="utf-8")
    '{"text":"héllo","n":1}\\n'
    """
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    final = Path(path)
    try:
        kind = file_format(final)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"{final}: output must end in .parquet, .jsonl, .jsonl.gz or .jsonl.zst"
        ) from None
    if kind == "parquet":
        with atomic_path(final) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        return final
    # The Rust writer does its own temporary-name-and-rename; checking here gives a
    # missing directory the same WriteError as Parquet's (the core reports only I/O).
    _check_directory(final)
    writer = _core.JsonlWriter(str(final))
    for batch in table.to_batches():
        writer.write(batch)
    writer.finish()
    return final


def _check_directory(final: Path) -> None:
    if not final.parent.exists():
        message = f"{final}: directory {final.parent} does not exist"
        raise located(WriteError, message, path=str(final))
