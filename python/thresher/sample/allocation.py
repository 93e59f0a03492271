"""Per-group allocation: how many rows each group gives (shared by stratified
sampling, balanced selection and static mixtures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy.typing as npt

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import invalid_parameter

__all__ = [
    "ALLOCATIONS",
    "Allocation",
    "AllocationName",
    "allocate",
    "allocation_name",
    "group_quotas",
]

#: The per-group allocation names, one vocabulary for :func:`thresher.sample.stratified`
#: (proportional, equal, neyman), :func:`thresher.select.balanced` (proportional,
#: equal) and :func:`thresher.mixing.static_mixture` (proportional, equal, temperature).
AllocationName = Literal["proportional", "equal", "neyman", "temperature"]
ALLOCATIONS: tuple[AllocationName, ...] = ("proportional", "equal", "neyman", "temperature")
Allocation = Literal["proportional", "equal", "neyman"] | Mapping[Any, int]

# Names the same allocation had before the vocabulary was shared (accepted for one
# release, with a DeprecationWarning): select.balanced's "uniform" and
# static_mixture's "stratified" both meant the same share for every group.
_OLD_NAMES = {"uniform": "equal", "stratified": "equal"}


def allocation_name(
    value: Any,
    allowed: Sequence[AllocationName],
    *,
    name: str = "allocation",
    or_else: str | None = None,
    stacklevel: int = 4,
) -> str:
    """``value`` as one of the ``allowed`` allocation names, an old name being replaced
    by its new one with a :class:`DeprecationWarning` (``stacklevel`` points the warning
    at the user's call)."""
    value = check.renamed_choice(name, value, _OLD_NAMES, stacklevel=stacklevel)
    return check.choice(name, value, allowed, or_else=or_else)


def allocate(
    sizes: Mapping[Any, int],
    k: int | None = None,
    *,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    spread: Mapping[Any, float] | None = None,
) -> dict[Any, int]:
    """How many items to take from each group; the counts add up exactly.

    Parameters
    ----------
    sizes
        Items available in each group.
    k, frac
        The total: ``k`` items, or ``round(frac * total size)``. Not with a mapping
        ``allocation``.
    allocation
        ``"proportional"`` (to group size), ``"equal"`` (the same for every group,
        as far as sizes allow), ``"neyman"`` (proportional to size x ``spread``, the
        allocation that minimises the variance of a stratified mean), or a mapping
        ``{group: count}`` fixed per group.
    spread
        Per-group standard deviation of the quantity of interest (Neyman only).

    Returns
    -------
    dict
        ``{group: count}``, in the order of ``sizes``. Shares are rounded by largest
        remainder (ties to the earlier group); a group whose share exceeds its size
        is capped and the excess shared among the others.

    Examples
    --------
    >>> allocate({"a": 50, "b": 30, "c": 20}, 7)
    {'a': 4, 'b': 2, 'c': 1}
    >>> allocate({"a": 5, "b": 40, "c": 40}, 20, allocation="equal")
    {'a': 5, 'b': 8, 'c': 7}
    >>> allocate({"a": 100, "b": 100}, 10, allocation="neyman", spread={"a": 1.0, "b": 4.0})
    {'a': 2, 'b': 8}
    """
    groups = list(sizes)
    caps = [check.count(f"sizes[{g!r}]", sizes[g]) for g in groups]
    if isinstance(allocation, Mapping):
        if k is not None or frac is not None:
            raise invalid_parameter("k", "give either k/frac or a mapping allocation, not both")
        unknown = [g for g in allocation if g not in sizes]
        if unknown:
            raise invalid_parameter("allocation", f"unknown groups {unknown!r}")
        out = {g: check.count(f"allocation[{g!r}]", allocation.get(g, 0)) for g in groups}
        for g, cap in zip(groups, caps, strict=True):
            if out[g] > cap:
                raise invalid_parameter(
                    "allocation", f"group {g!r} holds {cap} items but {out[g]} were requested"
                )
        return out
    how = allocation_name(allocation, ("proportional", "equal", "neyman"), or_else="a mapping")
    total = _total(sum(caps), k, frac)
    if how == "proportional":
        scores = [float(c) for c in caps]
    elif how == "equal":
        scores = [1.0 if c > 0 else 0.0 for c in caps]
    else:  # "neyman"
        if spread is None:
            raise invalid_parameter("spread", "Neyman allocation needs a spread per group")
        missing = [g for g in groups if g not in spread]
        if missing:
            raise invalid_parameter("spread", f"no spread for groups {missing!r}")
        scores = [c * float(spread[g]) for g, c in zip(groups, caps, strict=True)]
    counts = _core.allocate(total, scores, caps)
    return dict(zip(groups, counts, strict=True))


def _total(size: int, k: int | None, frac: float | None) -> int:
    if (k is None) == (frac is None):
        raise invalid_parameter("k", "give exactly one of k and frac")
    if frac is not None:
        frac = check.fraction("frac", frac)
        return round(frac * size)
    assert k is not None
    return check.count("k", k)


def group_quotas(
    values: list[Any],
    sizes: Sequence[int] | npt.NDArray[Any],
    k: int | None,
    frac: float | None,
    allocation: Allocation,
    spread: Mapping[Any, float] | None,
) -> list[int]:
    """Rows to take from each group (code order), groups of size 0 getting none, as
    :func:`stratified` allocates them (shared with :func:`thresher.ray.stratified`)."""
    present = [i for i in range(len(values)) if sizes[i] > 0]
    by_group = allocate(
        {values[i]: int(sizes[i]) for i in present},
        k,
        frac=frac,
        allocation=allocation,
        spread=spread,
    )
    quotas = [0] * len(values)
    for i in present:
        quotas[i] = by_group[values[i]]
    return quotas
