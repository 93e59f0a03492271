"""A pipeline's declaration, parsed and checked: ``[input]``, ``[output]``, ``[run]`` and
the ``[[step]]`` tables, from a TOML file or a dict of the same shape.

Example file (``examples/pipeline.toml``)::

    title = "PostgreSQL-like documents, deduplicated"

    [input]
    paths = ["corpus/*.jsonl.zst"]       # files, globs or directories
    text_column = "text"
    label_column = "domain"              # composition before/after in the report

    [output]
    path = "curated/"                    # a directory: shards and a manifest
    format = "parquet"                   # or "jsonl.zst", "jsonl"...
    shard_size = "256MB"
    columns = ["dsir_log_weight"]        # annotations written beside the input columns

    [run]
    memory = "4GB"                       # default: a quarter of RAM, at most 4 GiB
    # work_dir = "curated.work"          # side files and resume state (default)

    [[step]]
    type = "length"
    min_words = 50

    [[step]]
    type = "dedup"
    threshold = 0.8

    [[step]]
    type = "dsir"
    target = "target.jsonl"
    k = 10000

Relative paths are relative to the file's directory (to the working directory for a
dict). Every check happens here, before any work: a bad value fails with
:class:`~thresher.exceptions.PipelineError` naming the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thresher._memory import default_memory
from thresher.pipeline._toml import Lines, load_toml
from thresher.pipeline.params import Param, Where, check_params
from thresher.pipeline.steps import STEP_TYPES, Step

__all__ = ["PipelineConfig", "load_config", "parse_config"]

_TOP = ("title", "input", "output", "run", "step")
_INPUT = {
    "paths": Param("path_or_paths", required=True, doc="files, globs or directories"),
    "text_column": Param("str", "text"),
    "label_column": Param("str", doc="label column shown before/after in the report"),
}
_OUTPUT = {
    "path": Param("str", required=True, doc="a file, or a directory (ending in /) of shards"),
    "format": Param("str", "parquet", choices=("parquet", "jsonl", "jsonl.gz", "jsonl.zst")),
    "shard_size": Param("size", 256 * 2**20, doc="bytes of text per shard, at most"),
    "columns": Param("strings", doc="annotation columns written beside the input's"),
    "report": Param("bool", True, doc="write report.html beside the output"),
}
_RUN = {
    "work_dir": Param("str", doc="side files and resume state (default: OUTPUT.work)"),
    "memory": Param("size", doc="memory budget (default: a quarter of RAM, at most 4 GiB)"),
    "block_size": Param("size", 64 * 2**20, doc="bytes of text per block of the fused pass"),
    "seed": Param("int", 0, minimum=0, doc="default seed of the selecting steps"),
}


@dataclass
class PipelineConfig:
    """A checked pipeline: where it came from, its tables and its steps in order."""

    source: str
    """The pipeline file (or ``"<dict>"``)."""
    base: Path
    title: str
    input: dict[str, Any]
    output: dict[str, Any]
    run: dict[str, Any]
    steps: list[Step]
    lines: Lines

    def where(self, table: str) -> Where:
        return Where(self.source, self.lines, table, f"[{table}]")

    @property
    def output_path(self) -> str:
        return str(self.output["path"])

    @property
    def output_is_directory(self) -> bool:
        """A path ending in ``/``, an existing directory or a name without a suffix is
        a directory of shards (as :func:`thresher.io.writers.open_output` decides)."""
        path = self.output_path
        name = path.rstrip("/" + os.sep).rsplit("/", 1)[-1]
        return path.endswith(("/", os.sep)) or Path(path).is_dir() or "." not in name

    @property
    def work_dir(self) -> Path:
        if self.run["work_dir"] is not None:
            return Path(self.run["work_dir"])
        return Path(self.output_path.rstrip("/" + os.sep) + ".work")

    @property
    def memory(self) -> int:
        return int(self.run["memory"] or default_memory())

    def parameters(self) -> dict[str, Any]:
        """Everything that decides the output, as JSON values (for the resume check)."""
        return {
            "input": {k: v for k, v in self.input.items() if k != "paths"},
            "output": {k: v for k, v in self.output.items() if k != "report"},
            "seed": self.run["seed"],
            "block_size": self.run["block_size"],
            "steps": [{"type": s.type, "name": s.name, **s.options} for s in self.steps],
        }


def _resolve(base: Path, value: str) -> str:
    if "://" in value or os.path.isabs(value):
        return value
    resolved = str(base / value)
    return resolved + "/" if value.endswith("/") and not resolved.endswith("/") else resolved


def parse_config(
    data: Mapping[str, Any],
    *,
    source: str = "<dict>",
    lines: Lines | None = None,
    base: Path | None = None,
) -> PipelineConfig:
    """Check ``data`` (the tables of a pipeline file) and return the pipeline."""
    lines = lines or Lines()
    base = base or Path.cwd()
    top = Where(source, lines, "", "pipeline")
    unknown = sorted(set(data) - set(_TOP))
    if unknown:
        top.fail(f"unknown table or key {unknown[0]!r} (known: {', '.join(_TOP)})", unknown[0])
    title = data.get("title", "thresher run")
    if not isinstance(title, str):
        top.fail(f"title must be a string, got {title!r}", "title")
    tables = {}
    for name, spec in (("input", _INPUT), ("output", _OUTPUT), ("run", _RUN)):
        given = data.get(name, {})
        where = Where(source, lines, name, f"[{name}]")
        if not isinstance(given, Mapping):
            where.fail(f"must be a table, got {given!r}")
        if name in ("input", "output") and name not in data:
            top.fail(f"missing table [{name}]")
        tables[name] = check_params(where, given, spec)
    tables["input"]["paths"] = [_resolve(base, p) for p in tables["input"]["paths"]]
    tables["output"]["path"] = _resolve(base, tables["output"]["path"])
    if tables["run"]["work_dir"] is not None:
        tables["run"]["work_dir"] = _resolve(base, tables["run"]["work_dir"])
    raw_steps = data.get("step", [])
    if not isinstance(raw_steps, list) or not all(isinstance(s, Mapping) for s in raw_steps):
        top.fail("step must be an array of tables ([[step]])", "step")
    if not raw_steps:
        top.fail("no [[step]]: a pipeline needs at least one step")
    steps: list[Step] = []
    names: set[str] = set()
    for index, given in enumerate(raw_steps):
        kind = given.get("type")
        where = Where(source, lines, f"step.{index}", f"step {index + 1}")
        if kind is None:
            where.fail("missing type (one of " + ", ".join(STEP_TYPES) + ")")
        if kind not in STEP_TYPES:
            where.fail(f"unknown step type {kind!r} (known: {', '.join(STEP_TYPES)})", "type")
        cls = STEP_TYPES[kind]
        where = Where(source, lines, f"step.{index}", f"step {index + 1} ({kind})")
        options = check_params(where, given, cls.params, skip=("type", "name"))
        if "seed" in options and options["seed"] is None:  # a selecting step's seed
            options["seed"] = tables["run"]["seed"]
        for key in ("target",):  # paths relative to the pipeline file
            if key in options and options[key] is not None:
                options[key] = [_resolve(base, p) for p in options[key]]
        if kind == "tokens":
            options["tokenizer"] = _resolve(base, options["tokenizer"])
        name = given.get("name", f"{index + 1}-{kind}")
        if not isinstance(name, str) or name in names:
            where.fail(f"name must be a unique string, got {name!r}", "name")
        names.add(name)
        step = cls(index, name, options, where)
        step.check()
        steps.append(step)
    return PipelineConfig(
        source, base, title, tables["input"], tables["output"], tables["run"], steps, lines
    )


def load_config(path: str | os.PathLike[str]) -> PipelineConfig:
    """Read and check the pipeline file at ``path``."""
    data, lines = load_toml(Path(path))
    return parse_config(data, source=os.fspath(path), lines=lines, base=Path(path).parent)
