"""The synthetic points of SMOTE have the distribution of imbalanced-learn's SMOTE on the
same data (fixed seeds; every test at alpha = 0.001, Bonferroni-corrected)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from thresher.rebalance import smote

ALPHA = 0.001


def _problem() -> tuple[np.ndarray, np.ndarray]:
    """An imbalanced set whose minority class is skewed and clustered (so that the
    neighbour structure matters): 120 minority points, 3 dimensions."""
    rng = np.random.default_rng(2024)
    minority = np.concatenate(
        [rng.gamma(2.0, 1.0, (80, 3)), rng.normal((6.0, -2.0, 1.0), 0.5, (40, 3))]
    )
    majority = rng.normal(0.0, 3.0, (4120, 3))
    x = np.concatenate([majority, minority])
    y = np.array([0] * len(majority) + [1] * len(minority))
    return x, y


def _synthetic() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from imblearn.over_sampling import SMOTE

    x, y = _problem()
    ours = smote(x, y, k_neighbors=5, seed=1)
    theirs_x, _ = SMOTE(k_neighbors=5, random_state=1).fit_resample(x, y)
    n = len(y)
    return x[y == 1], ours.x[n:], theirs_x[n:]


def _energy_permutation_p(a: np.ndarray, b: np.ndarray, permutations: int, seed: int) -> float:
    """Permutation p-value of the two-sample energy distance (V-statistic)."""
    pooled = np.concatenate([a, b])
    dist = np.sqrt(((pooled[:, None, :] - pooled[None, :, :]) ** 2).sum(axis=2))
    n, m = len(a), len(b)
    rng = np.random.default_rng(seed)
    first = np.zeros(n + m)
    first[:n] = 1.0
    labels = np.column_stack([first] + [rng.permutation(first) for _ in range(permutations)])
    row_sums = dist.sum(axis=1)
    total = row_sums.sum()
    s_aa = (labels * (dist @ labels)).sum(axis=0)
    s_a = row_sums @ labels
    s_ab = s_a - s_aa
    s_bb = total - 2 * s_a + s_aa
    energy = 2 * s_ab / (n * m) - s_aa / n**2 - s_bb / m**2
    return float((np.sum(energy[1:] >= energy[0]) + 1) / (permutations + 1))


def test_marginals_and_neighbour_structure_match_imbalanced_learn() -> None:
    minority, ours, theirs = _synthetic()
    assert ours.shape == theirs.shape == (4000, 3)
    tests = []
    for j in range(3):  # each coordinate
        tests.append(stats.ks_2samp(ours[:, j], theirs[:, j]).pvalue)

    # distance of each synthetic point to its nearest original minority point
    def nearest(points: np.ndarray) -> np.ndarray:
        return np.sqrt(((points[:, None, :] - minority[None, :, :]) ** 2).sum(axis=2)).min(axis=1)

    tests.append(stats.ks_2samp(nearest(ours), nearest(theirs)).pvalue)
    # pairwise structure: distances between consecutive synthetic points
    rng = np.random.default_rng(0)
    pairs = rng.permutation(4000).reshape(-1, 2)

    def pair_dist(points: np.ndarray) -> np.ndarray:
        return np.linalg.norm(points[pairs[:, 0]] - points[pairs[:, 1]], axis=1)

    tests.append(stats.ks_2samp(pair_dist(ours), pair_dist(theirs)).pvalue)
    assert min(tests) > ALPHA / len(tests), tests


def test_energy_distance_permutation_test() -> None:
    _, ours, theirs = _synthetic()
    p = _energy_permutation_p(ours[:1000], theirs[:1000], permutations=1999, seed=5)
    assert p > ALPHA, p


def test_a_wrong_distribution_is_detected() -> None:
    """Power check: points drawn from all minority pairs (not neighbours) are rejected."""
    minority, ours, _ = _synthetic()
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, len(minority), (2, 4000))
    u = rng.random((4000, 1))
    wrong = minority[a] + u * (minority[b] - minority[a])

    def nearest(points: np.ndarray) -> np.ndarray:
        return np.sqrt(((points[:, None, :] - minority[None, :, :]) ** 2).sum(axis=2)).min(axis=1)

    assert stats.ks_2samp(nearest(ours), nearest(wrong)).pvalue < ALPHA
    assert _energy_permutation_p(ours[:1000], wrong[:1000], permutations=1999, seed=5) < ALPHA
