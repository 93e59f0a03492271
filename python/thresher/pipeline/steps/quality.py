"""``type = "quality"``: the Gopher, C4 and FineWeb heuristic quality rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import filters
from thresher.exceptions import InvalidParameterError
from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step

__all__ = ["QualityStep"]


def rule_objects(rules: list[str], overrides: dict[str, Any]) -> list[filters.RuleSet]:
    """The parameter objects of ``rules`` with ``overrides``: ``{rule: {param: value}}``
    or ``{"rule.param": value}``."""
    per_rule: dict[str, dict[str, Any]] = {name: {} for name in rules}
    for key, value in overrides.items():
        if isinstance(value, dict):
            rule, params = key, value
        elif "." in key:
            rule, param = key.split(".", 1)
            params = {param: value}
        else:
            raise InvalidParameterError(
                f"invalid set: key {key!r} must be RULE.PARAM or a table per rule"
            )
        if rule not in per_rule:
            raise InvalidParameterError(
                f"invalid set: {rule!r} is not one of the step's rules {rules}"
            )
        for name, v in params.items():
            per_rule[rule][name] = (
                tuple(tuple(x) if isinstance(x, list) else x for x in v)
                if isinstance(v, list)
                else v
            )
    return [filters.rule_set(name, **per_rule[name]) for name in rules]


_PARAMS = {
    "rules": Param(
        "strings",
        default=list(filters.RULE_SETS),
        doc="rule sets: gopher_quality, gopher_repetition, c4, fineweb",
    ),
    "language": Param("str", default="en", choices=filters.LANGUAGES, doc="word splitter"),
    "set": Param("table", default={}, doc="threshold overrides, RULE.PARAM = value"),
}


class QualityStep(Step):
    """Keep documents that pass every rule set of ``rules``.

    The rule sets are :mod:`thresher.filters`' (datatrove's Gopher quality, Gopher
    repetition, C4 and FineWeb rules with their defaults; ``set`` overrides thresholds,
    e.g. ``set = {"gopher_quality.min_doc_words" = 30}``). Makes the columns
    ``quality_keep``, ``<rule>_keep`` and every statistic of the rule sets
    (``gopher_n_words``, ``dup_line_frac``, ``c4_lines_removed``, ...).

    With ``c4`` among the rules the step also makes ``c4_text`` (C4's cleaned text:
    lines removed) and the kept rows are written with it (:meth:`Step.text_rewrite`);
    the steps of the same pipeline annotate the original text (one fused read).
    """

    type = "quality"
    kind = "filter"
    params = _PARAMS
    document_part = True

    def _rules(self) -> list[filters.RuleSet]:
        return rule_objects(list(self.options["rules"]), dict(self.options["set"] or {}))

    def check(self) -> None:
        for rule in self.options["rules"]:
            if rule not in filters.RULE_SETS:
                self.where.fail(
                    f"unknown rule set {rule!r}, expected one of {list(filters.RULE_SETS)}", "rules"
                )
        try:
            self._rules()
        except InvalidParameterError as e:
            self.where.fail(str(e), "set")

    def produces(self) -> list[str]:
        rules = self._rules()
        config = filters._config(rules, self.options["language"])
        c4_text = ["c4_text"] if "c4" in self.options["rules"] else []
        return (
            ["quality_keep"] + [f"{r.name}_keep" for r in rules] + list(config.stat_names) + c4_text
        )

    def text_rewrite(self) -> str | None:
        return "c4_text" if "c4" in self.options["rules"] else None

    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        text = block.column(context.text_column)
        result = filters.apply(
            text, rules=self._rules(), language=self.options["language"], quiet=True
        ).table
        out: dict[str, pa.Array] = {"quality_keep": result.column("keep").combine_chunks()}
        for name in self.produces()[1:]:
            out[name] = result.column(name).combine_chunks()
        return out

    def decision_params(self) -> dict[str, Any]:
        return {}

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        keep = np.asarray(annotations.column("quality_keep"), dtype=bool)
        kept = alive & keep
        return Decision(kept, figures={"quality_removed": int(alive.sum() - kept.sum())})
