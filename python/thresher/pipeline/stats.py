"""The statistics of a run (the schema of :mod:`thresher.report`) and its one-screen
summary."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timezone
from typing import Any

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher.io.manifest import ShardInfo
from thresher.pipeline.config import PipelineConfig
from thresher.pipeline.context import Annotations
from thresher.pipeline.decide import StepOutcome
from thresher.pipeline.plan import Plan
from thresher.report.units import size as human_bytes

__all__ = ["run_stats", "summary"]


def _total(values: npt.NDArray[Any] | None, mask: npt.NDArray[np.bool_]) -> int | None:
    return None if values is None else int(values[mask].sum())


def run_stats(
    config: PipelineConfig,
    plan: Plan,
    annotations: Annotations,
    outcomes: list[StepOutcome],
    shards: list[ShardInfo],
    started: datetime,
    seconds: float,
) -> dict[str, Any]:
    """The run statistics for :func:`thresher.report.write_report` and ``stats.json``."""
    size = annotations.column("bytes")
    tokens = annotations.column("tokens") if annotations.has("tokens") else None
    everything = np.ones(annotations.rows, dtype=bool)
    final = outcomes[-1].alive_out if outcomes else everything
    rows_per_file: Counter[int] = Counter()
    for file, _, rows in annotations.blocks:
        rows_per_file[file] += rows
    steps = [
        {
            "name": o.step.name,
            "kind": o.step.kind,
            "documents_in": int(o.alive_in.sum()),
            "documents_out": int(o.alive_out.sum()),
            "bytes_in": _total(size, o.alive_in),
            "bytes_out": _total(size, o.alive_out),
            "tokens_in": _total(tokens, o.alive_in),
            "tokens_out": _total(tokens, o.alive_out),
            "seconds": round(o.seconds, 4),
        }
        for o in outcomes
    ]
    composition = None
    label = config.input["label_column"]
    if label is not None:
        labels = annotations.column(label).astype(str)
        composition = {
            "column": label,
            "before": dict(Counter(labels.tolist())),
            "after": dict(Counter(labels[final].tolist())),
        }
    histograms = [o.figures["histogram"] for o in outcomes if o.figures.get("histogram")]
    clusters = next(
        (o.figures["cluster_sizes"] for o in outcomes if "cluster_sizes" in o.figures), None
    )
    out_dir = config.output_path.rstrip("/")
    return {
        "title": config.title,
        "thresher_version": _core.__version__,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "input": {
            "files": [
                {
                    "path": path,
                    "documents": rows_per_file[f],
                    "bytes": os.path.getsize(path) if "://" not in path else None,
                }
                for f, path in enumerate(plan.files)
            ],
            "documents": annotations.rows,
            "bytes": int(size.sum()),
            "tokens": None if tokens is None else int(tokens.sum()),
        },
        "steps": steps,
        "composition": composition,
        "histograms": histograms,
        "cluster_sizes": clusters,
        "output": {
            "documents": int(final.sum()),
            "bytes": int(size[final].sum()),
            "tokens": _total(tokens, final),
            "shards": [
                {
                    "path": f"{out_dir}/{s.name}"
                    if config.output_is_directory
                    else config.output_path,
                    "documents": s.rows,
                    "bytes": s.bytes,
                }
                for s in shards
            ],
        },
    }


def _file(path: str, documents: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": path, "documents": documents}
    if "://" not in path:  # a remote file's size is in the manifest of the run
        entry["bytes"] = os.path.getsize(path)
    return entry


def summary(stats: dict[str, Any], reads: int, report: str | None) -> str:
    """The run on one screen: the funnel, the output and where the report is."""
    lines = [
        f"{stats['title']}: {stats['input']['documents']:,} documents, "
        f"{human_bytes(stats['input']['bytes'])} of text; corpus read {reads} time"
        f"{'s' if reads != 1 else ''}"
    ]
    width = max([len(s["name"]) for s in stats["steps"]] + [4])
    lines.append(f"  {'step':<{width}}  {'in':>12}  {'out':>12}  {'kept':>7}  {'time':>8}")
    for s in stats["steps"]:
        share = s["documents_out"] / s["documents_in"] if s["documents_in"] else 0.0
        lines.append(
            f"  {s['name']:<{width}}  {s['documents_in']:>12,}  {s['documents_out']:>12,}"
            f"  {share:>7.1%}  {s['seconds']:>7.2f}s"
        )
    out = stats["output"]
    lines.append(
        f"wrote {out['documents']:,} documents ({human_bytes(out['bytes'])} of text) in "
        f"{len(out['shards'])} file{'s' if len(out['shards']) != 1 else ''}"
        f" in {stats['seconds']:.1f} s"
    )
    if report:
        lines.append(f"report: {report}")
    return "\n".join(lines)
