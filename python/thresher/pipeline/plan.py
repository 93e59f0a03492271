"""The checks of a pipeline against its input, before any work: the input files exist,
the text column is there, and every column a step needs is an input column or made by
an earlier step."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from thresher.exceptions import InputError, InvalidParameterError, ThresherError
from thresher.io.sources import expand_paths, read
from thresher.pipeline.config import PipelineConfig

__all__ = ["Plan", "plan"]

BASE_COLUMNS = ("bytes",)


@dataclass
class Plan:
    """What a checked pipeline reads: its files, their columns, and the input columns
    the steps use (kept as annotations in the fused pass)."""

    files: list[str]
    input_columns: list[str]
    used_input_columns: list[str]
    made_by: dict[str, int]
    """The step (index) making each annotation column (-1: every run's base columns)."""
    text_rewrite: str | None = None
    """The annotation column whose values replace the text of the written rows."""


def _schema(path: str, config: PipelineConfig) -> pa.Schema:
    source = read(path, text_column=None)
    reader = source.to_reader()
    try:
        return reader.schema
    finally:
        reader.close()


def plan(config: PipelineConfig) -> Plan:
    """Check ``config`` against its input files; raise PipelineError naming the line."""
    where = config.where("input")
    try:
        files = expand_paths(config.input["paths"])
    except (InvalidParameterError, ThresherError) as e:
        where.fail(str(e), "paths")
    if not files:
        where.fail(f"no input file matches {config.input['paths']}", "paths")
    try:
        schema = _schema(files[0], config)
    except InputError:
        raise  # a bad line of the data: its own typed error names the file and line
    except ThresherError as e:
        where.fail(f"cannot read the first input file: {e}", "paths")
    columns = list(schema.names)
    text = config.input["text_column"]
    if text not in columns:
        where.fail(
            f"text column {text!r} is not in {files[0]} (columns: {', '.join(columns)})",
            "text_column",
        )
    label = config.input["label_column"]
    if label is not None and label not in columns:
        where.fail(
            f"label column {label!r} is not in {files[0]} (columns: {', '.join(columns)})",
            "label_column",
        )
    made_by: dict[str, int] = {name: -1 for name in BASE_COLUMNS}
    used: list[str] = [label] if label is not None else []
    later = {c: s for s in reversed(config.steps) for c in s.produces()}
    for step in config.steps:
        for column in step.needs():
            if column in made_by:
                continue
            maker = later.get(column)
            if maker is not None and maker.index >= step.index:
                step.where.fail(
                    f"needs column {column!r}, made by step {maker.index + 1} ({maker.type}), "
                    "which runs after it: move that step before this one"
                )
            if column in columns:
                if column not in used:
                    used.append(column)
                continue
            earlier = [c for c, i in made_by.items() if 0 <= i < step.index]
            step.where.fail(
                f"needs column {column!r}, which no earlier step makes and the input lacks "
                f"(input: {', '.join(columns)}; made earlier: {', '.join(earlier) or 'none'})"
            )
        for column in step.produces():
            if column in made_by or column in columns:
                index = made_by.get(column)
                by = (
                    "the input"
                    if index is None
                    else ("every run" if index < 0 else f"step {index + 1}")
                )
                step.where.fail(f"makes column {column!r}, already made by {by}")
            made_by[column] = step.index
    rewriting = [s for s in config.steps if s.text_rewrite() is not None]
    if len(rewriting) > 1:
        rewriting[1].where.fail(
            f"rewrites the text, as step {rewriting[0].index + 1} ({rewriting[0].type}) "
            "does: every step reads the original text, so only one step may rewrite it"
        )
    for column in config.output["columns"] or []:
        if column not in made_by:
            config.where("output").fail(
                f"column {column!r} is not an annotation (made: {', '.join(made_by)})", "columns"
            )
    rewrite = rewriting[0].text_rewrite() if rewriting else None
    return Plan(files, columns, used, made_by, rewrite)
