"""``type = "dsir"``: importance resampling toward a target (Xie et al. 2023).

The fused pass counts the hashed n-gram features of every block (the raw
distribution) and keeps a decoded copy of its text in the work directory; after the
pass, the target is counted, the model formed, and every block's log importance
weight computed from its copy (a stage of its own, resumable per block). The corpus
files are not read again. The global part samples ``k`` (or a ``fraction``, or a
token budget) of the rows still kept, by Gumbel top-k over their log weights, keyed
by global row as :meth:`thresher.DSIR.select` does: the same rows for the same seed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher.dsir import DSIR
from thresher.io.sources import expand_paths
from thresher.pipeline.context import Annotations, RunContext, block_name, write_parquet
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step
from thresher.pipeline.steps.select import (
    SELECTION_PARAMS,
    check_selection,
    chosen_count,
    take_best,
    token_column,
)

__all__ = ["DsirStep"]


class DsirStep(Step):
    """Annotate ``dsir_log_weight`` and ``dsir_tokens``; with ``k``, ``fraction`` or
    ``tokens``, keep that many of the rows still in the run (without, annotate only:
    a later ``sample`` step can weight by ``dsir_log_weight``)."""

    type = "dsir"
    kind = "dsir"
    params: ClassVar[Mapping[str, Param]] = {
        "target": Param("path_or_paths", required=True, doc="target corpus: files or globs"),
        "target_text_column": Param("str", "text"),
        "ngrams": Param("int", 2, minimum=1, maximum=8),
        "num_buckets": Param("int", 10_000, minimum=1, maximum=2**32 - 1),
        "hash": Param("str", "xxh3", choices=("xxh3", "sha256")),
        "target_smoothing": Param("number", 1.0, minimum=0.0),
        "raw_smoothing": Param("number", 1.0, minimum=0.0),
        "epsilon": Param("number", 0.0, minimum=0.0),
        "normalize": Param("str", "none", choices=("none", "per_token")),
        "clip_min": Param("number"),
        "clip_max": Param("number"),
        "min_length": Param("int", 0, minimum=0, doc="fewer tokens: never selected"),
        "method": Param("str", "gumbel", choices=("gumbel", "top_k")),
        "temperature": Param("number", 1.0, minimum=1e-9),
        **SELECTION_PARAMS,
    }
    document_part = True

    def check(self) -> None:
        check_selection(self, required=False)
        if (self.options["clip_min"] is None) != (self.options["clip_max"] is None):
            self.where.fail("give both clip_min and clip_max, or neither", "clip_min")
        try:
            self._target_files = expand_paths(self.options["target"])
        except Exception as e:
            self.where.fail(str(e), "target")

    def produces(self) -> list[str]:
        return ["dsir_log_weight", "dsir_tokens"]

    def needs(self) -> list[str]:
        return token_column(self)

    def annotation_params(self) -> dict[str, Any]:
        """Everything but how rows are chosen: the weights are per-document columns, and
        the decoded text they are computed from is deleted once they are."""
        chosen = set(SELECTION_PARAMS) | {"method", "temperature", "min_length"}
        params = {k: v for k, v in self.options.items() if k not in chosen}
        params["target_files"] = self._target_fingerprints()
        return params

    def _dsir(self) -> DSIR:
        opts = self.options
        return DSIR(
            opts["ngrams"],
            opts["num_buckets"],
            hash=opts["hash"],
            target_smoothing=opts["target_smoothing"],
            raw_smoothing=opts["raw_smoothing"],
            epsilon=opts["epsilon"],
            text_column=opts["target_text_column"],
        )

    # ------------------------------------------------------------ fused pass
    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        opts = self.options
        directory = self.annotation_dir
        spill = directory / f"{context.block}.spill"
        counts, _, _, _, _ = _core.count_features(
            block.select([context.text_column]),
            context.text_column,
            opts["ngrams"],
            opts["num_buckets"],
            opts["hash"],
            None,
            str(spill),
            None,
        )
        tmp = directory / f".{context.block}.counts.{os.getpid()}.npy"
        np.save(tmp, counts)
        os.replace(tmp, directory / f"{context.block}.counts.npy")
        return {}

    # ------------------------------------------------------------ weights stage
    def _weights_dir(self) -> Path:
        path = self.annotation_dir / "weights"
        path.mkdir(exist_ok=True)
        return path

    def _target_fingerprints(self) -> list[list[Any]]:
        from thresher.io.manifest import fingerprint

        return [[p, os.path.getsize(p), fingerprint(p)] for p in self._target_files]

    def column_dirs(self) -> dict[str, Path]:
        weights = self._weights_dir()
        return {"dsir_log_weight": weights, "dsir_tokens": weights}

    def finish_annotations(self, context: RunContext) -> None:
        weights_dir = self._weights_dir()
        blocks = context.blocks
        missing = [
            b for b in blocks if not (weights_dir / f"{block_name(b[0], b[1])}.parquet").exists()
        ]
        if not missing:
            self._remove_copies(blocks)
            return
        dsir = self._dsir()
        target_counts, _ = dsir._count(self._target_files, None, "fit target", context.quiet)
        raw = np.zeros(self.options["num_buckets"], dtype=np.uint64)
        for file, block, _ in blocks:
            raw += np.load(self.annotation_dir / f"{block_name(file, block)}.counts.npy")
        dsir.target_names = ["target"]
        dsir._set_counts(target_counts[np.newaxis, :], raw)
        opts = self.options
        clip = None if opts["clip_min"] is None else (opts["clip_min"], opts["clip_max"])
        for file, block, rows in missing:
            name = block_name(file, block)
            spilled = _core.SpilledCorpus(str(self.annotation_dir / f"{name}.spill"))
            weights, tokens = _core.dsir_log_weights(
                dsir.model, spilled, context.text_column, opts["normalize"], clip, 0, None, None
            )
            if len(weights) != rows:
                raise AssertionError(f"{name}: {len(weights)} weights for {rows} rows")
            table = pa.table(
                {
                    "dsir_log_weight": pa.array(weights[:, 0]),
                    "dsir_tokens": pa.array(tokens.astype(np.int64)),
                }
            )
            write_parquet(weights_dir / f"{name}.parquet", table)
            context.unit_done()
        self._remove_copies(blocks)

    def _remove_copies(self, blocks: list[tuple[int, int, int]]) -> None:
        """The decoded text copies are needed only until every weight is computed;
        the feature counts stay (small) so another target reuses them."""
        for file, block, _ in blocks:
            (self.annotation_dir / f"{block_name(file, block)}.spill").unlink(missing_ok=True)

    # ------------------------------------------------------------ global
    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        opts = self.options
        weights = annotations.column("dsir_log_weight")
        figures = {"histogram": _histogram(weights[alive])}
        eligible = alive & (annotations.column("dsir_tokens") >= opts["min_length"])
        rows = np.flatnonzero(eligible)
        if chosen_count(self, annotations, rows) is None:
            return Decision(alive, figures=figures)
        ids = rows.astype(np.uint64)
        keys = _core.dsir_keys(
            np.ascontiguousarray(weights[rows]),
            ids,
            0,
            opts["seed"],
            opts["method"],
            opts["temperature"],
        )
        order = _core.dsir_best(ids, keys, rows.size)  # best first, ties to the lower row
        keep = take_best(self, annotations, rows, rows[order])
        return Decision(keep, figures=figures)


def _histogram(values: npt.NDArray[np.float64], bins: int = 40) -> dict[str, Any] | None:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = np.percentile(values, [1, 99])
    if high <= low:
        high = low + 1.0
    counts, edges = np.histogram(np.clip(values, low, high), bins=bins, range=(low, high))
    return {
        "name": "DSIR log weight (ends clipped to the 1st and 99th percentiles)",
        "edges": edges.tolist(),
        "counts": counts.tolist(),
    }
