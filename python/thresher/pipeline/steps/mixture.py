"""``type = "mixture"``: a sample with set shares of each label (a domain mixture),
in rows (``k``) or tokens (``tokens``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from thresher import _core
from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step
from thresher.pipeline.steps.select import (
    SELECTION_PARAMS,
    check_selection,
    token_column,
    token_counts,
)

__all__ = ["MixtureStep"]


class MixtureStep(Step):
    """Keep a total of ``k`` rows (or ``tokens``) split across the labels of ``column``
    by ``weights`` (``{label = share}``; labels not listed get none) or, without
    weights, by temperature sampling over the labels' sizes (``temperature = 1``:
    proportional) or, with ``method = "unimax"``, by UniMax (Chung et al. 2023: the
    budget spread as evenly as possible, no label taking more than it has; the
    languages of a language-ID step, say). A label with too few rows gives its excess
    to the others in proportion to their shares. Within a label rows are drawn
    uniformly."""

    type = "mixture"
    kind = "mixture"
    params: ClassVar[Mapping[str, Param]] = {
        **SELECTION_PARAMS,
        "column": Param("str", required=True, doc="the label column"),
        "weights": Param("table", doc="share of each label"),
        "temperature": Param("number", 1.0, minimum=1e-9),
        "method": Param(
            "str", "temperature", choices=("temperature", "unimax"), doc="shares without weights"
        ),
    }

    def check(self) -> None:
        check_selection(self, required=True)
        if self.options["fraction"] is not None:
            self.where.fail("give k or tokens (a fraction of a mixture is a sample)", "fraction")
        if self.options["method"] == "unimax" and self.options["weights"] is not None:
            self.where.fail("give weights or method = 'unimax', not both", "method")
        for label, share in (self.options["weights"] or {}).items():
            if not isinstance(share, (int, float)) or isinstance(share, bool) or share < 0:
                self.where.fail(f"weights.{label} must be a number >= 0, got {share!r}", "weights")

    def needs(self) -> list[str]:
        return [self.options["column"], *token_column(self)]

    def _shares(self, labels: list[Any], sizes: list[float], total: int) -> list[float]:
        """Each label's share; ``sizes`` in the budget's unit (rows or tokens)."""
        weights = self.options["weights"]
        if weights is not None:
            return [float(weights.get(str(label), 0.0)) for label in labels]
        if self.options["method"] == "unimax":  # one epoch at most: a sample, not repeats
            return list(_core.mixture_unimax(sizes, float(total), 1.0))
        return list(_core.mixture_temperature(sizes, self.options["temperature"]))

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        opts = self.options
        rows = np.flatnonzero(alive)
        values = annotations.column(opts["column"])[rows]
        labels, codes = np.unique(values.astype(str), return_inverse=True)
        budget_tokens = opts["tokens"] is not None
        tokens = token_counts(self, annotations)[rows] if budget_tokens else None
        members = [np.flatnonzero(codes == g) for g in range(labels.size)]
        sizes = [
            float(tokens[m].sum(dtype=np.uint64)) if tokens is not None else float(m.size)
            for m in members
        ]
        total = int(opts["tokens"] if budget_tokens else opts["k"])
        if opts["method"] == "unimax":
            shares = self._shares(labels.tolist(), sizes, total)
        else:
            shares = self._shares(labels.tolist(), [float(m.size) for m in members], total)
        quotas = _core.allocate(total, shares, [int(s) for s in sizes])
        keep = np.zeros(alive.size, dtype=bool)
        for group, (member, quota) in enumerate(zip(members, quotas, strict=True)):
            seed = _core.stratified_group_seed(opts["seed"], group)
            order = member[_core.permutation(member.size, seed, 0)]
            if tokens is None:
                chosen = order[:quota]
            else:
                chosen = _core.take_until_budget(order.astype(np.uint64), tokens, quota)
            keep[rows[chosen]] = True
        return Decision(keep, figures={"quotas": dict(zip(labels.tolist(), quotas, strict=True))})
