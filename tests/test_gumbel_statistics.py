"""Gumbel top-k is sampling without replacement with probabilities proportional to
exp(log_weight / temperature).

On a six-document corpus whose log weights are computed by the model, the exact
inclusion probability of every document and the exact probability of every subset
are obtained by enumerating all ordered draws of successive sampling; selections over
thousands of seeds must agree with them (binomial and chi-square tests at
alpha = 0.001, Bonferroni-corrected over documents)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pytest
import thresher

ALPHA = 0.001
SEEDS = 4000

TARGET = pa.table(
    {
        "text": [
            "select id from the table where id = 1",
            "create index on the table using btree",
            "insert into the table values ( 1 , 2 )",
            "vacuum analyze the table",
        ]
        * 3
    }
)
DOCS = pa.table(
    {
        "text": [
            "select id from the table",
            "create index on the table",
            "the table of contents",
            "insert rows into a table",
            "the cat sat on the mat",
            "dogs bark loudly at night",
        ],
        "id": list(range(6)),
    }
)


@pytest.fixture(scope="module")
def model() -> thresher.DSIR:
    return thresher.DSIR(num_buckets=4096).fit(TARGET, DOCS)


@pytest.fixture(scope="module")
def log_weights(model: thresher.DSIR) -> np.ndarray:
    weights = model.log_weights(DOCS)
    assert weights.shape == (6,)
    return weights


@pytest.fixture(scope="module")
def temperature(log_weights: np.ndarray) -> float:
    """Scales the weights to span 4 nats: probabilities from about 1 to 55."""
    spread = float(log_weights.max() - log_weights.min())
    assert spread > 1.0, "the test needs documents of clearly different weights"
    return spread / 4.0


def probabilities(log_weights: np.ndarray, temperature: float) -> np.ndarray:
    scaled = log_weights / temperature
    p = np.exp(scaled - scaled.max())
    return p / p.sum()


def exact_subset_probabilities(p: np.ndarray, k: int) -> dict[frozenset[int], float]:
    """P(the k-subset S is drawn) for successive sampling without replacement with
    probabilities ``p``: the sum over the orders of S of the products of conditionals."""
    subsets: dict[frozenset[int], float] = {}
    for order in itertools.permutations(range(len(p)), k):
        prob, left = 1.0, 1.0
        for i in order:
            prob *= p[i] / left
            left -= p[i]
        key = frozenset(order)
        subsets[key] = subsets.get(key, 0.0) + prob
    return subsets


def inclusion_probabilities(subsets: dict[frozenset[int], float], n: int) -> np.ndarray:
    return np.array([sum(q for s, q in subsets.items() if i in s) for i in range(n)])


def binomial_two_sided_p(successes: int, trials: int, p: float) -> float:
    """Exact two-sided binomial p-value (sum of outcomes no more likely than observed)."""
    j = np.arange(trials + 1)
    log_pmf = (
        math.lgamma(trials + 1)
        - np.array([math.lgamma(x + 1) + math.lgamma(trials - x + 1) for x in j])
        + j * math.log(p)
        + (trials - j) * math.log1p(-p)
    )
    pmf = np.exp(log_pmf)
    return float(min(1.0, pmf[pmf <= pmf[successes] * (1 + 1e-9)].sum()))


def chi2_critical(df: int, alpha: float) -> float:
    """Upper alpha quantile of chi-square (Wilson-Hilferty; accurate to <1% for df >= 3)."""
    z = NormalDist().inv_cdf(1 - alpha)
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def run_selections(
    model: thresher.DSIR, k: int, temperature: float, seeds: int
) -> list[frozenset[int]]:
    out = []
    for seed in range(seeds):
        sel = model.select(DOCS, k=k, seed=seed, temperature=temperature, columns="text")
        assert len(sel) == k
        out.append(frozenset(int(r) for r in sel.rows))
    return out


# ---------------------------------------------------------------- helpers are right
def test_exact_probabilities_are_consistent() -> None:
    p = np.array([0.5, 0.25, 0.125, 0.125])
    subsets = exact_subset_probabilities(p, 2)
    assert sum(subsets.values()) == pytest.approx(1.0, abs=1e-12)
    inclusion = inclusion_probabilities(subsets, 4)
    assert inclusion.sum() == pytest.approx(2.0, abs=1e-12)
    # P({0, 1}) = .5 * .25/.5 + .25 * .5/.75
    assert subsets[frozenset({0, 1})] == pytest.approx(0.25 + 1 / 6, abs=1e-12)
    assert binomial_two_sided_p(50, 100, 0.5) == pytest.approx(1.0)
    assert binomial_two_sided_p(80, 100, 0.5) < 1e-8
    assert chi2_critical(10, 0.001) == pytest.approx(29.588, rel=0.01)


def test_documents_have_clearly_different_probabilities(
    log_weights: np.ndarray, temperature: float
) -> None:
    p = probabilities(log_weights, temperature)
    assert p.max() / p.min() == pytest.approx(math.exp(4.0), rel=1e-9)
    assert len(set(np.round(p, 3))) == 6


# ---------------------------------------------------------------- the statistical tests
@pytest.fixture(scope="module", params=[2, 3], ids=["k=2", "k=3"])
def draws(
    request: pytest.FixtureRequest,
    model: thresher.DSIR,
    temperature: float,
    log_weights: np.ndarray,
) -> tuple[int, list[frozenset[int]], dict[frozenset[int], float]]:
    k = request.param
    exact = exact_subset_probabilities(probabilities(log_weights, temperature), k)
    return k, run_selections(model, k, temperature, SEEDS), exact


def test_inclusion_frequencies_match_exact_probabilities(
    draws: tuple[int, list[frozenset[int]], dict[frozenset[int], float]],
) -> None:
    k, selections, exact = draws
    expected = inclusion_probabilities(exact, 6)
    assert expected.sum() == pytest.approx(k)
    counts = Counter(i for s in selections for i in s)
    for i in range(6):
        p_value = binomial_two_sided_p(counts[i], SEEDS, float(expected[i]))
        assert p_value > ALPHA / 6, (
            f"document {i}: selected {counts[i]}/{SEEDS} = {counts[i] / SEEDS:.4f}, "
            f"exact inclusion probability {expected[i]:.4f} (p = {p_value:.2e})"
        )


def test_subset_frequencies_match_exact_probabilities(
    draws: tuple[int, list[frozenset[int]], dict[frozenset[int], float]],
) -> None:
    k, selections, exact = draws
    assert all(len(s) == k for s in selections)
    observed = Counter(selections)
    assert set(observed) <= set(exact)
    # Cells with fewer than 5 expected draws are pooled, as chi-square requires.
    cells: list[tuple[float, int]] = []
    pooled_expected, pooled_observed = 0.0, 0
    for subset, q in exact.items():
        if q * SEEDS >= 5:
            cells.append((q * SEEDS, observed[subset]))
        else:
            pooled_expected += q * SEEDS
            pooled_observed += observed[subset]
    if pooled_expected > 0:
        cells.append((pooled_expected, pooled_observed))
    assert len(cells) >= 5
    chi2 = sum((o - e) ** 2 / e for e, o in cells)
    critical = chi2_critical(len(cells) - 1, ALPHA)
    assert chi2 < critical, f"chi2 = {chi2:.1f} >= {critical:.1f} with {len(cells) - 1} df"


def test_first_pick_is_not_always_the_heaviest(
    draws: tuple[int, list[frozenset[int]], dict[frozenset[int], float]], log_weights: np.ndarray
) -> None:
    # Sampling, not top-k: the k heaviest documents are not always the selection.
    k, selections, exact = draws
    heaviest = frozenset(int(i) for i in np.argsort(-log_weights)[:k])
    share = sum(s == heaviest for s in selections) / SEEDS
    assert share == pytest.approx(exact[heaviest], abs=0.05)
    assert share < 0.9


# ---------------------------------------------------------------- limits
def test_top_k_picks_the_largest_log_weights(model: thresher.DSIR, log_weights: np.ndarray) -> None:
    for k in range(1, 7):
        sel = model.select(DOCS, k=k, method="top_k", seed=k)
        assert sel.rows.tolist() == sorted(np.argsort(-log_weights)[:k].tolist())
        np.testing.assert_array_equal(sel.log_weights, log_weights[sel.rows.astype(np.int64)])


def test_top_k_on_the_fixture_picks_the_largest_log_weights(
    small_dsir: thresher.DSIR, raw_path: object, small_log_weights: np.ndarray
) -> None:
    sel = small_dsir.select(raw_path, k=37, method="top_k")
    assert sel.rows.tolist() == sorted(np.argsort(-small_log_weights, kind="stable")[:37].tolist())
    assert sel.log_weights.min() >= np.sort(small_log_weights)[-37]


def test_very_high_temperature_is_nearly_uniform(model: thresher.DSIR) -> None:
    seeds, k = 3000, 2
    counts = Counter(
        int(r)
        for seed in range(seeds)
        for r in model.select(DOCS, k=k, seed=seed, temperature=1e9, columns="text").rows
    )
    for i in range(6):
        p_value = binomial_two_sided_p(counts[i], seeds, k / 6)
        assert p_value > ALPHA / 6, f"document {i}: {counts[i]}/{seeds}, expected {k / 6:.3f}"


def test_very_low_temperature_is_top_k(model: thresher.DSIR, log_weights: np.ndarray) -> None:
    top = sorted(np.argsort(-log_weights)[:3].tolist())
    gaps = np.diff(np.sort(log_weights))
    temperature = float(gaps.min()) / 100  # noise is ~100 times smaller than any gap
    for seed in range(50):
        sel = model.select(DOCS, k=3, seed=seed, temperature=temperature)
        assert sel.rows.tolist() == top


def test_log_weights_reported_are_not_tempered(
    model: thresher.DSIR, log_weights: np.ndarray, temperature: float
) -> None:
    sel = model.select(DOCS, k=6, seed=0, temperature=temperature)
    np.testing.assert_array_equal(sel.log_weights, log_weights)
