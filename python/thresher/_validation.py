"""Argument checks shared by every module of the Python face.

One definition of what a valid seed, count, fraction or choice is, and one message
shape: ``invalid <name>: must be <what>, got <value>`` (through
:func:`thresher.exceptions.invalid_parameter`). Each check returns the value converted to
the plain Python type the binding expects, so an out-of-range or non-integer value never
reaches PyO3's own conversion (whose ``OverflowError``/``TypeError`` name no argument).

A bool is not a number here (``True`` as a seed or count is a mistake), a numpy integer
is an integer, and a numpy floating value is a float.

Examples
--------
>>> from thresher import _validation as check
>>> check.seed(7)
7
>>> try:
...     check.seed(-1)
... except Exception as e:
...     print(e)
invalid seed: must be an integer in [0, 2**64), got -1
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection
from typing import Any, NoReturn, TypeVar

import numpy as np

from thresher.exceptions import invalid_parameter

_S = TypeVar("_S", bound=str)

#: Seeds are unsigned 64-bit integers in the core.
SEED_LIMIT = 2**64


def fail(name: str, must: str, value: Any) -> NoReturn:
    """Raise the :class:`~thresher.exceptions.InvalidParameterError` of the one shape."""
    raise invalid_parameter(name, f"must be {must}, got {value!r}")


def is_integer(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy integer (a bool is not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy integer or float (a bool is not)."""
    return is_integer(value) or isinstance(value, (float, np.floating))


def seed(value: Any, name: str = "seed") -> int:
    """A seed: an integer in ``[0, 2**64)``."""
    if not is_integer(value) or not 0 <= value < SEED_LIMIT:
        fail(name, "an integer in [0, 2**64)", value)
    return int(value)


def count(name: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A count (``k``, a number of rows, steps, iterations...): an integer >= ``minimum``
    (0 by default), and <= ``maximum`` when given."""
    if not is_integer(value) or value < minimum or (maximum is not None and value > maximum):
        bound = f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
        fail(name, f"an integer {bound}", value)
    return int(value)


def positive_count(name: str, value: Any) -> int:
    """A count that must be at least 1."""
    return count(name, value, minimum=1)


def budget(name: str, value: Any) -> int:
    """A budget of tokens: an integer >= 1, or a float holding one (``2e9``)."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not is_integer(value) or value < 1 or value >= 2**64:
        fail(name, "a whole number of tokens in [1, 2**64)", value)
    return int(value)


def optional_count(name: str, value: Any, *, minimum: int = 0) -> int | None:
    """A count, or ``None`` (for "no limit" / "the default")."""
    return None if value is None else count(name, value, minimum=minimum)


def real(name: str, value: Any) -> float:
    """A finite number (int or float, not bool)."""
    if not is_real(value) or not math.isfinite(value):
        fail(name, "a finite number", value)
    return float(value)


def positive(name: str, value: Any) -> float:
    """A finite number > 0."""
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        fail(name, "a finite number > 0", value)
    return float(value)


def non_negative(name: str, value: Any) -> float:
    """A finite number >= 0."""
    if not is_real(value) or not math.isfinite(value) or value < 0:
        fail(name, "a finite number >= 0", value)
    return float(value)


def fraction(name: str, value: Any, *, open_low: bool = False) -> float:
    """A fraction or probability in ``[0, 1]`` (``(0, 1]`` with ``open_low``)."""
    low_ok = value > 0 if open_low else value >= 0
    if not is_real(value) or not (low_ok and value <= 1):
        fail(name, "a number in (0, 1]" if open_low else "a number in [0, 1]", value)
    return float(value)


#: A probability or threshold is a fraction; the alias says which the caller means.
probability = fraction


def choice(name: str, value: Any, options: Collection[_S], *, or_else: str | None = None) -> _S:
    """One of the strings ``options`` (``or_else`` names what else the caller accepts,
    for the message only, e.g. ``"a mapping"``)."""
    if not isinstance(value, str) or value not in options:
        must = "one of " + ", ".join(repr(o) for o in options)
        fail(name, must if or_else is None else f"{must} or {or_else}", value)
    return value  # type: ignore[return-value]  # value is one of options


def renamed(old: str, old_value: Any, new: str, new_value: Any, *, stacklevel: int = 3) -> Any:
    """The value of keyword ``new`` given, for one release, under its old name ``old``.

    ``None`` means "not given" for both. Passing ``old`` warns with a
    :class:`DeprecationWarning`; passing both is an error.
    """
    if old_value is None:
        return new_value
    if new_value is not None:
        raise invalid_parameter(old, f"is the old name of {new}: give {new} only")
    warnings.warn(
        f"the keyword {old!r} is deprecated: use {new!r}", DeprecationWarning, stacklevel=stacklevel
    )
    return old_value


def renamed_choice(name: str, value: Any, old_names: dict[str, str], *, stacklevel: int = 3) -> Any:
    """``value`` with an old spelling of a choice replaced by its new one (warning with a
    :class:`DeprecationWarning`); other values are returned unchanged."""
    if isinstance(value, str) and value in old_names:
        warnings.warn(
            f"{name}={value!r} is deprecated: use {name}={old_names[value]!r}",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return old_names[value]
    return value
