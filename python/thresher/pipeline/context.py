"""What the steps of a run share: the work directory and its layout, the run's settings,
and the annotations read back from their side files.

Work directory layout (every file written under a temporary name, then renamed)::

    run.json                          inputs, parameters, completion (the resume check)
    files/f00000.json                 rows per block of input file 0 (once fully read)
    annotations/<group>/f00000-b00000.parquet   columns of one block
    annotations/<group>/f00000.done   every block of file 0 is annotated
    decisions/<nn>-<step>-<key>.npz   rows kept by a global step, and its columns
    parts/part-00000.parquet          output parts (a directory output), renamed into it
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from thresher.exceptions import InternalError

__all__ = ["Annotations", "RunContext", "block_name", "write_json"]

# Tests stop a run after this many completed units (blocks, stages, decisions, parts)
# to check that resuming gives the same output (tests/test_pipeline_resume.py): "N"
# kills the process with SIGKILL, "N:raise" raises Interrupted (no cleanup either).
KILL_AFTER_ENV = "THRESHER_TEST_KILL_AFTER_UNITS"


class Interrupted(BaseException):
    """Raised by the test hook in place of SIGKILL, to interrupt a run in-process."""


def block_name(file: int, block: int) -> str:
    """``f00003-b00012``: block 12 of input file 3."""
    return f"f{file:05d}-b{block:05d}"


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON, atomically (temporary name, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write a side file atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


@dataclass
class RunContext:
    """The settings and work directory of one run."""

    work: Path
    files: list[str]
    text_column: str
    seed: int
    memory: int
    quiet: bool
    block: str = ""
    """The block being annotated (its side-file name), for parts that save files."""
    blocks: list[tuple[int, int, int]] = field(default_factory=list)
    """``(file, block, rows)`` of every block, once the fused pass is done."""
    passes_reading: set[str] = field(default_factory=set)
    """The passes that read input files (``annotate``, ``write``)."""
    units_done: int = 0
    _kill_after: int | None = field(default=None, repr=False)

    _raise: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        value = os.environ.get(KILL_AFTER_ENV, "")
        count, _, mode = value.partition(":")
        self._kill_after = int(count) if count else None
        self._raise = mode == "raise"

    def directory(self, *parts: str) -> Path:
        """A directory of the work directory, created if missing."""
        path = self.work.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def spill_dir(self) -> Path:
        return self.directory("spill")

    def unit_done(self) -> None:
        """Count a completed unit of work (the resume granularity)."""
        self.units_done += 1
        if self._kill_after is not None and self.units_done >= self._kill_after:
            if self._raise:
                raise Interrupted(f"stopped after {self.units_done} units")
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Annotations:
    """Every annotation column of the run, by name, over every row in corpus order.

    Columns of per-document parts are read from their side files block by block;
    columns of global parts (``cluster_id``...) are held in memory.
    """

    groups: dict[str, Path]
    """The side-file directory holding each per-document column."""
    blocks: list[tuple[int, int, int]]
    """``(file, block, rows)`` of every block, in corpus order."""
    computed: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(rows for _, _, rows in self.blocks)

    def has(self, name: str) -> bool:
        return name in self.computed or name in self.groups

    def blocks_of(self, name: str) -> Iterator[pa.ChunkedArray]:
        """The column ``name`` one block at a time."""
        if name not in self.groups:
            raise InternalError(f"no per-document column {name!r}")
        directory = self.groups[name]
        for file, block, rows in self.blocks:
            column = pq.read_table(directory / f"{block_name(file, block)}.parquet", columns=[name])
            if column.num_rows != rows:
                raise InternalError(
                    f"{directory}: block {block_name(file, block)} has "
                    f"{column.num_rows} rows, expected {rows}"
                )
            yield column.column(0)

    def column(self, name: str) -> npt.NDArray[Any]:
        """The column ``name`` as one numpy array (strings as an object array)."""
        if name in self.computed:
            return self.computed[name]
        chunks = [c.to_numpy(zero_copy_only=False) for c in self.blocks_of(name)]
        if not chunks:
            return np.empty(0)
        return np.concatenate(chunks)
