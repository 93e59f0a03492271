"""``type = "sample"``: a uniform, weighted or stratified sample of the rows still in
the run, drawn by the functions of :mod:`thresher.sample` over those rows in corpus
order (so a pipeline's sample equals ``thresher.sample`` on the filtered corpus)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher import sample as samplers
from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step
from thresher.pipeline.steps.select import (
    SELECTION_PARAMS,
    check_selection,
    chosen_count,
    take_best,
    token_column,
)

__all__ = ["SampleStep"]


class SampleStep(Step):
    """Keep ``k`` rows, a ``fraction`` or a token budget of the rows received: uniform;
    in proportion to ``weight_column`` (or ``exp`` of ``log_weight_column``, e.g.
    ``dsir_log_weight``); or within the groups of ``by`` (proportional allocation)."""

    type = "sample"
    kind = "sample"
    params: ClassVar[Mapping[str, Param]] = {
        **SELECTION_PARAMS,
        "weight_column": Param("str", doc="rows drawn in proportion to this column"),
        "log_weight_column": Param("str", doc="rows drawn in proportion to exp(column)"),
        "by": Param("str", doc="stratify by this column (proportional allocation)"),
    }

    def check(self) -> None:
        check_selection(self, required=True)
        opts = self.options
        chosen = [n for n in ("weight_column", "log_weight_column", "by") if opts[n] is not None]
        if len(chosen) > 1:
            self.where.fail(
                "give at most one of weight_column, log_weight_column and by", chosen[1]
            )
        if opts["by"] is not None and opts["tokens"] is not None:
            self.where.fail(
                "a token budget within groups is a mixture step (type = 'mixture')", "tokens"
            )

    def needs(self) -> list[str]:
        opts = self.options
        columns = [opts[n] for n in ("weight_column", "log_weight_column", "by") if opts[n]]
        return columns + token_column(self)

    def _weights(
        self, annotations: Annotations, rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64] | None:
        opts = self.options
        if opts["weight_column"] is not None:
            return annotations.column(opts["weight_column"])[rows].astype(np.float64)
        if opts["log_weight_column"] is not None:
            logs = annotations.column(opts["log_weight_column"])[rows].astype(np.float64)
            return np.exp(logs - logs.max()) if logs.size else logs  # the same distribution
        return None

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        opts = self.options
        rows = np.flatnonzero(alive)
        count = chosen_count(self, annotations, rows)
        assert count is not None
        weights = self._weights(annotations, rows)
        seed = opts["seed"]
        if count >= 0:
            if opts["by"] is not None:
                groups = annotations.column(opts["by"])[rows]
                picked = samplers.stratified(groups, count, seed=seed)
            elif weights is not None:
                count = min(count, int(np.count_nonzero(weights > 0)))
                picked = samplers.weighted(weights, count, seed=seed)
            else:
                picked = samplers.uniform(rows.size, count, seed=seed)
            keep = np.zeros(alive.size, dtype=bool)
            keep[rows[picked]] = True
            return Decision(keep)
        # A token budget: rows in the sample's own random order, taken until it is spent.
        if weights is not None:
            positive = int(np.count_nonzero(weights > 0))
            indices, keys, _ = _core.sample_keyed(weights, positive, seed)
            order = indices[np.argsort(-keys, kind="stable")]
        else:
            order = _core.permutation(rows.size, seed, 0)
        return Decision(take_best(self, annotations, rows, rows[order]))
