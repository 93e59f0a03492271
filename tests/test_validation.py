"""Argument checks: one definition of a valid seed for every public function, one
message shape (``invalid <name>: must be ..., got ...``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher import _validation as check
from thresher import cluster, mixing, rebalance, sample, select, valuation
from thresher.exceptions import InvalidParameterError
from thresher.mixing import quadmix

X = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [5, 5], [5, 6]], dtype=np.float32)
Y = np.array([0, 0, 0, 0, 1, 1])
TABLE = pa.table({"text": ["a b c", "b c d", "x y z"], "g": ["u", "u", "v"]})
FITTED = thresher.DSIR(num_buckets=64).fit(TABLE, TABLE, cache_raw="never")

#: Every public function or constructor taking a seed, called with ``seed=s``.
SEEDED: dict[str, Callable[[Any], Any]] = {
    "sample.uniform": lambda s: sample.uniform(10, 3, seed=s),
    "sample.weighted": lambda s: sample.weighted(np.ones(4), 2, seed=s),
    "sample.weighted(replace)": lambda s: sample.weighted(np.ones(4), 2, replace=True, seed=s),
    "sample.WeightedReservoir": lambda s: sample.WeightedReservoir(2, seed=s),
    "sample.reservoir": lambda s: sample.reservoir(TABLE, 1, seed=s),
    "sample.stratified": lambda s: sample.stratified(["a", "b", "a"], 2, seed=s),
    "sample.stratified_rows": lambda s: sample.stratified_rows(TABLE, "g", 2, seed=s),
    "sample.RS2Sampler": lambda s: sample.RS2Sampler(10, k=2, seed=s),
    "KMeans": lambda s: cluster.KMeans(2, seed=s),
    "cluster.hierarchical": lambda s: cluster.hierarchical(X, [2], seed=s),
    "Hierarchy.sample": lambda s: cluster.hierarchical(X, [2]).sample(2, seed=s),
    "MinHasher": lambda s: thresher.MinHasher(seed=s),
    "dedup": lambda s: thresher.dedup(TABLE, seed=s),
    "DSIR.select": lambda s: FITTED.select(TABLE, k=1, seed=s),
    "rebalance.smote": lambda s: rebalance.smote(X, Y, k_neighbors=1, seed=s),
    "rebalance.random_over_sample": lambda s: rebalance.random_over_sample(X, Y, seed=s),
    "rebalance.random_under_sample": lambda s: rebalance.random_under_sample(X, Y, seed=s),
    "rebalance.nearest_neighbors": lambda s: rebalance.nearest_neighbors(X, 1, seed=s),
    "valuation.monte_carlo_shapley": lambda s: valuation.monte_carlo_shapley(
        lambda rows: float(len(rows)), 3, max_permutations=2, seed=s
    ),
    "GME": lambda s: thresher.GME(seed=s),
    "select.balanced": lambda s: select.balanced([0, 0, 1, 1], 2, seed=s),
    "select.k_center": lambda s: select.k_center(X, 2, seed=s),
    "mixing.Aioli": lambda s: mixing.Aioli(2, seed=s),
    "quadmix.sample": lambda s: quadmix.sample(
        [1.0, 2.0], ["x", "x"], quadmix.DomainParams(), seed=s
    ),
    "quadmix.sample_rows": lambda s: quadmix.sample_rows(
        pa.table({"q": [1.0, 2.0], "d": ["x", "x"]}), ["q"], "d", quadmix.DomainParams(), seed=s
    ),
}


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, True, "1", None])
@pytest.mark.parametrize("call", list(SEEDED.values()), ids=list(SEEDED))
def test_out_of_range_seed_is_an_invalid_parameter_naming_seed(
    call: Callable[[Any], Any], seed: Any
) -> None:
    with pytest.raises(InvalidParameterError, match=r"^invalid seed: must be an integer") as e:
        call(seed)
    assert e.value.parameter == "seed"


@pytest.mark.parametrize("call", list(SEEDED.values()), ids=list(SEEDED))
def test_largest_seed_and_numpy_integers_are_seeds(call: Callable[[Any], Any]) -> None:
    call(2**64 - 1)
    call(np.uint64(3))
    call(np.int32(3))


def test_one_message_shape() -> None:
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: check.count("k", -1), "invalid k: must be an integer >= 0, got -1"),
        (lambda: check.count("k", True), "invalid k: must be an integer >= 0, got True"),
        (lambda: check.count("k", 5, maximum=4), "invalid k: must be an integer in [0, 4], got 5"),
        (lambda: check.positive_count("n", 0), "invalid n: must be an integer >= 1, got 0"),
        (lambda: check.fraction("frac", 1.5), "invalid frac: must be a number in [0, 1], got 1.5"),
        (
            lambda: check.fraction("f", 0.0, open_low=True),
            "invalid f: must be a number in (0, 1], got 0.0",
        ),
        (
            lambda: check.positive("t", float("nan")),
            "invalid t: must be a finite number > 0, got nan",
        ),
        (
            lambda: check.choice("metric", "l1", ("euclidean", "cosine")),
            "invalid metric: must be one of 'euclidean', 'cosine', got 'l1'",
        ),
    ]
    for call, message in cases:
        with pytest.raises(InvalidParameterError) as e:
            call()
        assert str(e.value) == message


def test_checks_return_plain_python_values() -> None:
    assert type(check.seed(np.uint64(2**64 - 1))) is int
    assert type(check.count("k", np.int64(3))) is int
    assert type(check.fraction("p", np.float32(0.5))) is float
    assert check.optional_count("k", None) is None


def test_renamed_keyword_warns_and_refuses_both() -> None:
    assert check.renamed("old", None, "new", 3) == 3
    with pytest.warns(DeprecationWarning, match="'old' is deprecated: use 'new'"):
        assert check.renamed("old", 2, "new", None, stacklevel=2) == 2
    with pytest.raises(InvalidParameterError, match="give new only"):
        check.renamed("old", 2, "new", 3)
