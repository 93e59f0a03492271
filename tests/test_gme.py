"""GME: equal to a straightforward Python implementation of the formulas on random
tables (both selectors, binarised on and off, with ties), inputs, warnings, errors."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from hypothesis import given, settings
from hypothesis import strategies as st
from thresher.exceptions import EmptyInputError, InvalidParameterError, MissingFieldError


def reference_gme(
    rows: list[tuple[Any, ...]], selector: str, binarised: bool, n: int
) -> tuple[list[Any], list[list[float]]]:
    """The formulas, written plainly: recompute every entropy of S + d from scratch."""
    ncols = len(rows[0]) - 1
    items = sorted({r[0] for r in rows})
    utopia = [math.log(len({r[1 + j] for r in rows})) for j in range(ncols)]
    by_item: dict[Any, list[tuple[Any, ...]]] = {it: [] for it in items}
    for r in rows:
        by_item[r[0]].append(r)

    def entropies(selected: list[Any]) -> list[float]:
        out = []
        for j in range(ncols):
            counts: Counter[Any] = Counter()
            for s in selected:
                values = [r[1 + j] for r in by_item[s]]
                counts.update(set(values) if binarised else values)
            total = sum(counts.values())
            out.append(-sum(c / total * math.log(c / total) for c in counts.values()))
        return out

    chosen: list[Any] = []
    history = []
    remaining = list(items)
    for _ in range(min(n, len(items))):
        best, best_score = None, None
        for it in remaining:  # ascending ids: the first of equal scores wins
            h = entropies([*chosen, it])
            if selector == "dutopia":
                score = round(
                    math.sqrt(sum((a - u) ** 2 for a, u in zip(h, utopia, strict=True))), 5
                )
                better = best_score is None or score < best_score
            else:
                score = round(sum(h), 5)
                better = best_score is None or score > best_score
            if better:
                best, best_score = it, score
        chosen.append(best)
        remaining.remove(best)
        history.append(entropies(chosen))
    return chosen, history


tables = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "ab", "B"]),
        st.sampled_from(["x", "y", "z", "w"]),
        st.sampled_from([1, 2, 3]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=tables,
    selector=st.sampled_from(["dutopia", "sum"]),
    binarised=st.booleans(),
    two_columns=st.booleans(),
)
def test_equals_the_formulas(
    rows: list[tuple[str, str, int]], selector: str, binarised: bool, two_columns: bool
) -> None:
    if not two_columns:
        rows = [(r[0], r[1]) for r in rows]  # type: ignore[misc]
    on = ["e1", "e2"][: len(rows[0]) - 1]
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(["doc", *on])})
    n = len({r[0] for r in rows})
    expected, history = reference_gme(rows, selector, binarised, n)
    ranked = thresher.GME(selector, binarised=binarised).rank(table, item="doc", on=on, k=n)
    assert ranked.items == expected
    np.testing.assert_allclose(ranked.entropies, np.array(history), atol=1e-9)


def test_ties_go_to_the_smallest_id() -> None:
    # Every document has one distinct entity: all first steps tie.
    table = pa.table({"doc": ["b", "a", "c", "ab"], "entity": ["1", "2", "3", "4"]})
    ranked = thresher.GME().rank(table, item="doc", on=["entity"], k=4)
    assert ranked.items == ["a", "ab", "b", "c"]
    ints = pa.table({"doc": [10, 9, 100], "entity": ["x", "y", "z"]})
    assert thresher.GME("sum").rank(ints, item="doc", on=["entity"], k=3).items == [9, 10, 100]


def test_result_table_and_utopia() -> None:
    table = pa.table({"doc": ["d1", "d1", "d2"], "e": ["x", "y", "x"], "f": [1, 1, 2]})
    ranked = thresher.GME().rank(table, item="doc", on=["e", "f"], k=2)
    out = ranked.table
    assert out.column_names == ["rank", "item", "entropy_e", "entropy_f", "score"]
    assert out.column("rank").to_pylist() == [1, 2]
    np.testing.assert_allclose(ranked.utopia, [math.log(2), math.log(2)])
    d = np.sqrt(((ranked.entropies - ranked.utopia) ** 2).sum(1))
    np.testing.assert_allclose(ranked.scores, d)


def test_n_larger_than_items_is_capped_with_a_warning() -> None:
    table = pa.table({"doc": ["a", "b"], "e": ["x", "y"]})
    with pytest.warns(UserWarning, match="larger than the number of items"):
        ranked = thresher.GME().rank(table, item="doc", on=["e"], k=5)
    assert len(ranked.items) == 2


@pytest.mark.usefixtures("default_threads")
def test_approx_is_deterministic_and_complete() -> None:
    rng = np.random.default_rng(0)
    table = pa.table(
        {"doc": rng.integers(0, 300, 3000), "e": rng.integers(0, 50, 3000).astype(str)}
    )
    runs = []
    for threads in (1, 2):
        thresher.set_num_threads(threads)
        runs.append(thresher.GME(approx=20, seed=3).rank(table, item="doc", on=["e"], k=50))
        exact = thresher.GME().rank(table, item="doc", on=["e"], k=50)
        runs.append(exact)
    assert runs[0].items == runs[2].items and runs[1].items == runs[3].items
    assert len(set(runs[0].items)) == 50
    # Scoring only a sample cannot do better than scoring all at the first step.
    assert runs[1].scores[0] <= runs[0].scores[0]


def test_files_and_polars(tmp_path: Path) -> None:
    table = pa.table({"doc": ["a", "a", "b", "c"], "e": ["x", "y", "x", "z"]})
    pq.write_table(table, tmp_path / "rel.parquet")
    thresher.write_table(table, tmp_path / "rel.jsonl")
    expected = thresher.GME().rank(table, item="doc", on=["e"], k=3).items
    for source in (tmp_path / "rel.parquet", str(tmp_path / "rel.jsonl")):
        assert thresher.GME().rank(source, item="doc", on=["e"], k=3).items == expected
    polars = pytest.importorskip("polars")
    frame = polars.from_arrow(table)
    assert thresher.GME().rank(frame, item="doc", on=["e"], k=3).items == expected


def test_bad_input() -> None:
    table = pa.table({"doc": ["a", None], "e": ["x", "y"]})
    with pytest.raises(MissingFieldError) as e:
        thresher.GME().rank(table, item="doc", on=["e"], k=1)
    assert e.value.row == 1 and e.value.field == "doc"
    ok = pa.table({"doc": ["a"], "e": ["x"]})
    with pytest.raises(MissingFieldError) as e:
        thresher.GME().rank(ok, item="doc", on=["entity"], k=1)
    assert e.value.field == "entity"
    with pytest.raises(MissingFieldError):
        thresher.GME().rank(ok, item="id", on=["e"], k=1)
    with pytest.raises(EmptyInputError):
        thresher.GME().rank(ok.slice(0, 0), item="doc", on=["e"], k=1)
    for kwargs in ({"on": []}, {"on": ["doc"]}, {"on": ["e"], "k": 0}):
        with pytest.raises(InvalidParameterError):
            thresher.GME().rank(ok, item="doc", **{"on": ["e"], "k": 1, **kwargs})
    with pytest.raises(InvalidParameterError):
        thresher.GME("max")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        thresher.GME(approx=0)


def test_rank_old_keyword_n_warns():
    table = pa.table({"doc": ["a", "b", "c"], "e": ["x", "y", "x"]})
    expected = thresher.GME().rank(table, item="doc", on=["e"], k=2).items
    with pytest.warns(DeprecationWarning, match="'n' is deprecated: use 'k'"):
        assert thresher.GME().rank(table, item="doc", on=["e"], n=2).items == expected


def test_rank_old_keyword_table_warns():
    table = pa.table({"doc": ["a", "b", "c"], "e": ["x", "y", "x"]})
    expected = thresher.GME().rank(table, item="doc", on=["e"], k=2).items
    with pytest.warns(DeprecationWarning, match="'table' is deprecated: use 'source'"):
        assert thresher.GME().rank(table=table, item="doc", on=["e"], k=2).items == expected
