"""How many rows a selecting step keeps: ``k`` rows, a ``fraction`` of the rows it
receives, or a budget of ``tokens`` (counted by a ``tokens`` step, or any integer
column named by ``token_column``), shared by ``dsir``, ``sample`` and ``mixture``.

A token budget takes rows in the step's priority order (best DSIR key first, the
sample's random order) while the total stays within the budget, and stops at the
first row that would exceed it: the total is at most the budget and, unless the rows
run out, short of it by less than that row's count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher.pipeline.params import Param

if TYPE_CHECKING:
    from thresher.pipeline.context import Annotations
    from thresher.pipeline.steps.base import Step

__all__ = [
    "SELECTION_PARAMS",
    "check_selection",
    "chosen_count",
    "take_best",
    "token_column",
    "token_counts",
]

SELECTION_PARAMS = {
    "k": Param("int", minimum=0, doc="rows to keep"),
    "fraction": Param("number", minimum=0.0, maximum=1.0, doc="share of the rows received"),
    "tokens": Param("int", minimum=0, doc="token budget (e.g. 2e9)"),
    "token_column": Param("str", "tokens", doc="per-row token counts for the budget"),
    "seed": Param("int", minimum=0, doc="default: the run's seed"),
}


def check_selection(step: Step, *, required: bool) -> None:
    """Exactly one of ``k``, ``fraction``, ``tokens`` (or none when not ``required``)."""
    given = [name for name in ("k", "fraction", "tokens") if step.options[name] is not None]
    if len(given) > 1:
        step.where.fail(f"give one of k, fraction and tokens, not {' and '.join(given)}", given[1])
    if required and not given:
        step.where.fail("give k, fraction or tokens")


def token_column(step: Step) -> list[str]:
    """The column a token budget needs, if the step has one."""
    return [step.options["token_column"]] if step.options["tokens"] is not None else []


def chosen_count(step: Step, annotations: Annotations, rows: npt.NDArray[np.int64]) -> int | None:
    """Rows to keep out of ``rows`` for ``k`` or ``fraction``; ``-1`` for a token
    budget (decided in priority order by :func:`take_best`); None: no selection."""
    opts = step.options
    if opts["k"] is not None:
        return min(int(opts["k"]), rows.size)
    if opts["fraction"] is not None:
        return round(float(opts["fraction"]) * rows.size)
    if opts["tokens"] is not None:
        return -1
    return None


def token_counts(step: Step, annotations: Annotations) -> npt.NDArray[np.uint32]:
    """The token column as the core's budget walk takes it (counts below 2**32)."""
    values = annotations.column(step.options["token_column"])
    if values.size and (values.min() < 0 or values.max() >= 2**32):
        step.where.fail(
            f"token column {step.options['token_column']!r} has counts outside [0, 2**32)",
            "token_column",
        )
    return np.ascontiguousarray(values, dtype=np.uint32)


def take_best(
    step: Step,
    annotations: Annotations,
    rows: npt.NDArray[np.int64],
    ordered: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """The mask of the first rows of ``ordered`` (every row of ``rows``, best first)
    that the step's ``k``, ``fraction`` or token budget allows."""
    count = chosen_count(step, annotations, rows)
    assert count is not None
    if count < 0:  # the core's budget walk, as thresher.sample and DSIR.select take it
        tokens = token_counts(step, annotations)
        taken = _core.take_until_budget(ordered.astype(np.uint64), tokens, step.options["tokens"])
        count = len(taken)
    keep = np.zeros(annotations.rows, dtype=bool)
    keep[ordered[:count]] = True
    return keep
