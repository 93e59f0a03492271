"""The run statistics a report renders, and their validation.

The schema is documented in :mod:`thresher.report`; :func:`validate` checks a
``stats`` dict against it and returns it typed as :class:`RunStats`. A missing or
wrong field raises :class:`~thresher.exceptions.InvalidParameterError` whose
``parameter`` (and ``field``) is the path of the field, e.g. ``stats.steps[1].seconds``.
Keys the schema does not name are ignored, so a newer pipeline can add fields.

Examples
--------
>>> from thresher.report.schema import validate
>>> try:
...     validate({"title": "run"})
... except Exception as e:
...     print(e)
invalid stats.thresher_version: must be present (a string), got nothing
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn, TypedDict, cast

from thresher.exceptions import InvalidParameterError, located

__all__ = [
    "Composition",
    "Histogram",
    "Input",
    "Output",
    "RunStats",
    "Step",
    "parse_time",
    "validate",
]


class Input(TypedDict):
    """What the run read: ``files`` (paths, or objects with a ``path``) and totals."""

    files: list[Any]
    documents: int
    bytes: int
    tokens: int | None


class Step(TypedDict):
    """One step of the pipeline: what went in and what came out."""

    name: str
    kind: str
    documents_in: int
    documents_out: int
    bytes_in: int
    bytes_out: int
    tokens_in: int | None
    tokens_out: int | None
    seconds: float


class Composition(TypedDict):
    """Documents per label of ``column`` before and after the run."""

    column: str
    before: dict[str, int]
    after: dict[str, int]


class Histogram(TypedDict):
    """``counts[i]`` values fell in ``[edges[i], edges[i + 1])``."""

    name: str
    edges: list[float]
    counts: list[int]


class Output(TypedDict):
    """What the run wrote: totals and ``shards`` (paths, or objects with a ``path``)."""

    documents: int
    bytes: int
    tokens: int | None
    shards: list[Any]


class RunStats(TypedDict):
    """The whole run; see :mod:`thresher.report` for each field."""

    title: str
    thresher_version: str
    started: str
    finished: str
    seconds: float
    input: Input
    steps: list[Step]
    composition: Composition | None
    histograms: list[Histogram]
    cluster_sizes: dict[str, int] | None
    output: Output


_MISSING = object()


def _fail(where: str, must: str, value: Any = _MISSING) -> NoReturn:
    got = "nothing" if value is _MISSING else repr(value)
    if len(got) > 80:
        got = got[:77] + "..."
    raise located(
        InvalidParameterError,
        f"invalid {where}: must be {must}, got {got}",
        parameter=where,
        field=where,
    )


def _get(obj: Mapping[str, Any], key: str, where: str, must: str) -> Any:
    if key not in obj:
        _fail(f"{where}.{key}", f"present ({must})")
    return obj[key]


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _fail(where, "an object", value)
    return value


def _int_value(value: Any, where: str, *, nullable: bool = False) -> int | None:
    must = "an integer >= 0" + (" or null" if nullable else "")
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, must, value)
    return value


def _int(obj: Mapping[str, Any], key: str, where: str, *, nullable: bool = False) -> int | None:
    must = "an integer >= 0" + (" or null" if nullable else "")
    return _int_value(_get(obj, key, where, must), f"{where}.{key}", nullable=nullable)


def _count(obj: Mapping[str, Any], key: str, where: str) -> int:
    return cast(int, _int(obj, key, where))


def _seconds(obj: Mapping[str, Any], key: str, where: str) -> float:
    must = "a number of seconds >= 0"
    value = _get(obj, key, where, must)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        _fail(f"{where}.{key}", must, value)
    return float(value)


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = _get(obj, key, where, "a string")
    if not isinstance(value, str):
        _fail(f"{where}.{key}", "a string", value)
    return value


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``Z`` is accepted for UTC, as JSON writers emit it).

    Examples
    --------
    >>> parse_time("2026-12-03T14:22:23Z").isoformat()
    '2026-12-03T14:22:23+00:00'
    """
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _time(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = _str(obj, key, where)
    try:
        parse_time(value)
    except ValueError:
        _fail(f"{where}.{key}", "an ISO 8601 time", value)
    return value


def _files(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    must = "a list of paths or of objects with a 'path'"
    value = _get(obj, key, where, must)
    if not isinstance(value, list):
        _fail(f"{where}.{key}", must, value)
    for i, item in enumerate(value):
        at = f"{where}.{key}[{i}]"
        if isinstance(item, Mapping):
            _str(item, "path", at)
            for size in ("documents", "rows", "bytes", "tokens"):
                if item.get(size) is not None:
                    _int(item, size, at)
        elif not isinstance(item, str):
            _fail(at, "a path or an object with a 'path'", item)
    return value


def _labels(value: Any, where: str) -> dict[str, int]:
    counts = _mapping(value, where)
    for label, count in counts.items():
        if not isinstance(label, str):
            _fail(where, "an object with string labels", label)
        _int_value(count, f"{where}[{label!r}]")
    return dict(counts)


def _step(value: Any, where: str) -> Step:
    step = _mapping(value, where)
    return {
        "name": _str(step, "name", where),
        "kind": _str(step, "kind", where),
        "documents_in": _count(step, "documents_in", where),
        "documents_out": _count(step, "documents_out", where),
        "bytes_in": _count(step, "bytes_in", where),
        "bytes_out": _count(step, "bytes_out", where),
        "tokens_in": _int(step, "tokens_in", where, nullable=True),
        "tokens_out": _int(step, "tokens_out", where, nullable=True),
        "seconds": _seconds(step, "seconds", where),
    }


def _histogram(value: Any, where: str) -> Histogram:
    hist = _mapping(value, where)
    name = _str(hist, "name", where)
    counts = _get(hist, "counts", where, "a list of integers >= 0")
    if not isinstance(counts, list) or not counts:
        _fail(f"{where}.counts", "a non-empty list of integers >= 0", counts)
    for i, count in enumerate(counts):
        _int_value(count, f"{where}.counts[{i}]")
    edges = _get(hist, "edges", where, "a list of numbers")
    if not isinstance(edges, list) or len(edges) != len(counts) + 1:
        _fail(
            f"{where}.edges", f"a list of {len(counts) + 1} numbers (one more than counts)", edges
        )
    for i, edge in enumerate(edges):
        if isinstance(edge, bool) or not isinstance(edge, (int, float)) or not math.isfinite(edge):
            _fail(f"{where}.edges[{i}]", "a finite number", edge)
        if i and edge <= edges[i - 1]:
            _fail(
                f"{where}.edges[{i}]", f"greater than the edge before it ({edges[i - 1]!r})", edge
            )
    return {"name": name, "edges": [float(e) for e in edges], "counts": list(counts)}


def _cluster_sizes(value: Any, where: str) -> dict[str, int] | None:
    if value is None:
        return None
    sizes = _mapping(value, where)
    for size in sizes:
        if not isinstance(size, str) or not size.isdigit() or int(size) < 1:
            _fail(where, "an object keyed by cluster sizes ('2', '3', ...)", size)
        _int_value(sizes[size], f"{where}[{size!r}]")
    return {str(int(size)): sizes[size] for size in sorted(sizes, key=int)}


def validate(stats: Any) -> RunStats:
    """Check ``stats`` against the schema of :mod:`thresher.report` and return it typed.

    Raises
    ------
    InvalidParameterError
        A field is missing or has the wrong type or value; ``parameter`` is its path.

    Examples
    --------
    >>> from thresher.report.schema import validate
    >>> try:
    ...     validate({"title": "t", "thresher_version": "0.1", "started": "yesterday"})
    ... except Exception as e:
    ...     print(e.parameter)
    stats.started
    """
    top = _mapping(stats, "stats")
    w = "stats"
    result: dict[str, Any] = {
        "title": _str(top, "title", w),
        "thresher_version": _str(top, "thresher_version", w),
        "started": _time(top, "started", w),
        "finished": _time(top, "finished", w),
        "seconds": _seconds(top, "seconds", w),
    }
    source = _mapping(_get(top, "input", w, "an object"), f"{w}.input")
    result["input"] = {
        "files": _files(source, "files", f"{w}.input"),
        "documents": _count(source, "documents", f"{w}.input"),
        "bytes": _count(source, "bytes", f"{w}.input"),
        "tokens": _int(source, "tokens", f"{w}.input", nullable=True),
    }
    steps = _get(top, "steps", w, "a list of steps")
    if not isinstance(steps, list):
        _fail(f"{w}.steps", "a list of steps", steps)
    result["steps"] = [_step(step, f"{w}.steps[{i}]") for i, step in enumerate(steps)]
    composition = _get(top, "composition", w, "an object or null")
    if composition is not None:
        at = f"{w}.composition"
        composition = _mapping(composition, at)
        composition = {
            "column": _str(composition, "column", at),
            "before": _labels(_get(composition, "before", at, "an object"), f"{at}.before"),
            "after": _labels(_get(composition, "after", at, "an object"), f"{at}.after"),
        }
    result["composition"] = composition
    histograms = _get(top, "histograms", w, "a list of histograms")
    if not isinstance(histograms, list):
        _fail(f"{w}.histograms", "a list of histograms", histograms)
    result["histograms"] = [_histogram(h, f"{w}.histograms[{i}]") for i, h in enumerate(histograms)]
    result["cluster_sizes"] = _cluster_sizes(
        _get(top, "cluster_sizes", w, "an object or null"), f"{w}.cluster_sizes"
    )
    output = _mapping(_get(top, "output", w, "an object"), f"{w}.output")
    result["output"] = {
        "documents": _count(output, "documents", f"{w}.output"),
        "bytes": _count(output, "bytes", f"{w}.output"),
        "tokens": _int(output, "tokens", f"{w}.output", nullable=True),
        "shards": _files(output, "shards", f"{w}.output"),
    }
    return cast(RunStats, result)
