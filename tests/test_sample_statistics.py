"""The samplers draw from the distributions they claim.

Each test compares frequencies over thousands of seeds with exact probabilities
(computed by enumeration where no closed form exists) by binomial z-bounds or
chi-square tests at alpha = 0.001, Bonferroni-corrected over the items of a test.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pytest
from thresher import sample

ALPHA = 0.001
SEEDS = 4000


def z_bound(items: int) -> float:
    """Two-sided z quantile for alpha = 0.001 split over ``items`` tests."""
    return NormalDist().inv_cdf(1 - ALPHA / (2 * items))


def chi2_quantile(dof: int) -> float:
    """The 1 - alpha quantile of chi-square (Wilson-Hilferty approximation)."""
    z = NormalDist().inv_cdf(1 - ALPHA)
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


def successive_inclusion(weights: list[float], k: int) -> list[float]:
    """Exact inclusion probabilities of successive sampling (each pick proportional
    to the weights left), by enumerating every ordered sequence of k draws."""
    n = len(weights)
    inclusion = [0.0] * n
    for order in itertools.permutations([i for i in range(n) if weights[i] > 0], k):
        p, left = 1.0, sum(weights)
        for i in order:
            p *= weights[i] / left
            left -= weights[i]
        for i in order:
            inclusion[i] += p
    return inclusion


def assert_frequencies(hits: np.ndarray, expected: list[float], trials: int) -> None:
    bound = z_bound(len(expected))
    for i, p in enumerate(expected):
        if p in (0.0, 1.0):
            assert hits[i] == p * trials, f"item {i}: {hits[i]} of {trials}, expected p={p}"
            continue
        sd = math.sqrt(p * (1 - p) / trials)
        freq = hits[i] / trials
        assert abs(freq - p) < bound * sd, f"item {i}: {freq:.4f} vs exact {p:.4f}"


def test_uniform_inclusion_is_k_over_n() -> None:
    n, k = 30, 7
    hits = np.zeros(n)
    for seed in range(SEEDS):
        picks = sample.uniform(n, k, seed=seed)
        assert len(set(picks.tolist())) == k
        hits[picks] += 1
    assert_frequencies(hits, [k / n] * n, SEEDS)


def test_uniform_subsets_are_equally_likely() -> None:
    counts = Counter(tuple(sample.uniform(6, 2, seed=s).tolist()) for s in range(6000))
    assert len(counts) == 15
    expected = 6000 / 15
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < chi2_quantile(14), chi2


@pytest.mark.parametrize("k", [1, 2, 3])
def test_weighted_without_replacement_matches_successive_sampling(k: int) -> None:
    weights = [0.5, 1.0, 0.0, 2.0, 4.0, 1.5]
    exact = successive_inclusion(weights, k)
    hits = np.zeros(len(weights))
    array = np.array(weights)
    for seed in range(SEEDS):
        hits[sample.weighted(array, k, seed=seed)] += 1
    assert_frequencies(hits, exact, SEEDS)


def test_weighted_subset_probabilities_match_enumeration() -> None:
    # The distribution of whole subsets, not only of marginals: chi-square over the
    # C(5, 2) subsets.
    weights = [1.0, 2.0, 3.0, 4.0, 5.0]
    exact: Counter[tuple[int, ...]] = Counter()
    total = sum(weights)
    for a, b in itertools.permutations(range(5), 2):
        exact[tuple(sorted((a, b)))] += weights[a] / total * weights[b] / (total - weights[a])
    trials = 8000
    seen = Counter(
        tuple(sample.weighted(np.array(weights), 2, seed=s).tolist()) for s in range(trials)
    )
    chi2 = sum((seen[s] - p * trials) ** 2 / (p * trials) for s, p in exact.items())
    assert chi2 < chi2_quantile(len(exact) - 1), chi2


def test_merged_reservoirs_equal_one_reservoir_exactly() -> None:
    rng = np.random.default_rng(5)
    weights = rng.pareto(1.5, 20_000)
    whole = sample.WeightedReservoir(300, seed=11).add(weights)
    for cuts in ([7_000], [1, 2, 19_000], list(range(1000, 20_000, 1000))):
        bounds = [0, *cuts, len(weights)]
        parts = [
            sample.WeightedReservoir(300, seed=11).add(weights[a:b], start=a)
            for a, b in itertools.pairwise(bounds)
        ]
        merged = parts[0]
        for part in reversed(parts[1:]):  # merge order does not matter
            merged.merge(part)
        np.testing.assert_array_equal(merged.indices, whole.indices)
        np.testing.assert_array_equal(merged.keys, whole.keys)
    # The reservoir of the whole is the array sampler's answer.
    np.testing.assert_array_equal(whole.indices, sample.weighted(weights, 300, seed=11))


def test_weighted_stream_reservoir_matches_successive_sampling() -> None:
    # A-ExpJ over a record-batch stream, with the weights split over batches.
    weights = [0.5, 1.0, 0.0, 2.0, 4.0, 1.5]
    table = pa.table({"w": weights, "i": list(range(6))})
    exact = successive_inclusion(weights, 2)
    hits = np.zeros(len(weights))
    for seed in range(SEEDS):
        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=4))
        rows = sample.reservoir(reader, 2, weight_column="w", seed=seed).column("row")
        hits[rows.to_numpy()] += 1
    assert_frequencies(hits, exact, SEEDS)


def test_uniform_stream_reservoir_inclusion_is_k_over_n() -> None:
    table = pa.table({"i": list(range(25))})
    hits = np.zeros(25)
    for seed in range(SEEDS):
        hits[sample.reservoir(table, 5, seed=seed).column("row").to_numpy()] += 1
    assert_frequencies(hits, [0.2] * 25, SEEDS)


def test_alias_draws_match_the_weights() -> None:
    weights = np.array([1.0, 0.0, 3.0, 6.0, 0.5, 9.5, 2.0])
    draws = sample.weighted(weights, 300_000, replace=True, seed=3)
    counts = np.bincount(draws, minlength=len(weights))
    assert counts[1] == 0
    positive = weights > 0
    expected = 300_000 * weights[positive] / weights.sum()
    chi2 = float(((counts[positive] - expected) ** 2 / expected).sum())
    assert chi2 < chi2_quantile(int(positive.sum()) - 1), chi2


def test_stratified_totals_are_exact_and_draws_uniform_within_groups() -> None:
    groups = np.array([0] * 50 + [1] * 30 + [2] * 20)
    hits = np.zeros(100)
    for seed in range(2000):
        rows = sample.stratified(groups, 11, seed=seed)
        counts = np.bincount(groups[rows], minlength=3)
        # 11 in proportion 50:30:20 = 5.5, 3.3, 2.2 -> 5, 3, 2 and one more for 5.5.
        assert counts.tolist() == [6, 3, 2]
        hits[rows] += 1
    expected = [6 / 50] * 50 + [3 / 30] * 30 + [2 / 20] * 20
    assert_frequencies(hits, expected, 2000)


def test_weighted_stratified_matches_successive_sampling_per_group() -> None:
    groups = np.array(["a", "b", "a", "b", "a", "a"])
    weights = np.array([1.0, 1.0, 3.0, 2.0, 0.0, 4.0])
    allocation = {"a": 2, "b": 1}
    exact_a = successive_inclusion([1.0, 3.0, 0.0, 4.0], 2)
    exact_b = successive_inclusion([1.0, 2.0], 1)
    expected = [exact_a[0], exact_b[0], exact_a[1], exact_b[1], exact_a[2], exact_a[3]]
    hits = np.zeros(6)
    for seed in range(SEEDS):
        hits[sample.stratified(groups, allocation=allocation, weights=weights, seed=seed)] += 1
    assert_frequencies(hits, expected, SEEDS)


def test_rs2_epochs_cover_every_example_once_per_pass() -> None:
    n, m = 103, 10
    sampler = sample.RS2Sampler(n, k=m, seed=4)
    stream = np.concatenate([np.array(list(sampler)) for _ in range(60)])
    for p in range(len(stream) // n):
        assert sorted(stream[p * n : (p + 1) * n].tolist()) == list(range(n))
    # First positions over seeds are uniform.
    firsts = Counter(next(iter(sample.RS2Sampler(5, k=2, seed=s))) for s in range(5000))
    chi2 = sum((c - 1000) ** 2 / 1000 for c in firsts.values())
    assert len(firsts) == 5 and chi2 < chi2_quantile(4), chi2
