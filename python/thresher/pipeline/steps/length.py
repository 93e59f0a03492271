"""``type = "length"``: bounds on words, characters and bytes of each document."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step, within

__all__ = ["LengthStep"]

_BOUNDS = {
    f"{side}_{unit}": Param("int", minimum=0, doc=f"{side}imum {unit} of a kept document")
    for unit in ("words", "chars", "bytes")
    for side in ("min", "max")
}


class LengthStep(Step):
    """Keep documents whose word, character and byte counts are within bounds.

    Words are runs of non-whitespace characters (Unicode whitespace), the count
    datatrove and the Gopher rules use before their language-aware splitting.
    Makes the columns ``words`` and ``chars`` (``bytes`` is always annotated).
    """

    type = "length"
    kind = "filter"
    params = _BOUNDS
    document_part = True

    def check(self) -> None:
        if all(value is None for value in self.options.values()):
            self.where.fail("give at least one bound (" + ", ".join(_BOUNDS) + ")")
        for unit in ("words", "chars", "bytes"):
            low, high = self.options[f"min_{unit}"], self.options[f"max_{unit}"]
            if low is not None and high is not None and low > high:
                self.where.fail(f"min_{unit} = {low} exceeds max_{unit} = {high}", f"max_{unit}")

    def produces(self) -> list[str]:
        return ["words", "chars"]

    def annotation_params(self) -> dict[str, Any]:
        return {}  # the counts do not depend on the bounds

    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        text = block.column(context.text_column)
        # Trimmed first: Arrow counts an empty piece before leading or after trailing
        # whitespace, and one for an empty string; this is Python's len(text.split()).
        trimmed = pc.utf8_trim_whitespace(text)
        pieces = pc.list_value_length(pc.utf8_split_whitespace(trimmed))
        words = pc.if_else(pc.equal(pc.utf8_length(trimmed), 0), 0, pieces)
        chars = pc.utf8_length(text)
        return {
            "words": words.cast(pa.int64()).combine_chunks(),
            "chars": chars.cast(pa.int64()).combine_chunks(),
        }

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        keep = alive.copy()
        for unit in ("words", "chars", "bytes"):
            low, high = self.options[f"min_{unit}"], self.options[f"max_{unit}"]
            if low is None and high is None:
                continue
            keep &= within(annotations.column(unit), low, high)
        return Decision(keep)
