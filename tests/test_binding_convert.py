"""The binding's shared conversions: one refusal shape for string choices, typed
results instead of dicts."""

import numpy as np
import pytest
from thresher import _core
from thresher.exceptions import InvalidParameterError


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: _core.kmeans_fit(x, 2, metric="manhattan"), "metric"),
        (lambda x: _core.kmeans_fit(x, 2, init="kmeans"), "init"),
        (lambda x: _core.resample(x, np.zeros(4, np.uint32), [4], method="smot"), "method"),
        (lambda x: _core.k_center_greedy(x, 2, metric=3), "metric"),
    ],
)
def test_every_choice_is_refused_alike(call, name):
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    with pytest.raises(InvalidParameterError, match=f"^invalid {name}: must be one of '") as info:
        call(x)
    assert info.value.parameter == name


def test_results_are_typed_and_float64_rows_are_read_in_place():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    fit64 = _core.kmeans_fit(x, 2, seed=1)
    fit32 = _core.kmeans_fit(x.astype(np.float32), 2, seed=1)
    assert isinstance(fit64, _core.KMeansFit)
    assert fit64.centroids.shape == (2, 2)
    np.testing.assert_array_equal(fit64.labels, fit32.labels)
    np.testing.assert_array_equal(fit64.centroids, fit32.centroids)
    assert fit64.n_iter == fit32.n_iter and fit64.inertia == fit32.inertia
    out = _core.resample(x, np.array([0, 0, 1, 1], np.uint32), [2, 3], method="over")
    assert isinstance(out, _core.Resampled)
    assert out.x.dtype == np.float64 and out.x.shape == (5, 2)
    assert len(out.labels) == len(out.parent) == len(out.gap) == 5
