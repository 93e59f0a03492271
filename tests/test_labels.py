"""Label encoding (thresher._labels): the two orders the modules rely on."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from thresher import _labels
from thresher.exceptions import InvalidParameterError


def test_encode_first_appearance_and_sorted() -> None:
    column = _labels.as_array(["fr", "en", "fr", "de"])
    codes, values = _labels.encode(column)
    assert values.to_pylist() == ["fr", "en", "de"] and codes.tolist() == [0, 1, 0, 2]
    assert codes.dtype == np.uint32
    codes, values = _labels.encode(column, sort=True)
    assert values.to_pylist() == ["de", "en", "fr"] and codes.tolist() == [2, 1, 2, 0]


def test_dictionary_kept_unless_plain() -> None:
    column = pa.DictionaryArray.from_arrays(pa.array([1, 0, 1], pa.int32()), ["z", "b", "a"])
    assert _labels.encode(column)[1].to_pylist() == ["z", "b", "a"]
    codes, values = _labels.encode(_labels.plain(column))
    assert values.to_pylist() == ["b", "z"] and codes.tolist() == [0, 1, 0]


def test_inputs_nulls_and_numpy_codes() -> None:
    chunked = pa.chunked_array([["a"], ["b", None]])
    assert _labels.as_array(chunked).to_pylist() == ["a", "b", None]
    assert _labels.first_null(chunked) == 2
    assert _labels.first_null(pa.array([1, 2])) is None
    classes, codes = _labels.sorted_codes(np.array([3, 1, 3]))
    assert classes.tolist() == [1, 3] and codes.tolist() == [1, 0, 1]
    with pytest.raises(InvalidParameterError, match="has 2 labels for 3 rows of x"):
        _labels.check_per_row(np.array([1, 2]), 3, "y", "x")
