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
