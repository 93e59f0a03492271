"""Mixtures across groups of different sizes: temperature sampling and UniMax."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from thresher import _core

__all__ = ["mixture", "unimax"]


def _sizes(
    sizes: Mapping[Hashable, float] | Sequence[float],
) -> tuple[list[Any] | None, list[float]]:
    if isinstance(sizes, Mapping):
        return list(sizes), [float(v) for v in sizes.values()]
    return None, [float(v) for v in sizes]


def mixture(
    sizes: Mapping[Hashable, float] | Sequence[float],
    *,
    temperature: float = 1.0,
    budget: float | None = None,
    max_epochs: float = 1.0,
) -> Any:
    """Sampling probabilities across groups of different sizes.

    Temperature sampling gives ``p_i`` proportional to ``n_i^(1/T)`` (``T = 1`` is
    proportional, large ``T`` tends to uniform). With ``budget``, UniMax (Chung et
    al. 2023): the budget is spread as uniformly as possible across groups, no group
    being repeated more than ``max_epochs`` times; the probabilities are the shares
    of the budget.

    Parameters
    ----------
    sizes
        Size of each group (documents, tokens, characters), as a mapping or sequence.
    temperature
        Temperature (ignored with ``budget``).
    budget
        Total to draw, in the units of ``sizes``: selects UniMax. Not ``k``: it is an
        amount of tokens or characters as often as of rows, and may be fractional.
    max_epochs
        UniMax's cap on passes over any group.

    Returns
    -------
    dict or list
        Probabilities summing to 1 (to less than 1 never: with every group capped by
        UniMax the shares are of the amount actually drawn), keyed like ``sizes``.

    Examples
    --------
    >>> mixture({"en": 16, "fr": 4, "sw": 1}, temperature=2.0)
    {'en': 0.5714285714285714, 'fr': 0.2857142857142857, 'sw': 0.14285714285714285}
    >>> mixture([100, 10, 1000], budget=600, max_epochs=2)
    [0.3333333333333333, 0.03333333333333333, 0.6333333333333333]
    """
    keys, values = _sizes(sizes)
    if budget is None:
        probabilities = _core.mixture_temperature(values, float(temperature))
    else:
        amounts = _core.mixture_unimax(values, float(budget), float(max_epochs))
        drawn = sum(amounts)
        probabilities = [a / drawn for a in amounts]
    return dict(zip(keys, probabilities, strict=True)) if keys is not None else probabilities


def unimax(
    sizes: Mapping[Hashable, float] | Sequence[float], budget: float, *, max_epochs: float = 1.0
) -> Any:
    """UniMax amounts: how much of ``budget`` each group gets (Chung et al. 2023).

    Groups are visited from smallest to largest; each takes the remaining budget
    divided by the groups left, but at most ``max_epochs`` times its size.

    Examples
    --------
    >>> unimax({"sw": 10, "fr": 100, "en": 1000}, 600, max_epochs=2)
    {'sw': 20.0, 'fr': 200.0, 'en': 380.0}
    """
    keys, values = _sizes(sizes)
    amounts = _core.mixture_unimax(values, float(budget), float(max_epochs))
    return dict(zip(keys, amounts, strict=True)) if keys is not None else amounts
