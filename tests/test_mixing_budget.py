"""Budget allocation: exact against brute force, curve fits, sequential use, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from thresher.exceptions import InvalidParameterError
from thresher.mixing import BudgetAllocator, LearningCurve, allocate_budget


def brute_force(curves, current, budget, costs, objective, weights):  # type: ignore[no-untyped-def]
    groups = list(curves)
    ranges = [range(int(budget // costs[g]) + 1) for g in groups]
    w = np.array([weights[g] for g in groups], dtype=float)
    w /= w.sum()
    best = np.inf
    for x in itertools.product(*ranges):
        if sum(costs[g] * xi for g, xi in zip(groups, x, strict=True)) > budget + 1e-9:
            continue
        errs = [float(curves[g](max(current[g] + xi, 1))) for g, xi in zip(groups, x, strict=True)]
        value = max(errs) if objective == "worst" else float(np.dot(w, errs))
        best = min(best, value)
    return best


@pytest.mark.parametrize("objective", ["worst", "average"])
@pytest.mark.parametrize("seed", range(12))
def test_allocation_equals_brute_force(objective: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = ["a", "b", "c"]
    curves = {
        g: LearningCurve(
            float(rng.uniform(0.5, 5)), float(rng.uniform(0.2, 1.2)), float(rng.uniform(0, 0.2))
        )
        for g in groups
    }
    current = {g: int(rng.integers(0, 20)) for g in groups}
    costs = {g: float(rng.choice([1.0, 1.5, 2.0, 3.0])) for g in groups}
    weights = {g: float(rng.uniform(0.2, 1.0)) for g in groups}
    budget = float(rng.integers(0, 25))
    plan = allocate_budget(
        curves,
        current,
        budget,
        costs=costs,
        objective=objective,
        weights=weights,  # type: ignore[arg-type]
    )
    assert plan.exact
    assert plan.cost <= budget + 1e-9
    assert all(isinstance(c, int) and c >= 0 for c in plan.counts.values())
    expected = brute_force(curves, current, budget, costs, objective, weights)
    assert plan.objective == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_equal_costs_greedy_is_exact_for_the_average() -> None:
    curves = {
        "a": LearningCurve(3.0, 0.5, 0.1),
        "b": LearningCurve(1.0, 0.9, 0.0),
        "c": LearningCurve(2.0, 0.3, 0.05),
    }
    current = {"a": 5, "b": 1, "c": 10}
    for budget in (0, 1, 7, 20):
        plan = allocate_budget(curves, current, budget, objective="average")
        expected = brute_force(
            curves,
            current,
            budget,
            dict.fromkeys(curves, 1.0),
            "average",
            dict.fromkeys(curves, 1.0),
        )
        assert plan.objective == pytest.approx(expected, rel=1e-12)


def test_worst_group_gets_the_budget_and_large_budgets_are_fast() -> None:
    curves = {"a": LearningCurve(1.0, 0.5, 0.0), "b": LearningCurve(10.0, 0.5, 0.0)}
    plan = allocate_budget(curves, {"a": 100, "b": 100}, 1_000_000, costs={"a": 1.0, "b": 4.0})
    # Equal errors need n_b = 100 n_a: a = 100 + x_a, b = 100 + x_b, x_a + 4 x_b = 1e6.
    assert abs(plan.errors["a"] - plan.errors["b"]) < 1e-5
    assert plan.cost <= 1_000_000


def test_curve_fit_recovers_parameters_and_resists_an_outlier() -> None:
    n = np.array([50, 100, 200, 400, 800, 1600, 3200])
    truth = LearningCurve(2.0, 0.6, 0.08)
    fit = LearningCurve.fit(n, truth(n))
    assert fit.a == pytest.approx(2.0, rel=1e-3)
    assert fit.b == pytest.approx(0.6, rel=1e-3)
    assert fit.c == pytest.approx(0.08, abs=1e-4)
    noisy = truth(n) * (1 + 0.01 * np.random.default_rng(1).standard_normal(n.size))
    noisy[3] += 0.3  # one bad evaluation
    robust = LearningCurve.fit(n, noisy)
    plain = LearningCurve.fit(n, noisy, robust=False)
    assert abs(robust(10_000) - truth(10_000)) < abs(plain(10_000) - truth(10_000))
    flat = LearningCurve.fit([10, 20, 40], [0.3, 0.3, 0.3])
    assert flat.a == pytest.approx(0.0, abs=1e-12) and flat.c == pytest.approx(0.3)


def test_sequential_allocator() -> None:
    alloc = BudgetAllocator({"x": 1.0, "y": 1.0, "z": 2.0}, objective="worst")
    truth = {
        "x": LearningCurve(1.0, 0.5, 0.05),
        "y": LearningCurve(4.0, 0.5, 0.05),
        "z": LearningCurve(2.0, 0.4, 0.02),
    }
    sizes = {g: 50 for g in truth}
    for n in (10, 20, 50):
        for g, c in truth.items():
            alloc.observe(g, n, float(c(n)))
    worst = []
    for _ in range(3):
        batch = alloc.next_batch(2000)
        for g, extra in batch.items():
            sizes[g] += extra
            alloc.observe(g, sizes[g], float(truth[g](sizes[g])))
        worst.append(max(float(truth[g](sizes[g])) for g in truth))
    assert worst == sorted(worst, reverse=True)
    assert alloc.sizes == sizes
    # The hardest group got the most.
    assert sizes["y"] == max(sizes.values())


def test_bad_input() -> None:
    curves = {"a": LearningCurve(1.0, 0.5, 0.0), "b": LearningCurve(2.0, 0.5, 0.0)}
    current = {"a": 10, "b": 10}

    def parameter(**kwargs: object) -> str | None:
        args: dict[str, object] = {"curves": curves, "current": current, "budget": 10}
        args.update(kwargs)
        with pytest.raises(InvalidParameterError) as info:
            allocate_budget(**args)  # type: ignore[arg-type]
        return info.value.parameter

    assert parameter(costs={"a": -1.0, "b": 1.0}) == "costs"
    assert parameter(costs={"a": 0.0, "b": 1.0}) == "costs"
    assert parameter(budget=-1) == "budget"
    assert parameter(budget=float("nan")) == "budget"
    assert parameter(objective="median") == "objective"
    assert parameter(costs={"zz": 1.0}) == "costs"
    assert parameter(curves={"a": LearningCurve(float("nan"), 0.5, 0.0)}, current={}) == "curves"
    for sizes, errors in (([10, 20], [0.5, 0.4]), ([10, 10, 20], [0.5, 0.5, 0.4])):
        with pytest.raises(InvalidParameterError, match="3 distinct sizes"):
            LearningCurve.fit(sizes, errors)
    with pytest.raises(InvalidParameterError):
        LearningCurve.fit([10, 20, 40], [0.5, float("nan"), 0.3])
    with pytest.raises(InvalidParameterError):
        LearningCurve.fit([10, 20, 40], [0.5, -0.1, 0.3])
    with pytest.raises(InvalidParameterError):
        LearningCurve.fit([0, 20, 40], [0.5, 0.4, 0.3])
    alloc = BudgetAllocator({"a": 1.0, "b": 1.0})
    alloc.observe("a", 10, 0.5)
    with pytest.raises(InvalidParameterError, match="needs at least 3"):
        alloc.next_batch(10)
    with pytest.raises(InvalidParameterError):
        alloc.observe("c", 10, 0.5)
    with pytest.raises(InvalidParameterError):
        alloc.observe("a", 10, float("nan"))
    with pytest.raises(InvalidParameterError):
        BudgetAllocator({"a": -2.0})
