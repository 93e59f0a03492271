"""What the samplers share: index and weight types, checks, weight conversion."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from thresher.exceptions import (
    EmptyInputError,
    InvalidParameterError,
    invalid_parameter,
    located,
)

Indices = npt.NDArray[np.int64]
#: Weights: a numpy array, a pyarrow (chunked) array, or any array-like.
WeightsLike: TypeAlias = "npt.ArrayLike | pa.Array | pa.ChunkedArray"


#: What a null weight or group breaks, said by its error (locally and on Ray).
_NULL_RULES = {"weights": "weights must be finite and >= 0", "groups": "every row needs a group"}


def _null_error(name: str, row: int) -> InvalidParameterError:
    """The error for a null ``name[row]`` (``"weights"`` or ``"groups"``)."""
    return invalid_parameter(name, f"{name}[{row}] is null; {_NULL_RULES[name]}")


def _weights(weights: WeightsLike) -> npt.NDArray[np.float64] | npt.NDArray[np.float32]:
    """A contiguous 1-D float32/float64 view of ``weights`` (copied only if needed)."""
    if isinstance(weights, pa.ChunkedArray):
        weights = weights.combine_chunks() if weights.num_chunks != 1 else weights.chunk(0)
    if isinstance(weights, pa.Array):
        if weights.null_count:
            row = int(pc.index(pc.is_null(weights), True).as_py())
            raise _null_error("weights", row)
        weights = weights.to_numpy(zero_copy_only=False)
    array: np.ndarray[Any, Any] = np.asarray(weights)
    if array.ndim != 1:
        raise invalid_parameter("weights", f"must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise located(EmptyInputError, "weights is empty: there is nothing to sample from")
    if array.dtype.kind not in "fiub":
        raise invalid_parameter("weights", f"must be numeric, got dtype {array.dtype}")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return np.ascontiguousarray(array)


def _token_counts(
    token_counts: npt.ArrayLike | None, n: int | None = None
) -> npt.NDArray[np.uint32]:
    """``token_counts`` as a contiguous uint32 array (one count per item, ``n`` of them
    when given), for a budget in tokens."""
    if token_counts is None:
        raise invalid_parameter("token_counts", "a budget in tokens needs a count per item")
    if isinstance(token_counts, pa.ChunkedArray):
        token_counts = token_counts.combine_chunks()
    if isinstance(token_counts, pa.Array):
        if token_counts.null_count:
            row = int(pc.index(pc.is_null(token_counts), True).as_py())
            raise invalid_parameter("token_counts", f"token_counts[{row}] is null")
        token_counts = token_counts.to_numpy(zero_copy_only=False)
    array: np.ndarray[Any, Any] = np.asarray(token_counts)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise invalid_parameter(
            "token_counts", f"must be a 1-D array of integers, got {array.dtype} {array.shape}"
        )
    if array.size and (int(array.min()) < 0 or int(array.max()) >= 2**32):
        raise invalid_parameter("token_counts", "counts must be in [0, 2**32)")
    if n is not None and array.size != n:
        raise invalid_parameter("token_counts", f"{array.size} counts for {n} items")
    return np.ascontiguousarray(array, dtype=np.uint32)


def _size(k: int | None, tokens: float | None) -> None:
    """Exactly one of ``k`` and ``tokens``."""
    if (k is None) == (tokens is None):
        raise invalid_parameter("k", "give exactly one of k (items) and tokens (a budget)")
