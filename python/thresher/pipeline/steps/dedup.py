"""``type = "dedup"``: near-duplicate removal. MinHash signatures are computed per
document in the fused pass; clusters are found from the signatures of the rows still
kept, within the run's memory budget (spilling to disk past it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher.dedup import MinHasher, _banding
from thresher.pipeline.context import Annotations, RunContext
from thresher.pipeline.params import Param
from thresher.pipeline.steps.base import Decision, Step

__all__ = ["DedupStep"]


class DedupStep(Step):
    """Remove near-duplicates: MinHash over word (or character) n-grams, LSH banding,
    candidates confirmed by signature agreement (the share of equal slots), union-find
    clusters; one document per cluster is kept (``keep``).

    Makes ``minhash`` (per document), ``cluster_id`` (the global row of the cluster's
    first member) and ``is_duplicate``.
    """

    type = "dedup"
    kind = "dedup"
    params: ClassVar[Mapping[str, Param]] = {
        "threshold": Param("number", 0.8, minimum=0.0, maximum=1.0, doc="Jaccard similarity"),
        "num_perm": Param("int", 128, minimum=1, maximum=1024),
        "ngram": Param("int", 5, minimum=1),
        "bands": Param("int", minimum=1),
        "rows": Param("int", minimum=1),
        "unit": Param("str", "word", choices=("word", "char")),
        "scheme": Param("str", "thresher", choices=("thresher", "affine32", "legacy")),
        "seed": Param("int", 1, minimum=0),
        "lowercase": Param("bool", True),
        "punctuation": Param("bool", True),
        "digits": Param("bool", False),
        "nfkc": Param("bool", False),
        "keep": Param("str", "first", choices=("first", "longest", "score")),
        "score_column": Param("str", doc="with keep = 'score': the column to maximise"),
    }
    document_part = True

    _SHINGLING = (
        "num_perm",
        "ngram",
        "unit",
        "scheme",
        "seed",
        "lowercase",
        "punctuation",
        "digits",
        "nfkc",
    )

    def check(self) -> None:
        opts = self.options
        if not 0.0 < opts["threshold"] < 1.0:
            self.where.fail(
                f"threshold must be strictly between 0 and 1, got {opts['threshold']}", "threshold"
            )
        if (opts["keep"] == "score") != (opts["score_column"] is not None):
            self.where.fail("give score_column exactly when keep = 'score'", "score_column")
        try:
            self._banding()
        except Exception as e:  # the library's own message, located in the file
            self.where.fail(str(e), "bands" if opts["bands"] is not None else "rows")

    def _banding(self) -> tuple[int, int]:
        opts = self.options
        return _banding(
            opts["threshold"], opts["num_perm"], opts["bands"], opts["rows"], 0.05, 0.95
        )

    def needs(self) -> list[str]:
        column = self.options["score_column"]
        return [column] if column is not None else []

    def produces(self) -> list[str]:
        return ["minhash", "cluster_id", "is_duplicate"]

    def annotation_params(self) -> dict[str, Any]:
        return {name: self.options[name] for name in self._SHINGLING}

    def _hasher(self) -> MinHasher:
        opts = self.options
        return MinHasher(
            opts["num_perm"],
            opts["ngram"],
            scheme=opts["scheme"],
            seed=opts["seed"],
            unit=opts["unit"],
            lowercase=opts["lowercase"],
            punctuation=opts["punctuation"],
            digits=opts["digits"],
            nfkc=opts["nfkc"],
        )

    def annotate(self, block: pa.Table, context: RunContext) -> dict[str, pa.Array]:
        hasher = getattr(self, "_hasher_cache", None) or self._hasher()
        self._hasher_cache = hasher
        signatures = hasher.signatures(block.column(context.text_column))
        width = 4 * signatures.shape[1]
        data = pa.py_buffer(np.ascontiguousarray(signatures).tobytes())
        column = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), len(signatures), [None, data]
        )
        return {"minhash": column}

    def _signatures(
        self, annotations: Annotations, rows: npt.NDArray[np.int64], context: RunContext
    ) -> npt.NDArray[np.uint32]:
        """The signatures of ``rows`` (sorted global rows), gathered block by block: in
        memory within half the run's budget, else into a memory-mapped file of the
        spill directory, which the clustering reads block by block."""
        num_perm = self.options["num_perm"]
        shape = (rows.size, num_perm)
        if 4 * rows.size * num_perm <= context.memory // 2:
            out = np.empty(shape, dtype=np.uint32)
        else:
            path = context.spill_dir / f"signatures-{self.index}.npy"
            out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint32, shape=shape)
        start = filled = 0
        for chunk in annotations.blocks_of("minhash"):
            n = len(chunk)
            lo, hi = np.searchsorted(rows, [start, start + n])
            if hi > lo:
                flat = chunk.combine_chunks()
                words = np.frombuffer(flat.buffers()[1], dtype=np.uint32)
                block = words[flat.offset * num_perm : (flat.offset + n) * num_perm]
                out[filled : filled + hi - lo] = block.reshape(n, num_perm)[rows[lo:hi] - start]
                filled += hi - lo
            start += n
        return out

    def decide(
        self, alive: npt.NDArray[np.bool_], annotations: Annotations, context: RunContext
    ) -> Decision:
        opts = self.options
        rows = np.flatnonzero(alive)
        signatures = self._signatures(annotations, rows, context)
        bands, band_rows = self._banding()
        score = None
        if opts["keep"] == "score":
            score = annotations.column(opts["score_column"])[rows].astype(np.float64)
        from thresher.dedup import clusters_of_signatures  # type: ignore[attr-defined]

        found = clusters_of_signatures(
            signatures,
            opts["threshold"],
            bands=bands,
            rows=band_rows,
            keep=opts["keep"],
            score=score,
            lengths=annotations.column("bytes")[rows].astype(np.uint64),
            memory=context.memory,
            spill_dir=context.spill_dir,
        )
        del signatures
        (context.spill_dir / f"signatures-{self.index}.npy").unlink(missing_ok=True)
        duplicate = np.zeros(alive.size, dtype=bool)
        duplicate[rows] = found.is_duplicate
        cluster = np.full(alive.size, -1, dtype=np.int64)
        cluster[rows] = rows[found.cluster_id.astype(np.int64)]
        sizes = Counter(Counter(found.cluster_id.tolist()).values())
        figures = {"cluster_sizes": {str(s): n for s, n in sorted(sizes.items()) if s >= 2}}
        return Decision(
            alive & ~duplicate, {"cluster_id": cluster, "is_duplicate": duplicate}, figures
        )
