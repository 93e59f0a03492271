"""A run-statistics dict that does not follow the schema of thresher.report is refused
with an InvalidParameterError naming the field's path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from report_stats import stats
from thresher.exceptions import InvalidParameterError
from thresher.report import render, validate


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(s: dict[str, Any]) -> None:
        obj: Any = s
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(s: dict[str, Any]) -> None:
        obj: Any = s
        for key in path[:-1]:
            obj = obj[key]
        del obj[path[-1]]

    return change


CASES = [
    (_delete(["title"]), "stats.title", "must be present"),
    (_set(["thresher_version"], 1), "stats.thresher_version", "must be a string"),
    (_set(["started"], "at noon"), "stats.started", "ISO 8601"),
    (_set(["seconds"], -1), "stats.seconds", ">= 0"),
    (_set(["seconds"], float("nan")), "stats.seconds", ">= 0"),
    (_set(["input", "documents"], "3.4M"), "stats.input.documents", "an integer >= 0"),
    (_set(["input", "bytes"], True), "stats.input.bytes", "an integer >= 0"),
    (_set(["input", "tokens"], 1.5), "stats.input.tokens", "or null"),
    (_set(["input", "files"], "a.jsonl"), "stats.input.files", "a list"),
    (_set(["input", "files", 1], {"bytes": 3}), "stats.input.files[1].path", "present"),
    (_set(["steps"], {}), "stats.steps", "a list of steps"),
    (_delete(["steps", 1, "documents_out"]), "stats.steps[1].documents_out", "present"),
    (_set(["steps", 2, "tokens_out"], -5), "stats.steps[2].tokens_out", "or null"),
    (_set(["steps", 0, "name"], None), "stats.steps[0].name", "a string"),
    (_set(["steps", 0], 3), "stats.steps[0]", "an object"),
    (_set(["composition", "before", "web"], 2.5), "stats.composition.before['web']", ">= 0"),
    (_delete(["composition", "column"]), "stats.composition.column", "present"),
    (_set(["histograms", 0, "edges"], [0, 1]), "stats.histograms[0].edges", "a list of 7"),
    (
        _set(["histograms", 0, "edges"], [0, 1, 2, 2, 3, 4, 5]),
        "stats.histograms[0].edges[3]",
        "greater than",
    ),
    (_set(["histograms", 1, "counts"], []), "stats.histograms[1].counts", "non-empty"),
    (_set(["histograms", 1, "counts", 2], -1), "stats.histograms[1].counts[2]", ">= 0"),
    (_set(["cluster_sizes"], {"two": 3}), "stats.cluster_sizes", "keyed by cluster sizes"),
    (_set(["cluster_sizes", "2"], None), "stats.cluster_sizes['2']", ">= 0"),
    (_delete(["output", "shards"]), "stats.output.shards", "present"),
    (_set(["output", "shards", 0, "rows"], "many"), "stats.output.shards[0].rows", ">= 0"),
]


@pytest.mark.parametrize(("change", "field", "message"), CASES, ids=[c[1] for c in CASES])
def test_a_wrong_field_is_named(
    change: Callable[[dict[str, Any]], None], field: str, message: str
) -> None:
    s = stats()
    change(s)
    with pytest.raises(InvalidParameterError) as info:
        render(s)
    assert info.value.parameter == field and info.value.field == field
    assert str(info.value).startswith(f"invalid {field}: must be")
    assert message in str(info.value)


def test_not_a_dict() -> None:
    with pytest.raises(InvalidParameterError, match="invalid stats: must be an object"):
        validate([1, 2])


def test_nulls_where_allowed_and_unknown_keys_are_accepted() -> None:
    s = stats()
    s["composition"] = None
    s["cluster_sizes"] = None
    s["input"]["tokens"] = None
    s["output"]["tokens"] = None
    s["input"]["files"] = ["a.jsonl", "b.jsonl"]
    s["a_field_from_a_newer_pipeline"] = {"x": 1}
    checked = validate(s)
    assert checked["composition"] is None and checked["input"]["files"] == ["a.jsonl", "b.jsonl"]
    assert "a_field_from_a_newer_pipeline" not in checked


def test_cluster_sizes_are_ordered_by_size() -> None:
    s = stats()
    s["cluster_sizes"] = {"10": 1, "2": 5, "3": 2}
    assert list(validate(s)["cluster_sizes"] or {}) == ["2", "3", "10"]
