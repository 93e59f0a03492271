"""Statistical properties of the default scheme, with fixed seeds and sound bounds:
the Jaccard estimate has the MinHash variance J(1-J)/num_perm, and the probability
that a pair becomes an LSH candidate follows the S-curve 1 - (1 - s^r)^b."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import thresher


def pair_texts(rng: np.random.Generator, size: int, common: int) -> tuple[str, str]:
    """Two documents of ``size`` distinct words sharing ``common``: J = c / (2s - c)."""
    words = [f"w{v}" for v in rng.choice(10**9, size=2 * size - common, replace=False)]
    return " ".join(words[:size]), " ".join(words[size - common :])


def test_jaccard_estimation_error_matches_theory() -> None:
    # 600 pairs at 6 similarity levels; unigram shingles so the exact J is known.
    rng = np.random.default_rng(11)
    num_perm, size = 128, 60
    hasher = thresher.MinHasher(num_perm, 1, seed=5)
    for common in (10, 24, 36, 46, 54, 58):
        j = common / (2 * size - common)
        texts = [t for _ in range(100) for t in pair_texts(rng, size, common)]
        sigs = hasher.signatures(texts)
        estimates = (sigs[0::2] == sigs[1::2]).mean(axis=1)
        # Each estimate is Binomial(num_perm, J) / num_perm if permutations are
        # min-wise independent: mean within 4.4 standard errors (alpha ~ 1e-5 per
        # level), variance within a chi-square bound.
        sd = math.sqrt(j * (1 - j) / num_perm)
        assert abs(estimates.mean() - j) < 4.4 * sd / math.sqrt(len(estimates)), (j, estimates)
        variance = estimates.var(ddof=1)
        # chi2(99) 0.0005 and 0.9995 quantiles: 59.0 and 153.0.
        assert 59.0 / 99 * sd**2 < variance < 153.0 / 99 * sd**2, (j, variance, sd**2)


def test_lsh_candidate_probability_follows_the_s_curve() -> None:
    rng = np.random.default_rng(3)
    num_perm, size, pairs = 64, 50, 300
    bands, rows = 16, 4
    hasher = thresher.MinHasher(num_perm, 1, seed=9)
    for common in (20, 33, 44):
        s = common / (2 * size - common)
        texts = [t for _ in range(pairs) for t in pair_texts(rng, size, common)]
        result = thresher.dedup(
            pa.table({"text": texts}),
            threshold=0.01,  # every candidate is verified as a duplicate
            num_perm=num_perm,
            ngram=1,
            seed=hasher.seed,
            bands=bands,
            rows=rows,
            verify="signature",
        )
        became_candidates = int(result.is_duplicate[1::2].sum())
        p = 1 - (1 - s**rows) ** bands
        # Binomial(pairs, p): a two-sided normal bound at alpha = 0.001 (z = 3.29),
        # widened by one count for the continuity correction.
        sd = math.sqrt(pairs * p * (1 - p))
        assert abs(became_candidates - pairs * p) <= 3.29 * sd + 1, (s, became_candidates, p)
        # No pair is linked to another pair (their words are disjoint).
        second = np.arange(1, 2 * pairs, 2)
        assert np.all((result.cluster_id[1::2] == second) | (result.cluster_id[1::2] == second - 1))
