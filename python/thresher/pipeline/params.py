"""The typed parameters of a pipeline table or step, checked before any work starts.

Each step declares its parameters as :class:`Param` values; :func:`check_params` fills
the defaults, converts the values and raises :class:`~thresher.exceptions.PipelineError`
naming the file and line of the first bad one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from thresher._memory import parse_memory
from thresher.exceptions import InvalidParameterError, PipelineError, located
from thresher.pipeline._toml import Lines

__all__ = ["Param", "Where", "check_params"]

_KINDS = ("int", "number", "str", "bool", "strings", "table", "size", "path_or_paths")


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, default and bounds.

    ``kind`` is ``"int"``, ``"number"`` (int or float), ``"str"``, ``"bool"``,
    ``"strings"`` (a list of strings), ``"table"`` (a TOML table, e.g. weights per
    label), ``"size"`` (bytes: ``"256MB"`` or an integer) or ``"path_or_paths"`` (a
    string or a list of strings). A ``number`` such as ``2e9`` given for an ``int``
    with ``integral=True`` is accepted when it is a whole number.
    """

    kind: str
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")


@dataclass(frozen=True)
class Where:
    """A table of a pipeline file: the file, the table's key in :class:`Lines` and how
    to call it in a message (``"step 2 (dedup)"``)."""

    path: str
    lines: Lines
    table: str
    label: str

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        line = self.lines.of(self.table, key)
        prefix = f"{self.path}:{line}" if line else self.path
        raise located(
            PipelineError, f"{prefix}: {self.label}: {message}", path=self.path, line=line
        )


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def _convert(where: Where, name: str, value: Any, param: Param) -> Any:
    kind = param.kind
    if kind == "int":
        if isinstance(value, float) and value.is_integer() and not isinstance(value, bool):
            value = int(value)  # 2e9 tokens is written as a float in TOML
        if not isinstance(value, int) or isinstance(value, bool):
            where.fail(f"{name} must be an integer, got {_describe(value)}", name)
    elif kind == "number":
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            where.fail(f"{name} must be a finite number, got {_describe(value)}", name)
        value = float(value)
    elif kind == "str":
        if not isinstance(value, str):
            where.fail(f"{name} must be a string, got {_describe(value)}", name)
        if param.choices is not None and value not in param.choices:
            options = ", ".join(repr(c) for c in param.choices)
            where.fail(f"{name} must be one of {options}, got {value!r}", name)
    elif kind == "bool":
        if not isinstance(value, bool):
            where.fail(f"{name} must be true or false, got {_describe(value)}", name)
    elif kind in ("strings", "path_or_paths"):
        if kind == "path_or_paths" and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            where.fail(f"{name} must be a list of strings, got {_describe(value)}", name)
        if not value:
            where.fail(f"{name} must not be empty", name)
    elif kind == "table":
        if not isinstance(value, Mapping):
            where.fail(f"{name} must be a table, got {_describe(value)}", name)
        value = dict(value)
    elif kind == "size":
        try:
            value = parse_memory(value, name)
        except InvalidParameterError as e:
            where.fail(str(e), name)
    if kind in ("int", "number", "size"):
        if param.minimum is not None and value < param.minimum:
            where.fail(f"{name} must be at least {param.minimum:g}, got {value!r}", name)
        if param.maximum is not None and value > param.maximum:
            where.fail(f"{name} must be at most {param.maximum:g}, got {value!r}", name)
    return value


def check_params(
    where: Where, given: Mapping[str, Any], spec: Mapping[str, Param], skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The parameters of a table, converted, with defaults filled in.

    ``skip`` names keys handled elsewhere (``type`` and ``name`` of a step).
    """
    unknown = sorted(set(given) - set(spec) - set(skip))
    if unknown:
        known = ", ".join(sorted(spec)) or "none"
        where.fail(f"unknown parameter {unknown[0]!r} (known: {known})", unknown[0])
    out: dict[str, Any] = {}
    for name, param in spec.items():
        if name in given:
            out[name] = _convert(where, name, given[name], param)
        elif param.required:
            where.fail(f"missing parameter {name!r}")
        else:
            out[name] = param.default
    return out
