"""``type = "filter"``: keep rows by the value of any column (an input column or an
earlier step's annotation), e.g. a language, a score threshold or a label list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step, within

__all__ = ["FilterStep"]


class FilterStep(Step):
    """Keep the rows whose ``column`` is within ``[min, max]``, in ``values``, or not
    in ``exclude``. Rows whose value is null are dropped."""

    type = "filter"
    kind = "filter"
    params: ClassVar[Mapping[str, Param]] = {
        "column": Param("str", required=True, doc="the column to test"),
        "min": Param("number", doc="smallest kept value"),
        "max": Param("number", doc="largest kept value"),
        "values": Param("strings", doc="kept values (strings)"),
        "exclude": Param("strings", doc="dropped values (strings)"),
    }

    def check(self) -> None:
        opts = self.options
        numeric = opts["min"] is not None or opts["max"] is not None
        listed = opts["values"] is not None or opts["exclude"] is not None
        if not numeric and not listed:
            self.where.fail("give min, max, values or exclude")
        if numeric and listed:
            self.where.fail("give either min/max (numbers) or values/exclude (strings)")
        if opts["min"] is not None and opts["max"] is not None and opts["min"] > opts["max"]:
            self.where.fail(f"min = {opts['min']:g} exceeds max = {opts['max']:g}", "max")

    def needs(self) -> list[str]:
        return [self.options["column"]]

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        opts = self.options
        values = annotations.column(opts["column"])
        keep = alive.copy()
        if opts["values"] is not None or opts["exclude"] is not None:
            text = values.astype(object)
            if opts["values"] is not None:
                keep &= np.isin(text, np.asarray(opts["values"], dtype=object))
            if opts["exclude"] is not None:
                keep &= ~np.isin(text, np.asarray(opts["exclude"], dtype=object))
            keep &= np.array([v is not None for v in text], dtype=bool)
            return Decision(keep)
        try:
            numbers = values.astype(np.float64)
        except (TypeError, ValueError):
            self.where.fail(f"column {opts['column']!r} is not numeric", "column")
        keep &= ~np.isnan(numbers) & within(numbers, opts["min"], opts["max"])
        return Decision(keep)
