"""Budget allocation across groups from per-group learning curves.

After *Adaptive Sampling Strategies to Construct Equitable Training Datasets* (Cai,
Encarnacion, Chern, Corbett-Davies, Bogen, Bergman, Goel; FAccT 2023, arXiv
2202.01327): a model builder with a fixed data-collection budget and a per-sample cost
for each group chooses how many new samples to collect from each group so as to
optimise a function of the group-specific errors, predicted by learning curves.

**Learning curves.** Each group's error is modelled as a power law
``err_g(n) = a_g * n^(-b_g) + c_g`` with ``a_g >= 0``, ``b_g`` in ``[1e-3, 4]`` and
``c_g >= 0``. :meth:`LearningCurve.fit` fits it to ``(size, error)`` points by robust
least squares: for a fixed ``b`` the model is linear in ``(a, c)``, solved in closed
form under the sign constraints; ``b`` minimises the profile loss over a log grid
refined by golden-section search; Huber weights (``delta = 1.345`` robust sigmas, from
the median absolute deviation) are iterated so that one bad point does not dominate.
Failure modes, each a clear error or documented behaviour: fewer than 3 points or
fewer than 3 distinct sizes (3 parameters) raise ``InvalidParameterError``; NaN,
infinite or negative errors and sizes < 1 raise it too; errors that do not decrease
give ``a = 0`` (a flat curve: more data is predicted not to help); a ``b`` at the edge
of its range means the points do not pin the exponent down (extrapolation is then
unreliable).

**Allocation.** Given the current sizes ``n_g``, costs ``k_g > 0`` and budget ``B``,
choose integers ``x_g >= 0`` with ``sum_g k_g x_g <= B`` minimising either

- ``"worst"``: ``max_g err_g(n_g + x_g)`` (the paper's equity objective). Solved
  exactly: the smallest ``x_g(tau)`` meeting ``err_g <= tau`` has a closed form, the
  cost of ``x(tau)`` falls as ``tau`` rises, and bisection on ``tau`` finds the least
  affordable level; the leftover budget is then spent greedily on the weighted
  average (which never raises the maximum);
- ``"average"``: ``sum_g w_g err_g(n_g + x_g)`` (weights default to equal). With equal
  costs, greedy by marginal gain is exact (the curves are convex); with unequal costs
  (an integer knapsack) an exact dynamic programme over Pareto-optimal (cost, value)
  states is used while it stays small, else the greedy by gain per cost (then
  ``BudgetPlan.exact`` is ``False``).

:class:`BudgetAllocator` does it sequentially: ``observe(group, size, error)`` as
models are trained on growing data, ``next_batch(budget)`` re-fits every curve and
solves again for the next batch (a plug-in version of the paper's adaptive strategy).

Examples
--------
>>> from thresher.mixing import LearningCurve, allocate_budget
>>> curves = {"a": LearningCurve(2.0, 0.5, 0.05), "b": LearningCurve(4.0, 0.5, 0.05)}
>>> plan = allocate_budget(curves, {"a": 100, "b": 100}, 300, costs={"a": 1.0, "b": 1.0})
>>> plan.counts  # b reaches a's error, 0.25, at 400 samples
{'a': 0, 'b': 300}
>>> plan.objective
0.25
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from thresher import _validation as check
from thresher.exceptions import invalid_parameter

__all__ = ["BudgetAllocator", "BudgetPlan", "LearningCurve", "allocate_budget"]

Objective = Literal["worst", "average"]
_B_RANGE = (1e-3, 4.0)
_DP_LIMIT = 2_000_000


def _closed_fit(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], w: npt.NDArray[np.float64]
) -> tuple[float, float, float]:
    """Weighted least squares of ``y ~ a x + c`` with ``a, c >= 0``: ``(a, c, loss)``."""
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    sxx = (w * (x - mx) ** 2).sum()
    candidates = []
    if sxx > 0:
        a = (w * (x - mx) * (y - my)).sum() / sxx
        c = my - a * mx
        if a >= 0 and c >= 0:
            candidates.append((a, c))
    candidates.append((0.0, max(my, 0.0)))  # a = 0: the weighted mean
    sxx0 = (w * x * x).sum()
    if sxx0 > 0:
        candidates.append((max((w * x * y).sum() / sxx0, 0.0), 0.0))  # c = 0
    best = min(candidates, key=lambda ac: float((w * (y - ac[0] * x - ac[1]) ** 2).sum()))
    loss = float((w * (y - best[0] * x - best[1]) ** 2).sum())
    return float(best[0]), float(best[1]), loss


@dataclass(frozen=True)
class LearningCurve:
    """A power-law learning curve ``err(n) = a * n^(-b) + c``.

    Examples
    --------
    >>> curve = LearningCurve.fit([100, 200, 400, 800], [0.35, 0.262, 0.2, 0.156])
    >>> round(float(curve(1600)), 3)
    0.125
    """

    a: float
    b: float
    c: float

    def __call__(self, n: Any) -> Any:
        """The predicted error at size ``n`` (scalar or array)."""
        return self.a * np.power(np.asarray(n, dtype=np.float64), -self.b) + self.c

    def size_for(self, error: float) -> float:
        """The (real) size at which the curve reaches ``error``; ``inf`` if never."""
        if self.a == 0.0:
            return 1.0 if error >= self.c else math.inf
        if error <= self.c:
            return math.inf
        return float((self.a / (error - self.c)) ** (1.0 / self.b))

    @classmethod
    def fit(
        cls, sizes: npt.ArrayLike, errors: npt.ArrayLike, *, robust: bool = True
    ) -> LearningCurve:
        """Fit the curve to ``(size, error)`` points by (robust) least squares.

        Raises
        ------
        InvalidParameterError
            Fewer than 3 points or 3 distinct sizes, lengths differing, sizes < 1, or
            errors not finite and >= 0.
        """
        n = np.asarray(sizes, dtype=np.float64).ravel()
        y = np.asarray(errors, dtype=np.float64).ravel()
        if n.shape != y.shape:
            raise invalid_parameter("errors", f"{y.size} errors for {n.size} sizes")
        if not np.all(np.isfinite(n)) or np.any(n < 1):
            raise invalid_parameter("sizes", f"sizes must be finite and >= 1, got {n.tolist()}")
        if not np.all(np.isfinite(y)) or np.any(y < 0):
            raise invalid_parameter("errors", f"errors must be finite and >= 0, got {y.tolist()}")
        if n.size < 3 or np.unique(n).size < 3:
            raise invalid_parameter(
                "sizes",
                f"a power-law curve has 3 parameters: it needs points at >= 3 distinct sizes, "
                f"got {np.unique(n).size} distinct of {n.size} points",
            )
        weights = np.ones_like(y)
        ac = (0.0, 0.0)
        b = 1.0
        for _ in range(10 if robust else 1):
            b, ac = _profile_fit(n, y, weights)
            if not robust:
                break
            resid = y - (ac[0] * n**-b + ac[1])
            scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
            if scale <= 1e-12 * max(1.0, float(np.abs(y).max())):
                break
            delta = 1.345 * scale
            new = np.minimum(1.0, delta / np.maximum(np.abs(resid), 1e-300))
            if np.allclose(new, weights, atol=1e-6):
                break
            weights = new
        return cls(float(ac[0]), float(b), float(ac[1]))


def _profile_fit(
    n: npt.NDArray[np.float64], y: npt.NDArray[np.float64], w: npt.NDArray[np.float64]
) -> tuple[float, tuple[float, float]]:
    logn = np.log(n)

    def loss(b: float) -> float:
        return _closed_fit(np.exp(-b * logn), y, w)[2]

    grid = np.geomspace(_B_RANGE[0], _B_RANGE[1], 121)
    losses = [loss(float(b)) for b in grid]
    i = int(np.argmin(losses))
    lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, len(grid) - 1)])
    golden = (math.sqrt(5) - 1) / 2
    x1, x2 = hi - golden * (hi - lo), lo + golden * (hi - lo)
    f1, f2 = loss(x1), loss(x2)
    for _ in range(60):
        if f1 <= f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - golden * (hi - lo)
            f1 = loss(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + golden * (hi - lo)
            f2 = loss(x2)
    best = min([(losses[i], float(grid[i])), (f1, x1), (f2, x2)])
    b = best[1]
    a, c, _ = _closed_fit(np.exp(-b * logn), y, w)
    return b, (a, c)


@dataclass
class BudgetPlan:
    """An allocation: ``counts`` to collect per group and what the curves predict."""

    counts: dict[Hashable, int]
    errors: dict[Hashable, float]
    objective: float
    cost: float
    exact: bool = True
    curves: dict[Hashable, LearningCurve] = field(default_factory=dict)


class _Problem:
    def __init__(
        self,
        curves: Mapping[Hashable, LearningCurve],
        current: Mapping[Hashable, float],
        budget: float,
        costs: Mapping[Hashable, float] | None,
        weights: Mapping[Hashable, float] | None,
        available: Mapping[Hashable, int] | None,
    ) -> None:
        self.groups = list(curves)
        if not self.groups:
            raise invalid_parameter("curves", "there is no group")
        for name, mapping in (("current", current), ("costs", costs), ("weights", weights)):
            if mapping is None:
                continue
            extra = [g for g in mapping if g not in curves]
            if extra:
                raise invalid_parameter(name, f"unknown groups {extra!r}")
        self.budget = check.non_negative("budget", budget)
        self.n = np.array([float(current.get(g, 0)) for g in self.groups])
        if not np.all(np.isfinite(self.n)) or np.any(self.n < 0):
            raise invalid_parameter("current", f"sizes must be finite and >= 0: {self.n}")
        self.k = np.array([float((costs or {}).get(g, 1.0)) for g in self.groups])
        if not np.all(np.isfinite(self.k)) or np.any(self.k <= 0):
            bad = [g for g, k in zip(self.groups, self.k, strict=True) if not (k > 0)]
            raise invalid_parameter("costs", f"costs must be finite and > 0 (groups {bad!r})")
        w = np.array([float((weights or {}).get(g, 1.0)) for g in self.groups])
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise invalid_parameter("weights", f"must be finite, >= 0, not all 0: {w}")
        self.w = w / w.sum()
        self.curves = [curves[g] for g in self.groups]
        for g, c in zip(self.groups, self.curves, strict=True):
            if not all(np.isfinite(v) for v in (c.a, c.b, c.c)) or c.a < 0 or c.b <= 0:
                raise invalid_parameter("curves", f"group {g!r} has an invalid curve {c}")
        cap = np.floor(self.budget / self.k + 1e-9)
        if available is not None:
            avail = np.array([float(available.get(g, np.inf)) for g in self.groups])
            if np.any(avail < 0) or np.any(np.isnan(avail)):
                raise invalid_parameter("available", f"must be >= 0: {avail}")
            cap = np.minimum(cap, avail)
        self.cap = cap.astype(np.int64)

    def err(self, g: int, x: Any) -> Any:
        # A size of 0 is treated as 1 (the curve is undefined at 0).
        return self.curves[g](np.maximum(self.n[g] + np.asarray(x, dtype=np.float64), 1.0))

    def needed(self, g: int, tau: float) -> float:
        """The least x with err_g(n_g + x) <= tau (inf if none within the cap)."""
        if self.err(g, 0) <= tau:
            return 0.0
        size = self.curves[g].size_for(tau)
        if not math.isfinite(size):
            return math.inf
        x = max(0, math.ceil(size - self.n[g]))
        while x > 0 and self.err(g, x - 1) <= tau:
            x -= 1
        while self.err(g, x) > tau:
            x += 1
        return float(x) if x <= self.cap[g] else math.inf

    def spend(self, x: npt.NDArray[np.int64]) -> float:
        return float((self.k * x).sum())

    def affordable(self, cost: float) -> bool:
        return cost <= self.budget * (1 + 1e-12) + 1e-9


def _worst(p: _Problem) -> npt.NDArray[np.int64]:
    m = len(p.groups)
    x_max = p.cap
    lo = max(float(p.err(g, x_max[g])) for g in range(m))  # no allocation does better
    hi = max(float(p.err(g, 0)) for g in range(m))

    def alloc(tau: float) -> npt.NDArray[np.float64] | None:
        x = np.array([p.needed(g, tau) for g in range(m)])
        if not np.all(np.isfinite(x)) or not p.affordable(p.spend(x.astype(np.int64))):
            return None
        return x

    if alloc(lo) is not None:
        hi = lo
    else:
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if alloc(mid) is None:
                lo = mid
            else:
                hi = mid
    best = alloc(hi)
    assert best is not None
    x = best.astype(np.int64)
    level = max(float(p.err(g, x[g])) for g in range(m))
    tight = alloc(level)
    if tight is not None:
        x = tight.astype(np.int64)
    return _greedy(p, x)


def _greedy(p: _Problem, start: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Spend what is left after ``start`` on the weighted average, one sample at a time
    to the best marginal gain per cost (a heap; gains fall as x grows)."""
    x = _bulk(p, start)
    left = p.budget - p.spend(x)
    heap: list[tuple[float, int]] = []

    def push(g: int) -> None:
        if x[g] < p.cap[g]:
            gain = p.w[g] * float(p.err(g, x[g]) - p.err(g, x[g] + 1))
            if gain > 0:
                heapq.heappush(heap, (-gain / p.k[g], g))

    for g in range(len(p.groups)):
        push(g)
    while heap:
        _, g = heapq.heappop(heap)
        if p.k[g] <= left + 1e-9:
            x[g] += 1
            left -= p.k[g]
            push(g)
    return x


def _bulk(p: _Problem, start: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The greedy's first phase at once: every sample whose marginal gain per cost is
    at least ``lam``, for the smallest ``lam`` (found by bisection) that fits the
    budget. The gains fall as a group grows, so the count per group is a binary search;
    the heap then only settles the last few samples."""

    def ratio(g: int, x: int) -> float:
        return float(p.w[g] * (p.err(g, x) - p.err(g, x + 1)) / p.k[g])

    def count(g: int, lam: float) -> int:
        lo, hi = int(start[g]), int(p.cap[g])  # samples start..cap-1 are candidates
        if lo >= hi or ratio(g, lo) < lam:
            return lo
        while hi - lo > 1:  # ratio(lo) >= lam; find the first x with ratio(x) < lam
            mid = (lo + hi) // 2
            if ratio(g, mid) >= lam:
                lo = mid
            else:
                hi = mid
        return hi

    m = len(p.groups)
    tops = [ratio(g, int(start[g])) for g in range(m) if start[g] < p.cap[g]]
    if not tops or max(tops) <= 0:
        return start.copy()
    lo, hi = 0.0, max(tops) * 2  # cost(hi) = cost(start) <= budget; cost(0) may not fit
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        x = np.array([count(g, mid) for g in range(m)], dtype=np.int64)
        if p.affordable(p.spend(x)):
            hi = mid
        else:
            lo = mid
    return np.array([count(g, hi) for g in range(m)], dtype=np.int64)


def _pareto_dp(p: _Problem) -> npt.NDArray[np.int64] | None:
    """Exact minimum of the weighted average by a DP over Pareto-optimal (cost,
    value) states; ``None`` if the state space would exceed the work limit."""
    spent = np.zeros(1)
    value = np.zeros(1)
    back: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    for g in range(len(p.groups)):
        choices = np.arange(p.cap[g] + 1)
        if spent.size * choices.size > _DP_LIMIT:
            return None
        cost = spent[:, None] + p.k[g] * choices[None, :]
        val = value[:, None] + p.w[g] * p.err(g, choices)[None, :]
        ok = cost <= p.budget * (1 + 1e-12) + 1e-9
        parent, choice = np.nonzero(ok)
        cost, val = cost[ok], val[ok]
        order = np.lexsort((val, cost))
        cost, val, parent, choice = cost[order], val[order], parent[order], choice[order]
        running = np.minimum.accumulate(val)
        keep = np.ones(val.size, dtype=bool)
        keep[1:] = val[1:] < running[:-1] - 1e-15
        spent, value = cost[keep], val[keep]
        back.append((parent[keep], choice[keep]))
    state = int(np.argmin(value))
    x = np.zeros(len(p.groups), dtype=np.int64)
    for g in range(len(p.groups) - 1, -1, -1):
        parents, choices = back[g]
        x[g] = choices[state]
        state = int(parents[state])
    return x


def allocate_budget(
    curves: Mapping[Hashable, LearningCurve],
    current: Mapping[Hashable, float],
    budget: float,
    *,
    costs: Mapping[Hashable, float] | None = None,
    objective: Objective = "worst",
    weights: Mapping[Hashable, float] | None = None,
    available: Mapping[Hashable, int] | None = None,
) -> BudgetPlan:
    """How many samples to collect from each group with a fixed budget.

    Parameters
    ----------
    curves
        ``{group: LearningCurve}`` (fitted with :meth:`LearningCurve.fit`).
    current
        Samples each group already has (missing groups: 0).
    budget
        Total spend allowed, in the units of ``costs`` (>= 0). Not ``k``: it is a cost
        (money, compute), not a number of rows, unless every cost is 1.
    costs
        Cost of one sample per group (> 0; default 1 each).
    objective
        ``"worst"`` (minimise the largest predicted error) or ``"average"`` (minimise
        the ``weights``-weighted mean predicted error).
    weights
        Group weights of ``"average"`` (and of the leftover spending of ``"worst"``).
    available
        Optional cap on the samples that can be collected per group.

    Returns
    -------
    BudgetPlan
        Integer ``counts``, the predicted ``errors`` after collection, the
        ``objective`` value and the ``cost``.
    """
    problem = _Problem(curves, current, budget, costs, weights, available)
    check.choice("objective", objective, ("worst", "average"))
    exact = True
    if objective == "worst":
        x = _worst(problem)
    else:
        if np.allclose(problem.k, problem.k[0]):
            x = _greedy(problem, np.zeros(len(problem.groups), dtype=np.int64))
        else:
            dp = _pareto_dp(problem)
            exact = dp is not None
            x = (
                dp
                if dp is not None
                else _greedy(problem, np.zeros(len(problem.groups), dtype=np.int64))
            )
    errors = {g: float(problem.err(i, x[i])) for i, g in enumerate(problem.groups)}
    if objective == "worst":
        value = max(errors.values())
    else:
        value = float(sum(problem.w[i] * errors[g] for i, g in enumerate(problem.groups)))
    return BudgetPlan(
        counts={g: int(x[i]) for i, g in enumerate(problem.groups)},
        errors=errors,
        objective=value,
        cost=problem.spend(x),
        exact=exact,
        curves=dict(zip(problem.groups, problem.curves, strict=True)),
    )


class BudgetAllocator:
    """Sequential budget allocation: observe errors as data grows, ask for the next batch.

    Parameters
    ----------
    costs
        ``{group: cost per sample}`` (> 0); defines the groups.
    objective, weights, available
        As in :func:`allocate_budget`.

    Examples
    --------
    >>> alloc = BudgetAllocator({"a": 1.0, "b": 2.0})
    >>> for n in (100, 200, 400):
    ...     alloc.observe("a", n, 0.1 + 1.0 * n**-0.5)
    ...     alloc.observe("b", n, 0.1 + 3.0 * n**-0.5)
    >>> batch = alloc.next_batch(1000)
    >>> batch["b"] > batch["a"], alloc.sizes
    (True, {'a': 400, 'b': 400})
    """

    def __init__(
        self,
        costs: Mapping[Hashable, float],
        *,
        objective: Objective = "worst",
        weights: Mapping[Hashable, float] | None = None,
        available: Mapping[Hashable, int] | None = None,
    ) -> None:
        if not costs:
            raise invalid_parameter("costs", "there is no group")
        for g, k in costs.items():
            check.positive(f"costs[{g!r}]", k)
        self.objective: Objective = check.choice("objective", objective, ("worst", "average"))
        self.costs = dict(costs)
        self.weights = None if weights is None else dict(weights)
        self.available = None if available is None else dict(available)
        self.points: dict[Hashable, list[tuple[float, float]]] = {g: [] for g in costs}
        self._curves: dict[Hashable, LearningCurve] = {}

    def observe(self, group: Hashable, size: float, error: float) -> None:
        """Record that a model trained on ``size`` samples of ``group`` has ``error`` on it."""
        if group not in self.points:
            raise invalid_parameter("group", f"unknown group {group!r}")
        if not (np.isfinite(size) and size >= 1):
            raise invalid_parameter("size", f"must be finite and >= 1, got {size!r}")
        if not (np.isfinite(error) and error >= 0):
            raise invalid_parameter("error", f"must be finite and >= 0, got {error!r}")
        self.points[group].append((float(size), float(error)))
        self._curves.pop(group, None)

    @property
    def sizes(self) -> dict[Hashable, int]:
        """The largest size observed per group (0 if none)."""
        return {g: int(max((s for s, _ in pts), default=0)) for g, pts in self.points.items()}

    def curves(self) -> dict[Hashable, LearningCurve]:
        """The fitted curve of every group (fits are cached until new points arrive)."""
        for g, pts in self.points.items():
            if g not in self._curves:
                if len(pts) < 3:
                    raise invalid_parameter(
                        "points",
                        f"group {g!r} has {len(pts)} (size, error) points; a curve needs "
                        "at least 3 at distinct sizes",
                    )
                sizes, errors = zip(*pts, strict=True)
                self._curves[g] = LearningCurve.fit(sizes, errors)
        return dict(self._curves)

    def plan(self, budget: float) -> BudgetPlan:
        """The full :class:`BudgetPlan` for the next ``budget``."""
        return allocate_budget(
            self.curves(),
            self.sizes,
            budget,
            costs=self.costs,
            objective=self.objective,
            weights=self.weights,
            available=self.available,
        )

    def next_batch(self, budget: float) -> dict[Hashable, int]:
        """How many samples of each group to collect next with ``budget``."""
        return self.plan(budget).counts
