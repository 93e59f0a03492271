"""The seam between thresher's local modules and :mod:`thresher.ray`.

The Ray path runs the same steps as the local one on blocks of a Dataset; the few
helpers of the local modules it needs for that (argument checks, reading files as a
local run reads them, a DSIR model's counts, the result base class
:class:`TableResult`) are named here, so that the local modules
keep their private names private and a move of those helpers changes only this file.
Kernels themselves (random keys, band hashes, candidate rules, target resolution) are
core functions in :mod:`thresher._core`, never Python copies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _validation
from thresher._results import TableResult

# Names, not modules: ``thresher.dedup`` and ``thresher.sample`` are also functions.
from thresher.dedup import MinHasher, _check_policy, _NearOptions, _Shingling
from thresher.dsir import DSIR, FitStats
from thresher.io.sources import _check_text_field, _parquet_batches, _parquet_schema
from thresher.sample._common import _null_error, _weights

__all__ = [
    "NearOptions",
    "Shingling",
    "TableResult",
    "check_count",
    "check_dedup_policy",
    "check_seed",
    "check_text_field",
    "dsir_count",
    "dsir_counts",
    "dsir_quotas",
    "dsir_set_counts",
    "exact_similarities",
    "null_error",
    "parquet_batches",
    "parquet_schema",
    "weight_array",
]


def check_seed(seed: int) -> int:
    """``seed`` checked in ``[0, 2**64)``, as every local sampler checks it."""
    return _validation.seed(seed)


def check_count(name: str, value: int) -> int:
    """``value`` checked as a row count ``name`` (an integer >= 0)."""
    return _validation.count(name, value)


def null_error(name: str, row: int) -> Exception:
    """The local samplers' error for a null ``name[row]`` (``"weights"`` or ``"groups"``)."""
    return _null_error(name, row)


def weight_array(weights: Any) -> npt.NDArray[np.float64] | npt.NDArray[np.float32]:
    """A contiguous float32/float64 view of ``weights``, as the local samplers take it."""
    return _weights(weights)


#: The near-duplicate arguments of a :func:`thresher.dedup` run; ``setup()`` checks
#: ``threshold`` and ``verify`` and resolves the hasher and the LSH banding, for both paths.
NearOptions = _NearOptions

#: The :class:`~thresher.dedup.MinHasher` arguments of a :func:`thresher.dedup` run.
Shingling = _Shingling


def check_dedup_policy(output: str, keep: str, score: object) -> None:
    """The local checks of ``output``, ``keep`` and ``score`` of a near-duplicate run."""
    _check_policy(output, keep, score)


def exact_similarities(hasher: MinHasher, a: list[str], b: list[str]) -> npt.NDArray[np.float64]:
    """The exact Jaccard similarity of the shingle sets of each pair ``(a[i], b[i])``."""
    return hasher._core.exact_similarities(a, b)


def dsir_count(
    dsir: DSIR, corpus: Any, what: str, quiet: bool
) -> tuple[npt.NDArray[np.uint64], FitStats]:
    """The feature counts and statistics of a local corpus, as :meth:`DSIR.fit` counts."""
    return dsir._count(corpus, None, what, quiet)


def dsir_set_counts(
    dsir: DSIR, target: npt.NDArray[np.uint64], raw: npt.NDArray[np.uint64]
) -> None:
    """Fit ``dsir`` from summed target (one row per target) and raw counts."""
    dsir._set_counts(target, raw)


def dsir_counts(dsir: DSIR) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The target (targets x buckets) and raw counts of a fitted ``dsir``."""
    dsir.model  # noqa: B018 - raises the local error when not fitted
    return dsir._target_counts, dsir._raw_counts


def dsir_quotas(dsir: DSIR, k: int | Mapping[str, int]) -> list[int]:
    """Documents to select per target for ``k``, as :meth:`DSIR.select` splits it."""
    return dsir._quotas(k)


def parquet_batches(
    path: str, schema: pa.Schema, first: str, text_column: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The batches of one Parquet file, read as a local run reads it."""
    return _parquet_batches(path, schema, first, text_column, batch_size)


def parquet_schema(path: str) -> pa.Schema:
    """The Arrow schema of a Parquet file (the local error if unreadable)."""
    return _parquet_schema(path)


def check_text_field(schema: pa.Schema, column: str, path: str) -> None:
    """The local error if ``column`` is not a text field of ``schema``."""
    _check_text_field(schema, column, path)
