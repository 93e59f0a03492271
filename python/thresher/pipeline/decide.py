"""The global phase: each step's global part in the order of the file, on the rows the
earlier steps kept, reading annotations only. Each decision is saved under a key
chaining the step's parameters to everything before it, so changing a step recomputes
it and the steps after it, and nothing before."""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from thresher.pipeline.annotate import key_of
from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.steps import Decision, Step

__all__ = ["StepOutcome", "decide_all"]


@dataclass
class StepOutcome:
    """A step's place in the funnel: the rows it received and kept, and its figures."""

    step: Step
    alive_in: npt.NDArray[np.bool_]
    alive_out: npt.NDArray[np.bool_]
    seconds: float
    figures: dict[str, Any] = field(default_factory=dict)


def _save(path: Path, decision: Decision, seconds: float) -> None:
    buffer = io.BytesIO()
    meta = json.dumps({"figures": decision.figures, "seconds": seconds})
    arrays: dict[str, Any] = {  # Any: numpy's stub types **kwds like allow_pickle
        "alive": np.packbits(decision.alive),
        "rows": np.int64(decision.alive.size),
        "meta": np.frombuffer(meta.encode(), dtype=np.uint8),
    }
    arrays.update({f"column_{k}": v for k, v in decision.columns.items()})
    np.savez(buffer, **arrays)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, path)


def _load(path: Path) -> tuple[Decision, float]:
    with np.load(path) as data:
        rows = int(data["rows"])
        alive = np.unpackbits(data["alive"], count=rows).astype(bool)
        meta = json.loads(bytes(data["meta"]).decode())
        columns = {
            k.removeprefix("column_"): data[k] for k in data.files if k.startswith("column_")
        }
    return Decision(alive, columns, meta["figures"]), float(meta["seconds"])


def decide_all(
    steps: list[Step], annotations: Annotations, context: RunContext, chain: str
) -> list[StepOutcome]:
    """Run (or load) every step's decision; return the funnel."""
    directory = context.directory("decisions")
    alive = np.ones(annotations.rows, dtype=bool)
    outcomes = []
    for step in steps:
        chain = key_of([chain, step.type, step.decision_params()])
        path = directory / f"{step.index:02d}-{step.type}-{chain}.npz"
        if path.exists():
            decision, seconds = _load(path)
        else:
            started = time.perf_counter()
            decision = step.decide(alive.copy(), annotations, context)
            seconds = time.perf_counter() - started
            decision.alive &= alive  # a step only ever removes rows
            _save(path, decision, seconds)
            context.unit_done()
        annotations.computed.update(decision.columns)
        outcomes.append(StepOutcome(step, alive, decision.alive, seconds, decision.figures))
        alive = decision.alive
    return outcomes
