"""The fused pass: the corpus read once, block by block, every per-document part of
every step run on each block, and their columns saved as side files.

Annotation *groups* are the unit of reuse: the base group (``bytes`` and the input
columns the steps use) and one group per step with a per-document part, each keyed by
what its columns depend on (the step's annotation parameters, the text column and
the inputs' fingerprints). A block whose side files all exist is not recomputed, and a
file whose groups are all complete is not read at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from thresher.io.sources import read
from thresher.pipeline.config import PipelineConfig
from thresher.pipeline.context import RunContext, block_name, write_json, write_parquet
from thresher.pipeline.plan import Plan
from thresher.pipeline.steps import Step
from thresher.progress import ProgressBar

__all__ = ["Group", "annotate_corpus", "groups_of", "key_of", "read_blocks"]


def key_of(value: Any) -> str:
    """A short stable digest of a JSON value."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class Group:
    """One group of annotation columns: made by ``step`` (None: the base group)."""

    name: str
    directory: Path
    step: Step | None
    input_columns: list[str]

    def compute(self, block: pa.Table, context: RunContext) -> pa.Table:
        if self.step is None:
            text = block.column(context.text_column)
            columns = {"bytes": pc.binary_length(text).cast(pa.int64())}
            columns.update({name: block.column(name) for name in self.input_columns})
        else:
            columns = dict(self.step.annotate(block, context))
        if not columns:  # a part that keeps its results elsewhere (DSIR's counts)
            columns = {"_rows": pa.nulls(block.num_rows)}
        return pa.table(columns)

    def done_marker(self, file: int) -> Path:
        return self.directory / f"f{file:05d}.done"


def groups_of(
    config: PipelineConfig, plan: Plan, context: RunContext, inputs_key: str
) -> list[Group]:
    """The base group and a group per step with a per-document part."""
    text = config.input["text_column"]
    base_key = key_of(["base", text, plan.used_input_columns, inputs_key])
    groups = [
        Group(
            f"base-{base_key}",
            context.directory("annotations", f"base-{base_key}"),
            None,
            plan.used_input_columns,
        )
    ]
    for step in config.steps:
        if not step.document_part:
            continue
        key = key_of([step.type, step.annotation_params(), text, inputs_key])
        name = f"{step.type}-{key}"
        directory = context.directory("annotations", name)
        step.annotation_dir = directory
        groups.append(Group(name, directory, step, []))
    return groups


def read_blocks(path: str, text_column: str, block_size: int) -> Iterator[pa.Table]:
    """The file's rows in blocks of ``block_size`` bytes of text or just over (a block
    ends at the row that reaches the size), so the blocks of a file depend on its
    contents only, never on how the reader batches them."""
    reader = read(path, text_column=text_column).to_reader()
    pieces: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        start = 0
        lengths = pc.fill_null(pc.binary_length(batch.column(text_column)), 0).to_numpy()
        while start < batch.num_rows:
            total = size + np.cumsum(lengths[start:])
            full = np.flatnonzero(total >= block_size)
            if full.size == 0:
                pieces.append(batch.slice(start))
                size = int(total[-1])
                break
            end = start + int(full[0]) + 1
            pieces.append(batch.slice(start, end - start))
            yield pa.Table.from_batches(pieces)
            pieces, size, start = [], 0, end
    if pieces and sum(p.num_rows for p in pieces):
        yield pa.Table.from_batches(pieces)


def annotate_corpus(
    config: PipelineConfig, plan: Plan, context: RunContext, groups: list[Group]
) -> list[tuple[int, int, int]]:
    """Run the fused pass; return every block ``(file, block, rows)``."""
    blocks: list[tuple[int, int, int]] = []
    files_dir = context.directory("files")
    text = config.input["text_column"]
    block_size = int(config.run["block_size"])
    pending_bytes = sum(
        Path(p).stat().st_size
        for f, p in enumerate(plan.files)
        if "://" not in p and _pending(groups, files_dir, f)
    )
    bar = ProgressBar("annotate", pending_bytes or None, quiet=context.quiet)
    for f, path in enumerate(plan.files):
        layout = files_dir / f"f{f:05d}.json"
        pending = [g for g in groups if not g.done_marker(f).exists()]
        if not pending and layout.exists():
            sizes = json.loads(layout.read_text(encoding="utf-8"))["blocks"]
            blocks.extend((f, b, rows) for b, rows in enumerate(sizes))
            continue
        context.passes_reading.add("annotate")
        sizes = []
        for b, block in enumerate(read_blocks(path, text, block_size)):
            name = block_name(f, b)
            todo = [g for g in pending if not (g.directory / f"{name}.parquet").exists()]
            if todo:
                context.block = name
                for group in todo:
                    write_parquet(
                        group.directory / f"{name}.parquet", group.compute(block, context)
                    )
                context.unit_done()
            sizes.append(block.num_rows)
            bar(block.num_rows, block.column(text).nbytes)
        write_json(layout, {"path": path, "rows": sum(sizes), "blocks": sizes})
        for group in pending:
            write_json(group.done_marker(f), {"blocks": len(sizes)})
        blocks.extend((f, b, rows) for b, rows in enumerate(sizes))
    bar.close()
    return blocks


def _pending(groups: list[Group], files_dir: Path, file: int) -> bool:
    layout = files_dir / f"f{file:05d}.json"
    return not layout.exists() or any(not g.done_marker(file).exists() for g in groups)
