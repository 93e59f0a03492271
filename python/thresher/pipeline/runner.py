"""A pipeline run from start to end: check, fused pass, stages, global steps, write,
statistics and report."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from thresher.io.manifest import ShardInfo, describe_inputs
from thresher.pipeline.annotate import annotate_corpus, groups_of, key_of
from thresher.pipeline.config import PipelineConfig, load_config, parse_config
from thresher.pipeline.context import Annotations, RunContext, write_json
from thresher.pipeline.decide import decide_all
from thresher.pipeline.plan import Plan, plan
from thresher.pipeline.state import begin, finish
from thresher.pipeline.stats import run_stats, summary
from thresher.pipeline.write import write_output

__all__ = ["Pipeline", "RunResult"]


@dataclass
class RunResult:
    """What a run made: the output, its parts, the statistics and the summary."""

    output: str
    shards: list[ShardInfo]
    stats: dict[str, Any]
    summary: str
    report: str | None
    resumed: bool
    corpus_reads: int
    """How many times the input files were read (0 to 2)."""

    def __str__(self) -> str:
        return self.summary


class Pipeline:
    """A declared curation: per-document steps in one fused pass over the corpus,
    global steps on the annotations, the kept rows written in a last pass.

    Parameters
    ----------
    config
        The tables of a pipeline file as a dict (``{"input": {...}, "output": {...},
        "step": [{"type": "length", ...}, ...]}``), or a checked
        :class:`~thresher.pipeline.config.PipelineConfig`. See
        :mod:`thresher.pipeline.config` for the format and :func:`Pipeline.from_file`
        for a TOML file.

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow as pa
    >>> import thresher
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> docs = ["a short one", "the quick brown fox jumps over the lazy dog today",
    ...         "the quick brown fox jumps over the lazy dog today!"]
    >>> thresher.write_table(pa.table({"text": docs}), d / "corpus.jsonl")  # doctest: +ELLIPSIS
    PosixPath(...)
    >>> pipeline = thresher.Pipeline({
    ...     "input": {"paths": [str(d / "corpus.jsonl")]},
    ...     "output": {"path": str(d / "out") + "/"},
    ...     "step": [{"type": "length", "min_words": 4},
    ...              {"type": "dedup", "threshold": 0.7, "ngram": 2}],
    ... })
    >>> result = pipeline.run(quiet=True)
    >>> thresher.read(d / "out").to_reader().read_all().column("text").to_pylist()
    ['the quick brown fox jumps over the lazy dog today']
    >>> [(s["documents_in"], s["documents_out"]) for s in result.stats["steps"]]
    [(3, 2), (2, 1)]
    """

    def __init__(self, config: Mapping[str, Any] | PipelineConfig) -> None:
        self.config = config if isinstance(config, PipelineConfig) else parse_config(config)
        self.plan: Plan = plan(self.config)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Pipeline:
        """The pipeline of a TOML file, checked (errors name the file and line)."""
        return cls(load_config(path))

    def run(self, *, force: bool = False, quiet: bool = False) -> RunResult:
        """Run (or resume) the pipeline; see :mod:`thresher.pipeline.state` for when a
        run resumes and when it refuses."""
        config, checked = self.config, self.plan
        started_at = datetime.now(timezone.utc)
        started = time.perf_counter()
        inputs = describe_inputs(checked.files)
        state, resumed = begin(config, inputs, force=force)
        context = RunContext(
            config.work_dir,
            checked.files,
            config.input["text_column"],
            config.run["seed"],
            config.memory,
            quiet,
        )
        inputs_key = key_of([[i.path, i.size, i.fingerprint] for i in inputs])
        groups = groups_of(config, checked, context, inputs_key)
        blocks = annotate_corpus(config, checked, context, groups)
        context.blocks = blocks
        for step in config.steps:
            if step.document_part:
                step.finish_annotations(context)
        column_dirs = {}
        for group in groups:
            names = ["bytes", *group.input_columns] if group.step is None else group.step.produces()
            column_dirs.update({name: group.directory for name in names})
            if group.step is not None and hasattr(group.step, "column_dirs"):
                column_dirs.update(group.step.column_dirs())
        annotations = Annotations(column_dirs, blocks)
        outcomes = decide_all(config.steps, annotations, context, key_of([g.name for g in groups]))
        alive = outcomes[-1].alive_out
        shards = write_output(config, checked, context, annotations, alive, inputs)
        stats = run_stats(
            config,
            checked,
            annotations,
            outcomes,
            shards,
            started_at,
            time.perf_counter() - started,
        )
        write_json(config.work_dir / "stats.json", stats)
        report = None
        if config.output["report"]:
            report = _write_report(config, stats)
        finish(config, state)
        reads = len(context.passes_reading)
        text = summary(stats, reads, report)
        return RunResult(config.output_path, shards, stats, text, report, resumed, reads)


def _write_report(config: PipelineConfig, stats: dict[str, Any]) -> str:
    """``report.html`` beside a directory output (uploaded beside a remote one, and kept
    in the work directory), or in the work directory for a single file."""
    from thresher.io import remote
    from thresher.report import write_report

    local = config.work_dir / "report.html"
    output = config.output_path.rstrip("/")
    if not config.output_is_directory:
        return str(write_report(stats, local))
    if not remote.is_url(output):
        return str(write_report(stats, Path(output) / "report.html"))
    write_report(stats, local)
    target = remote.join(output, "report.html")
    fs, inner = remote.filesystem(target)
    fs.put_file(str(local), inner)
    return target
