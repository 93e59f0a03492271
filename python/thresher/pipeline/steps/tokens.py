"""``type = "tokens"``: per-document token counts with a Hugging Face ``tokenizer.json``
(the ``tokenizers`` crate, in the fused pass), optional bounds, and the ``tokens``
column that token budgets (``tokens = 2e9`` on ``dsir``, ``sample``, ``mixture``) and
the report's token figures use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step, within
from thresher.tokens import TokenCounter

__all__ = ["TokensStep"]


class TokensStep(Step):
    """Count the tokens of every document; keep those within ``min_tokens`` and
    ``max_tokens`` (when given). Makes ``tokens``."""

    type = "tokens"
    kind = "tokens"
    params: ClassVar[Mapping[str, Param]] = {
        "tokenizer": Param("str", required=True, doc="a tokenizer.json file"),
        "add_special_tokens": Param("bool", False, doc="count BOS/EOS and the like"),
        "min_tokens": Param("int", minimum=0),
        "max_tokens": Param("int", minimum=0),
    }
    document_part = True

    def check(self) -> None:
        path = self.options["tokenizer"]
        if not os.path.isfile(path):
            self.where.fail(f"tokenizer {path} does not exist", "tokenizer")
        low, high = self.options["min_tokens"], self.options["max_tokens"]
        if low is not None and high is not None and low > high:
            self.where.fail(f"min_tokens = {low} exceeds max_tokens = {high}", "max_tokens")

    def produces(self) -> list[str]:
        return ["tokens"]

    def annotation_params(self) -> dict[str, Any]:
        from thresher.io.manifest import fingerprint

        path = self.options["tokenizer"]
        return {
            "tokenizer": [path, os.path.getsize(path), fingerprint(path)],
            "add_special_tokens": self.options["add_special_tokens"],
        }

    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        counter = getattr(self, "_counter", None)
        if counter is None:
            counter = TokenCounter(
                self.options["tokenizer"], add_special_tokens=self.options["add_special_tokens"]
            )
            self._counter = counter
        counts = counter.count(block.column(context.text_column))
        return {"tokens": pa.array(np.asarray(counts, dtype=np.int64))}

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        low, high = self.options["min_tokens"], self.options["max_tokens"]
        if low is None and high is None:
            return Decision(alive)
        return Decision(alive & within(annotations.column("tokens"), low, high))
