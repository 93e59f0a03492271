"""Aioli: online data mixing driven by a training loop.

Implements Aioli from *Aioli: A Unified Optimization Framework for Language Model Data
Mixing* (Chen, Hu, Lourie, Cho, Ré; ICLR 2025, arXiv 2411.05735), following its
Algorithms 1 (Aioli) and 2 (LearnParams) and the authors' reference code
(github.com/HazyResearch/aioli, ``trainer/aioli_trainer.py``).

The paper's linear dynamic mixing law says that training on mixture ``p`` for a short
while lowers the loss of group ``i`` by ``(A^t p)_i``. Training is cut into rounds of
``update_steps`` steps. Each round:

1. **LearnParams** (``lp_rounds * m * lp_steps`` steps): for each of ``lp_rounds``
   sweeps over a random permutation of the ``m`` groups, train ``lp_steps`` steps on the
   smoothed one-hot mixture ``p^j`` (``eps = one_hot_factor``, the reference code's
   ``--one_hot_factor``, on group ``j`` and ``(1 - eps) / (m - 1)`` on each other
   group), and record the drop of every group's
   evaluation loss: ``G[i, j] += L_i(before) - L_i(after)``. Then ``G /= lp_rounds`` and
   ``A^t`` solves ``G[i, j] = sum_k A^t[i, k] p^j_k`` (``A^t_i = W^{-1} G_i`` with ``W``
   the matrix of the ``p^j``; with ``eps = 1``, ``A^t = G``).
2. With ``normalize`` (the authors' ``--aioli_normalize_A``, always on in their runs),
   ``A^t`` is shifted by its minimum if negative and divided by its sum.
3. **Update** by exponentiated gradient:
   ``p^t ∝ p^{t-1} ⊙ exp(eta * sum_i A^t_i)`` (column sums of ``A^t``). With ``ema =
   gamma``, the reference code's smoothing: ``Abar^t = (1 - gamma) A^t + gamma
   Abar^{t-1}`` and ``p^t ∝ p^0 ⊙ exp(eta * sum_i Abar^t_i)``.
4. The rest of the round trains on ``p^t``.

With ``prior_steps`` the loop first trains that many steps on the initial mixture (the
paper's "restricted" setting, where Aioli adjusts proportions learned elsewhere).

Driving it from a training loop (``step`` counts the steps already taken)::

    mixer = Aioli(["en", "fr", "ja"], update_steps=200)
    for step in range(total_steps):
        if mixer.needs_losses(step):
            mixer.observe(step, evaluate_per_group(model))   # losses before this step
        batch = draw_batch(mixer.next_mixture(step))
        train_one_step(model, batch)

Also the static baselines the paper compares with: :func:`static_mixture`
(equal, proportional, temperature).

Examples
--------
A planted case: training on group 1 lowers every loss fastest, so its proportion grows.

>>> import numpy as np
>>> from thresher.mixing import Aioli
>>> gain = np.array([[0.01, 0.05, 0.0], [0.0, 0.08, 0.0], [0.0, 0.04, 0.01]])
>>> mixer = Aioli(3, update_steps=40, lp_rounds=2, lp_steps=2, eta=1.0, seed=0)
>>> losses = np.full(3, 5.0)
>>> for step in range(120):
...     if mixer.needs_losses(step):
...         mixer.observe(step, losses)
...     losses = losses - gain @ mixer.next_mixture(step)
>>> bool(mixer.proportions.argmax() == 1), round(float(mixer.proportions.sum()), 6)
(True, 1.0)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from thresher import _validation as check
from thresher._persist import Persistent, State
from thresher.exceptions import InvalidParameterError, invalid_parameter, located

__all__ = ["Aioli", "static_mixture"]

Vector = npt.NDArray[np.float64]
_STATE_VERSION = 1


_positive_int = check.positive_count


def _simplex(name: str, values: Any, m: int) -> Vector:
    p = np.asarray(values, dtype=np.float64)
    if p.shape != (m,):
        raise invalid_parameter(name, f"must hold {m} proportions, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise invalid_parameter(name, f"proportions must be finite and >= 0, got {p.tolist()}")
    if abs(p.sum() - 1.0) > 1e-6:
        raise invalid_parameter(name, f"proportions must sum to 1, they sum to {p.sum()!r}")
    out: Vector = p / p.sum()
    return out


class Aioli(Persistent):
    """Online mixture proportions over ``m`` groups, updated from evaluation losses.

    Parameters
    ----------
    groups
        The number of groups ``m >= 2``, or their names (used by :meth:`mixture_dict`).
    initial
        Starting proportions ``p^0`` (on the simplex); default uniform (stratified).
    eta
        Step size ``eta > 0`` of the exponentiated-gradient update (paper: 0.1-0.5).
    update_steps
        Steps per round: LearnParams then training on the new mixture.
    lp_rounds
        Sweeps over the groups per LearnParams (paper: 4 or 6).
    lp_steps
        Steps trained on each smoothed one-hot mixture within a sweep (paper: 4).
    one_hot_factor
        ``eps`` in ``(1/m, 1]``: weight of the swept group in its mixture (1 = pure one-hot;
        the paper's runs use 0.625 so that every batch still sees every group).
    ema
        ``gamma`` in ``[0, 1)`` or ``None``: smoothing of ``A^t`` across rounds (then the
        update restarts from ``p^0`` each round, as in the reference code).
    normalize
        Shift ``A^t`` to be non-negative and scale it to sum 1 before the update.
    prior_steps
        Steps trained on ``initial`` before the first round.
    seed
        Seed of the sweep orders (round ``t`` uses ``numpy.random.default_rng([seed, t])``).

    Raises
    ------
    InvalidParameterError
        On out-of-range options, ``initial`` off the simplex, or rounds too short to
        hold LearnParams (``update_steps <= lp_rounds * m * lp_steps``).
    """

    def __init__(
        self,
        groups: int | Sequence[Hashable],
        *,
        initial: npt.ArrayLike | None = None,
        eta: float = 0.2,
        update_steps: int = 250,
        lp_rounds: int = 4,
        lp_steps: int = 4,
        one_hot_factor: float = 0.625,
        ema: float | None = None,
        normalize: bool = True,
        prior_steps: int = 0,
        seed: int = 0,
    ) -> None:
        if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool):
            names: list[Hashable] = list(range(int(groups)))
        elif isinstance(groups, Sequence) and not isinstance(groups, str):
            names = list(groups)
        else:
            raise invalid_parameter("groups", f"must be a count or a sequence, got {groups!r}")
        m = len(names)
        if m < 2:
            raise invalid_parameter("groups", f"mixing needs at least 2 groups, got {m}")
        if len(set(names)) != m:
            raise invalid_parameter("groups", "group names must be distinct")
        self.groups = names
        self.eta = check.positive("eta", eta)
        self.update_steps = _positive_int("update_steps", update_steps)
        self.lp_rounds = _positive_int("lp_rounds", lp_rounds)
        self.lp_steps = _positive_int("lp_steps", lp_steps)
        if not (np.isfinite(one_hot_factor) and 1.0 / m < one_hot_factor <= 1.0):
            raise invalid_parameter(
                "one_hot_factor", f"must be in (1/m, 1] = ({1 / m:.4g}, 1], got {one_hot_factor!r}"
            )
        self.one_hot_factor = float(one_hot_factor)
        if ema is not None and not (np.isfinite(ema) and 0.0 <= ema < 1.0):
            raise invalid_parameter("ema", f"must be in [0, 1) or None, got {ema!r}")
        self.ema = None if ema is None else float(ema)
        self.normalize = bool(normalize)
        self.prior_steps = check.count("prior_steps", prior_steps)
        self.seed = check.seed(seed)
        if self.update_steps <= self.learn_steps:
            raise invalid_parameter(
                "update_steps",
                f"{self.update_steps} steps per round leave no training after LearnParams, "
                f"which takes lp_rounds * m * lp_steps = {self.learn_steps}",
            )
        self.initial = np.full(m, 1.0 / m) if initial is None else _simplex("initial", initial, m)
        # State.
        self._p = self.initial.copy()
        self._round = 0  # the round whose LearnParams is under way or next
        self._sweep = -1  # -1: the loss at the start of the round is still awaited
        self._previous: Vector | None = None
        self._drops = np.zeros((m, m))
        self._a: Vector | None = None  # the last A^t (after normalisation)
        self._a_bar: Vector | None = None
        self.history: list[Vector] = []
        self._orders: dict[int, npt.NDArray[np.int64]] = {}

    # -- schedule -----------------------------------------------------------------
    @property
    def m(self) -> int:
        """The number of groups."""
        return len(self.groups)

    @property
    def learn_steps(self) -> int:
        """Steps of one LearnParams: ``lp_rounds * m * lp_steps``."""
        return self.lp_rounds * self.m * self.lp_steps

    def _order(self, t: int) -> npt.NDArray[np.int64]:
        cached = self._orders.get(t)
        if cached is None:
            rng = np.random.default_rng([self.seed, t])
            cached = np.concatenate([rng.permutation(self.m) for _ in range(self.lp_rounds)])
            self._orders = {t: cached}
        return cached

    def _start(self, t: int) -> int:
        return self.prior_steps + t * self.update_steps

    def _next_eval(self) -> int:
        """The step before which the next losses are awaited."""
        return self._start(self._round) + (self._sweep + 1) * self.lp_steps

    def phase(self, step: int) -> Literal["prior", "learn", "train"]:
        """What step ``step`` does: ``"prior"`` (initial mixture), ``"learn"``
        (a LearnParams sweep) or ``"train"`` (the round's updated mixture)."""
        step = self._step(step)
        if step < self.prior_steps:
            return "prior"
        offset = (step - self.prior_steps) % self.update_steps
        return "learn" if offset < self.learn_steps else "train"

    def needs_losses(self, step: int) -> bool:
        """Whether :meth:`observe` must be called with the losses measured before
        training step ``step`` (at the start of each round and after each sweep)."""
        step = self._step(step)
        return step >= self.prior_steps and step == self._next_eval()

    def _step(self, step: int) -> int:
        return check.count("step", step)

    def _swept(self, j: int) -> Vector:
        p = np.full(self.m, (1.0 - self.one_hot_factor) / (self.m - 1))
        p[j] = self.one_hot_factor
        return p

    def next_mixture(self, step: int) -> Vector:
        """The mixture to draw training step ``step``'s batch from (a copy).

        Raises
        ------
        InvalidParameterError
            If losses awaited before ``step`` have not been observed.
        """
        step = self._step(step)
        if step >= self.prior_steps and step >= self._next_eval():
            raise located(
                InvalidParameterError,
                f"invalid step: the losses before step {self._next_eval()} have not been "
                "observed (call observe() when needs_losses() says so)",
                parameter="step",
            )
        if step < self.prior_steps:
            return self.initial.copy()
        t, offset = divmod(step - self.prior_steps, self.update_steps)
        if t < self._round:  # a step of an earlier round's training phase
            return self._p.copy()
        sweep = offset // self.lp_steps
        return self._swept(int(self._order(t)[sweep]))

    def observe(self, step: int, losses: npt.ArrayLike) -> None:
        """Record the per-group evaluation losses measured before training step ``step``.

        Parameters
        ----------
        step
            Must be the step :meth:`needs_losses` is true for.
        losses
            One finite, non-negative loss per group, in group order.
        """
        step = self._step(step)
        expected = self._next_eval()
        if step != expected:
            raise invalid_parameter(
                "step", f"losses are awaited before step {expected}, not {step}"
            )
        loss = np.array(losses, dtype=np.float64)  # a copy: callers reuse their arrays
        if loss.shape != (self.m,):
            raise invalid_parameter("losses", f"must hold {self.m} losses, got shape {loss.shape}")
        if not np.all(np.isfinite(loss)) or np.any(loss < 0):
            raise invalid_parameter("losses", f"must be finite and >= 0, got {loss.tolist()}")
        if self._sweep >= 0:
            assert self._previous is not None
            j = int(self._order(self._round)[self._sweep])
            self._drops[:, j] += self._previous - loss
        self._previous = loss
        self._sweep += 1
        if self._sweep == self.lp_rounds * self.m:
            self._update()

    def _update(self) -> None:
        g: Vector = self._drops / self.lp_rounds
        a: Vector = g
        if self.one_hot_factor < 1.0:
            w = np.stack([self._swept(j) for j in range(self.m)])  # row j = mixture j
            a = np.asarray(np.linalg.solve(w, g.T).T, dtype=np.float64)  # A_i = W^{-1} G_i
        if self.normalize:
            low = a.min()
            if low < 0:
                a = a - low
            total = a.sum()
            if total > 0:
                a = a / total
        self._a = a
        if self.ema is None:
            log_p = np.log(self._p) + self.eta * a.sum(axis=0)
        else:
            a_bar: Vector = (
                a if self._a_bar is None else (1 - self.ema) * a + self.ema * self._a_bar
            )
            self._a_bar = a_bar
            log_p = np.log(self.initial) + self.eta * a_bar.sum(axis=0)
        p = np.exp(log_p - log_p.max())
        self._p = p / p.sum()
        self.history.append(self._p.copy())
        self._round += 1
        self._sweep = -1
        self._previous = None
        self._drops = np.zeros((self.m, self.m))

    # -- results ------------------------------------------------------------------
    @property
    def proportions(self) -> Vector:
        """The current mixture ``p^t`` (``initial`` before the first update)."""
        return self._p.copy()

    @property
    def mixing_matrix(self) -> Vector | None:
        """The last estimate of ``A^t`` (after normalisation), or ``None``."""
        return None if self._a is None else self._a.copy()

    @property
    def rounds(self) -> int:
        """How many updates have been made."""
        return self._round

    def mixture_dict(self, mixture: npt.ArrayLike | None = None) -> dict[Hashable, float]:
        """``{group: proportion}`` of ``mixture`` (default: :attr:`proportions`)."""
        p = self._p if mixture is None else np.asarray(mixture, dtype=np.float64)
        return {g: float(x) for g, x in zip(self.groups, p, strict=True)}

    # -- state --------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Options and state as plain JSON-serialisable values (see :meth:`from_state`).

        Examples
        --------
        >>> import json
        >>> mixer = Aioli(["a", "b"], update_steps=20, lp_rounds=1, lp_steps=2)
        >>> mixer.observe(0, [1.0, 2.0])
        >>> again = Aioli.from_state(json.loads(json.dumps(mixer.state_dict())))
        >>> again.needs_losses(2), again.next_mixture(1).tolist()
        (True, [0.625, 0.375])
        """
        return {
            "version": _STATE_VERSION,
            "groups": list(self.groups),
            "initial": self.initial.tolist(),
            "eta": self.eta,
            "update_steps": self.update_steps,
            "lp_rounds": self.lp_rounds,
            "lp_steps": self.lp_steps,
            "one_hot_factor": self.one_hot_factor,
            "ema": self.ema,
            "normalize": self.normalize,
            "prior_steps": self.prior_steps,
            "seed": self.seed,
            "proportions": self._p.tolist(),
            "round": self._round,
            "sweep": self._sweep,
            "previous": None if self._previous is None else self._previous.tolist(),
            "drops": self._drops.tolist(),
            "a": None if self._a is None else self._a.tolist(),
            "a_bar": None if self._a_bar is None else self._a_bar.tolist(),
            "history": [h.tolist() for h in self.history],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Aioli:
        """Rebuild a mixer saved by :meth:`state_dict`."""
        if not isinstance(state, Mapping) or state.get("version") != _STATE_VERSION:
            raise invalid_parameter("state", "not an Aioli state_dict of this version")
        try:
            mixer = cls(
                state["groups"],
                initial=state["initial"],
                eta=state["eta"],
                update_steps=state["update_steps"],
                lp_rounds=state["lp_rounds"],
                lp_steps=state["lp_steps"],
                one_hot_factor=state["one_hot_factor"],
                ema=state["ema"],
                normalize=state["normalize"],
                prior_steps=state["prior_steps"],
                seed=state["seed"],
            )
            m = mixer.m
            mixer._p = _simplex("state", state["proportions"], m)
            mixer._round = int(state["round"])
            mixer._sweep = int(state["sweep"])
            if not -1 <= mixer._sweep < mixer.lp_rounds * m or mixer._round < 0:
                raise invalid_parameter("state", "round or sweep out of range")
            prev = state["previous"]
            mixer._previous = None if prev is None else np.asarray(prev, dtype=np.float64)
            mixer._drops = np.asarray(state["drops"], dtype=np.float64).reshape(m, m)
            a, a_bar = state["a"], state["a_bar"]
            mixer._a = None if a is None else np.asarray(a, dtype=np.float64).reshape(m, m)
            mixer._a_bar = (
                None if a_bar is None else np.asarray(a_bar, dtype=np.float64).reshape(m, m)
            )
            mixer.history = [np.asarray(h, dtype=np.float64) for h in state["history"]]
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, InvalidParameterError):
                raise
            raise invalid_parameter("state", f"malformed Aioli state: {e!r}") from None
        return mixer

    # Saved and pickled through thresher._persist: the state_dict as the JSON header
    # (its version is the file's format version).
    FORMAT = "thresher.aioli"
    FORMAT_VERSION = _STATE_VERSION

    def _to_state(self) -> State:
        state = self.state_dict()
        del state["version"]
        return state, {}

    @classmethod
    def _from_state(cls, header: dict[str, Any], arrays: dict[str, Any], where: str) -> Aioli:
        return cls.from_state({**header, "version": _STATE_VERSION})

    def __repr__(self) -> str:
        p = ", ".join(f"{g}={x:.3f}" for g, x in self.mixture_dict().items())
        return f"Aioli(rounds={self._round}, proportions={{{p}}})"


def static_mixture(
    sizes: Mapping[Hashable, float] | Sequence[float],
    allocation: Literal["equal", "proportional", "temperature"] = "equal",
    *,
    temperature: float = 1.0,
    method: str | None = None,
) -> Any:
    """The static mixtures Aioli is compared with, in the allocation vocabulary of
    :func:`thresher.sample.allocate`: ``"equal"`` (the same share for every group, the
    paper's "stratified"), ``"proportional"`` to group size, or ``"temperature"``
    sampling (``p_i ∝ n_i^(1/T)``, via :func:`thresher.sample.mixture`).

    ``method`` is the old name of ``allocation``, and ``"stratified"`` the old name of
    ``"equal"`` (both deprecated: they warn).

    Examples
    --------
    >>> static_mixture({"en": 16, "fr": 4, "sw": 1})
    {'en': 0.3333333333333333, 'fr': 0.3333333333333333, 'sw': 0.3333333333333333}
    >>> static_mixture([16, 4], "proportional")
    [0.8, 0.2]
    >>> static_mixture([16, 4], "temperature", temperature=2.0)
    [0.6666666666666666, 0.3333333333333333]
    """
    from thresher.sample import mixture
    from thresher.sample.allocation import allocation_name

    if method is not None:
        allocation = check.renamed("method", method, "allocation", None)
    how = allocation_name(allocation, ("equal", "proportional", "temperature"), stacklevel=3)
    if how == "equal":
        keys = list(sizes) if isinstance(sizes, Mapping) else None
        values = list(sizes.values()) if isinstance(sizes, Mapping) else list(sizes)
        if not values:
            raise invalid_parameter("sizes", "there is no group")
        uniform = [1.0 / len(values)] * len(values)
        return dict(zip(keys, uniform, strict=True)) if keys is not None else uniform
    if how == "proportional":
        return mixture(sizes, temperature=1.0)
    return mixture(sizes, temperature=temperature)
