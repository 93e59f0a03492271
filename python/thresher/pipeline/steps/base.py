"""What a pipeline step is: typed parameters, the columns it needs and makes, and its
two optional parts.

The **per-document part** (:meth:`Step.annotate`) turns a block of documents into
annotation columns (word counts, MinHash signatures, token counts...). Every step's
part runs on the same block in one read of the corpus, and its columns are saved as a
side file per block, keyed by :meth:`Step.annotation_params`: a later run whose step
has the same annotation parameters reuses them without reading the corpus.

The **global part** (:meth:`Step.decide`) sees only annotations, never documents: the
rows still in the run (``alive``) and any column, and returns the rows it keeps (near-
duplicate clusters, DSIR resampling, quotas). Steps run in the order of the file, each
on the rows the earlier ones kept.

A new per-document signal (the quality filters of a later issue, say) is a subclass
registered in :mod:`thresher.pipeline.steps` with ``annotate`` returning its columns
and ``decide`` applying its thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher.pipeline.params import Param, Where

if TYPE_CHECKING:
    from thresher.pipeline.context import Annotations, RunContext

__all__ = ["Decision", "Step", "within"]


@dataclass
class Decision:
    """What a global part returns: the rows still kept (a mask over every row of the
    corpus), annotation columns it made (over every row) and figures for the report."""

    alive: npt.NDArray[np.bool_]
    columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


def within(
    values: npt.NDArray[Any], low: float | None, high: float | None
) -> npt.NDArray[np.bool_]:
    """Where ``low <= values <= high`` (a missing bound does not bound; NaN is out)."""
    mask = np.ones(values.shape, dtype=bool) if low is None else values >= low
    return mask if high is None else mask & (values <= high)


class Step:
    """Base class of pipeline steps; subclasses set the class attributes and override
    the parts they have."""

    type: ClassVar[str]
    """The ``type = "..."`` of the step in a pipeline file."""
    kind: ClassVar[str]
    """What the report calls it: ``filter``, ``dedup``, ``dsir``, ``sample``..."""
    params: ClassVar[Mapping[str, Param]]
    document_part: ClassVar[bool] = False
    annotation_dir: Path
    """Where the per-document part's side files go (set by the run)."""

    def __init__(self, index: int, name: str, options: dict[str, Any], where: Where) -> None:
        self.index = index
        self.name = name
        self.options = options
        self.where = where

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.options!r})"

    # ---------------------------------------------------------------- planning
    def check(self) -> None:
        """Checks across parameters and of the files the step reads (before any work);
        fail with ``self.where.fail(message, key)``."""

    def needs(self) -> list[str]:
        """Columns the step reads: input columns or columns of earlier steps."""
        return []

    def produces(self) -> list[str]:
        """Columns the step adds to the annotations."""
        return []

    def text_rewrite(self) -> str | None:
        """The column (of :meth:`produces`) holding this step's rewritten text, which
        replaces the text of the rows it keeps when they are written (C4's line
        removal); ``None``: the step does not rewrite text. Every per-document part
        sees the original text (one fused read), so at most one step of a pipeline
        may rewrite it."""
        return None

    def text_needed(self) -> bool:
        """Whether the per-document part reads the text column."""
        return self.document_part

    # ---------------------------------------------------------------- per document
    def annotation_params(self) -> dict[str, Any]:
        """What the per-document columns depend on (their side files are keyed by it);
        by default every parameter."""
        return dict(self.options)

    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        """The per-document columns of ``block`` (rows in corpus order)."""
        raise NotImplementedError(f"step {self.type} has no per-document part")

    def finish_annotations(self, context: RunContext) -> None:
        """Run after every block is annotated (a stage of its own for resume)."""

    # ---------------------------------------------------------------- global
    def decision_params(self) -> dict[str, Any]:
        """What the global part depends on besides the rows it receives."""
        return dict(self.options)

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        """The rows kept among ``alive`` (see :class:`Decision`)."""
        return Decision(alive)
