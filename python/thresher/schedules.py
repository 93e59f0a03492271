"""Mixture schedules over training steps.

Two schedules from the data-mixing literature, each returning the mixture to use at a
given training step:

- :class:`CooldownSchedule` ("Upsample or Upweight? Balanced Training on Heavily
  Imbalanced Datasets", Li et al., NAACL 2025): temperature sampling that starts hot,
  heavily upsampling small groups so they converge fast, and cools down later in
  training so they are not overfitted.
- :class:`DomainUpsampling` ("Does your data spark joy? Performance gains from
  domain upsampling at the end of training", Blakeney et al. 2024): the base mixture
  for most of training, then chosen domains upsampled for the last 10-20% of steps.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter

__all__ = ["CooldownSchedule", "DomainUpsampling"]


_fraction = check.fraction


def _steps(total_steps: int) -> int:
    return check.positive_count("total_steps", total_steps)


def _step(step: int, total: int) -> float:
    return min(check.count("step", step) / total, 1.0)


class CooldownSchedule:
    """Temperature sampling whose temperature falls during training.

    The temperature is ``start_temperature`` until ``cooldown_start`` (a fraction
    of ``total_steps``), then moves to ``end_temperature`` by ``cooldown_end``:
    at once (``shape="step"``), linearly, or along a half cosine. Mixture weights
    at a step are ``p_i`` proportional to ``n_i^(1/T)``.

    Parameters
    ----------
    sizes
        Size of each group (mapping or sequence).
    total_steps
        Training steps.
    start_temperature, end_temperature
        Temperatures before and after the cool-down (both > 0).
    cooldown_start, cooldown_end
        Fractions of training where the cool-down starts and ends.
    shape
        ``"step"``, ``"linear"`` or ``"cosine"``.

    Examples
    --------
    >>> s = CooldownSchedule({"en": 900, "sw": 100}, total_steps=1000,
    ...                      start_temperature=5.0, end_temperature=1.0, shape="step")
    >>> round(s.weights(0)["sw"], 3), round(s.weights(999)["sw"], 3)
    (0.392, 0.1)
    """

    def __init__(
        self,
        sizes: Mapping[Hashable, float] | Sequence[float],
        *,
        total_steps: int,
        start_temperature: float = 5.0,
        end_temperature: float = 1.0,
        cooldown_start: float = 0.5,
        cooldown_end: float | None = None,
        shape: Literal["step", "linear", "cosine"] = "linear",
    ) -> None:
        self.keys = list(sizes) if isinstance(sizes, Mapping) else None
        self.sizes = [float(v) for v in (sizes.values() if isinstance(sizes, Mapping) else sizes)]
        self.total_steps = _steps(total_steps)
        for name, t in (
            ("start_temperature", start_temperature),
            ("end_temperature", end_temperature),
        ):
            check.positive(name, t)
        self.start_temperature = float(start_temperature)
        self.end_temperature = float(end_temperature)
        self.cooldown_start = _fraction("cooldown_start", cooldown_start)
        self.cooldown_end = _fraction("cooldown_end", 1.0 if cooldown_end is None else cooldown_end)
        if self.cooldown_end < self.cooldown_start:
            raise invalid_parameter("cooldown_end", "must not come before cooldown_start")
        if shape not in ("step", "linear", "cosine"):
            raise invalid_parameter("shape", f"must be 'step', 'linear' or 'cosine', got {shape!r}")
        self.shape = shape
        _core.mixture_temperature(self.sizes, self.start_temperature)  # validates sizes

    def temperature(self, step: int) -> float:
        """The temperature at ``step``."""
        t = _step(step, self.total_steps)
        if t < self.cooldown_start:
            return self.start_temperature
        span = self.cooldown_end - self.cooldown_start
        if self.shape == "step" or span == 0.0 or t >= self.cooldown_end:
            return self.end_temperature
        progress = (t - self.cooldown_start) / span
        if self.shape == "cosine":
            progress = (1.0 - math.cos(math.pi * progress)) / 2.0
        return self.start_temperature + (self.end_temperature - self.start_temperature) * progress

    def weights(self, step: int) -> Any:
        """Mixture weights at ``step`` (a dict when ``sizes`` was a mapping)."""
        p = _core.mixture_temperature(self.sizes, self.temperature(step))
        return dict(zip(self.keys, p, strict=True)) if self.keys is not None else p


class DomainUpsampling:
    """The base mixture, then chosen domains upsampled for the end of training.

    Parameters
    ----------
    weights
        The base mixture ``{domain: weight}`` (normalised here).
    total_steps
        Training steps.
    upsample
        ``{domain: factor}``: base weights multiplied by the factor for the final
        phase, then renormalised. Give this or ``end_weights``.
    end_weights
        The complete mixture of the final phase instead.
    start
        Fraction of training at which the final phase begins (the paper found the
        last 10-20% of steps best, so 0.8-0.9).

    Examples
    --------
    >>> s = DomainUpsampling({"web": 0.9, "math": 0.1}, total_steps=100,
    ...                      upsample={"math": 5.0}, start=0.8)
    >>> s.weights(10)["math"], round(s.weights(90)["math"], 4)
    (0.1, 0.3571)
    """

    def __init__(
        self,
        weights: Mapping[Hashable, float],
        *,
        total_steps: int,
        upsample: Mapping[Hashable, float] | None = None,
        end_weights: Mapping[Hashable, float] | None = None,
        start: float = 0.8,
    ) -> None:
        self.total_steps = _steps(total_steps)
        self.start = _fraction("start", start)
        self.base = _normalised("weights", weights)
        if (upsample is None) == (end_weights is None):
            raise invalid_parameter("upsample", "give exactly one of upsample and end_weights")
        if upsample is not None:
            unknown = [d for d in upsample if d not in self.base]
            if unknown:
                raise invalid_parameter("upsample", f"unknown domains {unknown!r}")
            bad = {d: f for d, f in upsample.items() if not (math.isfinite(f) and f >= 0)}
            if bad:
                raise invalid_parameter("upsample", f"factors must be finite and >= 0: {bad!r}")
            scaled = {d: w * float(upsample.get(d, 1.0)) for d, w in self.base.items()}
            self.end = _normalised("upsample", scaled)
        else:
            assert end_weights is not None
            unknown = [d for d in end_weights if d not in self.base]
            if unknown:
                raise invalid_parameter("end_weights", f"unknown domains {unknown!r}")
            self.end = _normalised("end_weights", {d: end_weights.get(d, 0.0) for d in self.base})

    def weights(self, step: int) -> dict[Hashable, float]:
        """Mixture weights at ``step``."""
        late = _step(step, self.total_steps) >= self.start
        return dict(self.end if late else self.base)


def _normalised(name: str, weights: Mapping[Hashable, float]) -> dict[Hashable, float]:
    values = {d: float(w) for d, w in weights.items()}
    if not values:
        raise invalid_parameter(name, "no domain given")
    if any(not (math.isfinite(w) and w >= 0) for w in values.values()):
        raise invalid_parameter(name, f"weights must be finite and >= 0: {values!r}")
    total = sum(values.values())
    if total <= 0:
        raise invalid_parameter(name, "all weights are zero")
    return {d: w / total for d, w in values.items()}
