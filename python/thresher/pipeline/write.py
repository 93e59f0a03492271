"""The last pass: the corpus read again and the kept rows written, with the annotation
columns asked for.

A directory output is planned as parts before writing: consecutive blocks grouped
until their kept text reaches ``shard_size``, so that part ``i`` always holds the same
rows. Each part is written under a temporary name and renamed, then recorded in the
directory's manifest; a resumed run keeps the parts its manifest lists and reads only
the files holding the others. A single-file output is written in one go (one unit).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from thresher import _core
from thresher.exceptions import ManifestError
from thresher.io import remote
from thresher.io.manifest import InputFile, Manifest, ShardInfo
from thresher.io.writers import open_output, write_part
from thresher.pipeline.annotate import read_blocks
from thresher.pipeline.config import PipelineConfig
from thresher.pipeline.context import Annotations, RunContext, block_name
from thresher.pipeline.plan import Plan
from thresher.progress import ProgressBar

__all__ = ["write_output"]

_SUFFIX = {
    "parquet": ".parquet",
    "jsonl": ".jsonl",
    "jsonl.gz": ".jsonl.gz",
    "jsonl.zst": ".jsonl.zst",
}
KIND = "thresher run"


def _parts(
    blocks: list[tuple[int, int, int]],
    kept: list[npt.NDArray[np.int64]],
    kept_bytes: list[int],
    shard_size: int,
) -> list[list[int]]:
    """Blocks (positions in ``blocks``) of each output part; blocks keeping no row
    belong to no part."""
    parts: list[list[int]] = []
    current: list[int] = []
    size = 0
    for position in range(len(blocks)):
        if kept[position].size == 0:
            continue
        current.append(position)
        size += kept_bytes[position]
        if size >= shard_size:
            parts.append(current)
            current, size = [], 0
    if current:
        parts.append(current)
    return parts


class _Rows:
    """The kept rows of each block and their annotation columns."""

    def __init__(
        self,
        config: PipelineConfig,
        plan: Plan,
        annotations: Annotations,
        alive: npt.NDArray[np.bool_],
    ) -> None:
        self.columns = list(config.output["columns"] or [])
        self.input_columns = plan.input_columns
        self.text_column = config.input["text_column"]
        self.text_rewrite = plan.text_rewrite
        self.schema: pa.Schema | None = None
        self.annotations = annotations
        self.starts = np.cumsum([0] + [rows for _, _, rows in annotations.blocks])
        bytes_column = annotations.column("bytes")
        self.kept = []
        self.kept_bytes = []
        for position, (_, _, rows) in enumerate(annotations.blocks):
            start = int(self.starts[position])
            mask = alive[start : start + rows]
            self.kept.append(np.flatnonzero(mask))
            self.kept_bytes.append(int(bytes_column[start : start + rows][mask].sum()))

    def _conform(self, table: pa.Table) -> pa.Table:
        """The input columns in the first file's order and types: files of one corpus
        may list them in another order (JSON objects) or lack one (filled with nulls)."""
        if self.schema is None:
            self.schema = table.select(
                [c for c in self.input_columns if c in table.column_names]
            ).schema
        arrays = []
        for field in self.schema:
            if field.name in table.column_names:
                arrays.append(table.column(field.name).cast(field.type))
            else:
                arrays.append(pa.nulls(table.num_rows, field.type))
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def table(
        self, position: int, block: pa.Table, rows: npt.NDArray[np.int64] | None = None
    ) -> pa.Table:
        """The kept rows of ``block`` (or ``rows`` of it) with the annotation columns."""
        rows = self.kept[position] if rows is None else rows
        out = self._conform(block.take(pa.array(rows)))
        for name in self.columns:
            out = out.append_column(name, self._annotation(position, name, rows))
        if self.text_rewrite is not None:
            where = out.schema.get_field_index(self.text_column)
            original = out.column(where)
            rewritten = self._annotation(position, self.text_rewrite, rows).cast(original.type)
            out = out.set_column(where, out.schema.field(where), pc.coalesce(rewritten, original))
        return out

    def _annotation(
        self, position: int, name: str, rows: npt.NDArray[np.int64]
    ) -> pa.Array | pa.ChunkedArray:
        """Annotation column ``name`` at ``rows`` of the block at ``position``."""
        if name in self.annotations.computed:
            start = int(self.starts[position])
            return pa.array(self.annotations.computed[name][start + rows])
        file, index, _ = self.annotations.blocks[position]
        side = self.annotations.groups[name] / f"{block_name(file, index)}.parquet"
        return pq.read_table(side, columns=[name]).column(0).take(pa.array(rows))


def _blocks_wanted(
    config: PipelineConfig,
    plan: Plan,
    annotations: Annotations,
    wanted: set[int],
    context: RunContext,
) -> Iterator[tuple[int, pa.Table]]:
    """``(position, block)`` of the wanted blocks, reading only files holding one."""
    position = 0
    by_file: dict[int, list[int]] = {}
    for pos, (file, _, _) in enumerate(annotations.blocks):
        by_file.setdefault(file, []).append(pos)
    for file, path in enumerate(plan.files):
        positions = by_file.get(file, [])
        last = max((p for p in positions if p in wanted), default=None)
        if last is None:
            continue
        context.passes_reading.add("write")
        for index, block in enumerate(
            read_blocks(path, config.input["text_column"], int(config.run["block_size"]))
        ):
            position = positions[index]
            if position in wanted:
                yield position, block
            if position == last:
                break


def _previous(directory: str, expected: Manifest) -> list[ShardInfo]:
    """The parts of an interrupted write of the same run that can be kept."""
    try:
        previous = Manifest.load(directory)
    except ManifestError:
        return []
    if previous.kind != KIND or previous.differences(expected):
        return []
    return [s for s in previous.shards if _exists(remote.join(directory, s.name))]


def write_output(
    config: PipelineConfig,
    plan: Plan,
    context: RunContext,
    annotations: Annotations,
    alive: npt.NDArray[np.bool_],
    inputs: list[InputFile],
) -> list[ShardInfo]:
    """Write the kept rows; return the parts written (one for a single file)."""
    rows = _Rows(config, plan, annotations, alive)
    total = sum(rows.kept_bytes)
    bar = ProgressBar("write", total or None, quiet=context.quiet)
    if not config.output_is_directory:
        return [_write_file(config, plan, annotations, rows, context, bar)]
    directory = config.output_path.rstrip("/" + os.sep)
    if not remote.is_url(directory):
        Path(directory).mkdir(parents=True, exist_ok=True)
    manifest = Manifest(KIND, config.parameters(), inputs, [], False, _core.__version__)
    parts = _parts(annotations.blocks, rows.kept, rows.kept_bytes, int(config.output["shard_size"]))
    suffix = _SUFFIX[config.output["format"]]
    names = [f"part-{i:05d}{suffix}" for i in range(len(parts))]
    kept = {s.name: s for s in _previous(directory, manifest) if s.name in names}
    _remove_stale(directory, set(names))
    manifest.shards = [kept[n] for n in names if n in kept]
    manifest.save(directory)
    todo = [i for i, name in enumerate(names) if name not in kept]
    part_of = {position: i for i in todo for position in parts[i]}
    pending: dict[int, list[pa.Table]] = {}
    written = dict(kept)
    for position, block in _blocks_wanted(config, plan, annotations, set(part_of), context):
        part = part_of[position]
        table = rows.table(position, block)
        pending.setdefault(part, []).append(table)
        bar(table.num_rows, rows.kept_bytes[position])
        if position == parts[part][-1]:
            batches = [b for t in pending.pop(part) for b in t.to_batches()]
            info = write_part(
                iter(batches), remote.join(directory, names[part]), schema=table.schema
            )
            written[info.name] = info
            manifest.shards = [written[n] for n in names if n in written]
            manifest.save(directory)
            context.unit_done()
    manifest.shards = [written[n] for n in names]
    manifest.complete = True
    manifest.save(directory)
    bar.close()
    return manifest.shards


def _remove_stale(directory: str, names: set[str]) -> None:
    """Part files of another run (or another plan) left in the output directory."""
    if remote.is_url(directory):
        return
    for path in Path(directory).glob("part-*"):
        if path.name not in names:
            path.unlink()


def _write_file(
    config: PipelineConfig,
    plan: Plan,
    annotations: Annotations,
    rows: _Rows,
    context: RunContext,
    bar: ProgressBar,
) -> ShardInfo:
    wanted = {p for p, kept in enumerate(rows.kept) if kept.size}
    count = 0
    with open_output(config.output_path) as writer:
        for position, block in _blocks_wanted(config, plan, annotations, wanted, context):
            table = rows.table(position, block)
            writer.write(table)
            count += table.num_rows
            bar(table.num_rows, rows.kept_bytes[position])
        if not wanted:  # no row kept: an empty file with the input's columns
            writer.write(_empty(config, plan, rows))
        path = writer.close()
    bar.close()
    context.unit_done()
    return ShardInfo(os.path.basename(str(path)), count, _size(str(path)), "")


def _empty(config: PipelineConfig, plan: Plan, rows: _Rows) -> pa.Table:
    """No row kept: an empty table with the output's columns (from the first block)."""
    block = next(read_blocks(plan.files[0], config.input["text_column"], 1))
    return rows.table(0, block, np.zeros(0, dtype=np.int64))


def _exists(path: str) -> bool:
    if remote.is_url(path):
        fs, inner = remote.filesystem(path)
        return bool(fs.exists(inner))
    return os.path.exists(path)


def _size(path: str) -> int:
    if remote.is_url(path):
        fs, inner = remote.filesystem(path)
        return int(fs.size(inner))
    return os.path.getsize(path)
