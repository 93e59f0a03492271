"""``type = "langid"``: the language of every document with a fastText language-ID
model (``lid.176.ftz`` by default), and a keep rule on it. Its ``language`` column
feeds the language-aware steps after it directly: ``mixture`` with ``column =
"language"`` (shares, temperature or ``method = "unimax"``), ``sample`` with
``by = "language"``, ``filter`` on ``language_score``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step

__all__ = ["LangidStep"]


class LangidStep(Step):
    """Annotate ``language`` (the label without ``__label__``: ``en``, ``fr``...) and
    ``language_score`` (its probability); keep the documents whose language is in
    ``languages`` (when given), not in ``exclude``, and whose score is at least
    ``min_score``. A document with no known feature has a null language: it is
    dropped by any of the three rules."""

    type = "langid"
    kind = "filter"
    params: ClassVar[Mapping[str, Param]] = {
        "model": Param("str", doc="a fastText language-ID model (default: lid.176.ftz)"),
        "languages": Param("strings", doc="languages kept (e.g. ['en', 'fr'])"),
        "exclude": Param("strings", doc="languages dropped"),
        "min_score": Param("number", minimum=0.0, doc="smallest kept probability"),
    }
    document_part = True

    def check(self) -> None:
        path = self.options["model"]
        if path is not None and not os.path.isfile(path):
            self.where.fail(f"model {path} does not exist", "model")
        if path is None:
            from thresher.exceptions import MissingDependencyError
            from thresher.quality.fasttext import lid176_path

            try:
                lid176_path()
            except MissingDependencyError as e:
                self.where.fail(str(e), "model")

    def produces(self) -> list[str]:
        return ["language", "language_score"]

    def _model_path(self) -> str:
        from thresher.quality.fasttext import lid176_path

        return self.options["model"] or str(lid176_path())

    def annotation_params(self) -> dict[str, Any]:
        from thresher.io.manifest import fingerprint

        path = self._model_path()
        return {"model": [os.path.basename(path), os.path.getsize(path), fingerprint(path)]}

    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        from thresher.quality.fasttext import FastText, language_id

        model = getattr(self, "_model", None)
        if model is None:
            model = self._model = FastText(self._model_path())
        table = language_id(block, model, text_column=context.text_column)
        return {name: table.column(name).combine_chunks() for name in self.produces()}

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        opts = self.options
        keep = alive.copy()
        language = annotations.column("language").astype(object)
        known = np.array([v is not None for v in language], dtype=bool)
        if opts["languages"] is not None:
            keep &= known & np.isin(language, np.asarray(opts["languages"], dtype=object))
        if opts["exclude"] is not None:
            keep &= known & ~np.isin(language, np.asarray(opts["exclude"], dtype=object))
        if opts["min_score"] is not None:
            score = annotations.column("language_score").astype(np.float64)
            keep &= known & (np.nan_to_num(score, nan=-1.0) >= opts["min_score"])
        names, counts = np.unique(language[alive & known].astype(str), return_counts=True)
        figures = {"languages": dict(zip(names.tolist(), counts.tolist(), strict=True))}
        return Decision(keep, figures=figures)
