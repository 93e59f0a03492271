"""Sampling API: determinism, input kinds, allocations by hand, schedules, bad input."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from corpus_helpers import load_records, write_records
from thresher import sample
from thresher.exceptions import (
    EmptyInputError,
    InvalidParameterError,
    MissingFieldError,
    ParseError,
    ThresherError,
)


@pytest.fixture
def threads() -> Iterator[None]:
    yield
    thresher.set_num_threads(0)


# ------------------------------------------------------------------ determinism
def test_weighted_is_identical_whatever_the_thread_count(threads: None) -> None:
    weights = np.random.default_rng(0).pareto(1.2, 3_000_000)
    results = []
    for n in (1, 2, 3):
        thresher.set_num_threads(n)
        results.append(sample.weighted(weights, 5000, seed=9))
        results.append(sample.weighted(weights, 300, replace=True, seed=9))
        results.append(sample.stratified(weights.astype(np.int64) % 17, frac=0.01, seed=9))
    for a, b in zip(results[:3], results[3:6], strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(results[:3], results[6:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_and_float64_weights_agree() -> None:
    w = np.random.default_rng(1).random(10_000).astype(np.float32)
    np.testing.assert_array_equal(
        sample.weighted(w, 100, seed=2), sample.weighted(w.astype(np.float64), 100, seed=2)
    )


def test_weights_from_arrow_polars_and_lists() -> None:
    w = [0.5, 2.0, 0.0, 1.0, 3.0]
    expected = sample.weighted(np.array(w), 3, seed=4)
    for other in (pa.array(w), pa.chunked_array([w[:2], w[2:]]), pl.Series(w).to_numpy(), w):
        np.testing.assert_array_equal(sample.weighted(other, 3, seed=4), expected)
    # Integer weights are accepted (converted to float64).
    np.testing.assert_array_equal(
        sample.weighted(np.array([1, 0, 3]), 2, seed=0), sample.weighted([1.0, 0.0, 3.0], 2)
    )


def test_reservoir_ignores_batching_and_file_boundaries(tmp_path: Path, raw_path: Path) -> None:
    records = load_records(raw_path)
    table = pa.Table.from_pylist(records)
    expected = sample.reservoir(table, 25, seed=3)
    split = [
        write_records(records[:150], tmp_path / "a.jsonl"),
        write_records(records[150:], tmp_path / "b.jsonl.zst"),
    ]
    from_files = sample.reservoir([str(p) for p in split], 25, seed=3)
    assert from_files.column("row").to_pylist() == expected.column("row").to_pylist()
    assert from_files.column("text").to_pylist() == expected.column("text").to_pylist()
    rebatched = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7))
    assert sample.reservoir(rebatched, 25, seed=3).equals(expected)
    # The rows are the rows at the reported positions.
    texts = table.column("text").to_pylist()
    assert [texts[i] for i in expected.column("row").to_pylist()] == expected.column(
        "text"
    ).to_pylist()


def test_weighted_reservoir_of_a_polars_frame() -> None:
    frame = pl.DataFrame({"text": ["a", "b", "c", "d"], "w": [0.0, 1.0, 0.0, 2.0]})
    rows = sample.reservoir(frame, 2, weight_column="w", seed=1)
    assert sorted(rows.column("text").to_pylist()) == ["b", "d"]


def test_stratified_rows_takes_the_rows_of_stratified(raw_path: Path) -> None:
    table = pa.Table.from_pylist(load_records(raw_path))
    out = sample.stratified_rows(raw_path, "domain", 40, allocation="equal", seed=5)
    expected_rows = sample.stratified(table.column("domain"), 40, allocation="equal", seed=5)
    assert out.column("row").to_pylist() == expected_rows.tolist()
    assert out.column("text").to_pylist() == table.take(expected_rows).column("text").to_pylist()


# ------------------------------------------------------------ hand-computed values
def test_allocations_by_hand() -> None:
    sizes = {"a": 500, "b": 300, "c": 200}
    assert sample.allocate(sizes, 10) == {"a": 5, "b": 3, "c": 2}
    assert sample.allocate(sizes, frac=0.011) == {"a": 6, "b": 3, "c": 2}
    # Equal allocation caps the small group and shares the rest.
    assert sample.allocate({"a": 2, "b": 100, "c": 100}, 30, allocation="equal") == {
        "a": 2,
        "b": 14,
        "c": 14,
    }
    # Neyman: n_h proportional to N_h S_h = 500, 600, 800 -> 5.26, 6.32, 8.42 of 20.
    spread = {"a": 1.0, "b": 2.0, "c": 4.0}
    assert sample.allocate(sizes, 20, allocation="neyman", spread=spread) == {
        "a": 5,
        "b": 6,
        "c": 9,
    }
    assert sample.allocate(sizes, allocation={"a": 1, "c": 2}) == {"a": 1, "b": 0, "c": 2}


def test_temperature_and_unimax_by_the_papers_definitions() -> None:
    sizes = {"en": 1000.0, "fr": 100.0, "sw": 10.0}
    p = sample.mixture(sizes, temperature=3.0)
    roots = {g: n ** (1 / 3) for g, n in sizes.items()}
    for g in sizes:
        assert p[g] == pytest.approx(roots[g] / sum(roots.values()), rel=1e-12)
    proportional = {"en": 1000 / 1110, "fr": 100 / 1110, "sw": 10 / 1110}
    assert sample.mixture(sizes) == pytest.approx(proportional)
    # UniMax, budget 900, 4 epochs: sw gets min(300, 40) = 40; fr min(430, 400) = 400;
    # en the remaining 460.
    assert sample.unimax(sizes, 900, max_epochs=4) == {"en": 460.0, "fr": 400.0, "sw": 40.0}
    assert sample.mixture(sizes, budget=900, max_epochs=4) == pytest.approx(
        {"en": 460 / 900, "fr": 400 / 900, "sw": 40 / 900}
    )


def test_cooldown_schedule_lowers_the_temperature() -> None:
    sizes = [900.0, 100.0]
    s = sample.CooldownSchedule(
        sizes, total_steps=100, start_temperature=4.0, end_temperature=1.0, cooldown_start=0.5
    )
    assert s.temperature(0) == s.temperature(49) == 4.0
    assert s.temperature(75) == pytest.approx(2.5)
    assert s.temperature(100) == 1.0
    small = [s.weights(step)[1] for step in range(0, 101, 10)]
    assert small[0] == pytest.approx(100**0.25 / (900**0.25 + 100**0.25))
    assert small[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in itertools.pairwise(small))
    cosine = sample.CooldownSchedule(sizes, total_steps=100, shape="cosine", cooldown_start=0.0)
    assert cosine.temperature(50) == pytest.approx(3.0)


def test_domain_upsampling_changes_the_mixture_for_the_last_steps() -> None:
    s = sample.DomainUpsampling(
        {"web": 0.8, "code": 0.1, "math": 0.1},
        total_steps=1000,
        upsample={"math": 4.0, "code": 2.0},
        start=0.9,
    )
    assert s.weights(899) == pytest.approx({"web": 0.8, "code": 0.1, "math": 0.1})
    assert s.weights(900) == pytest.approx({"web": 0.8 / 1.4, "code": 0.2 / 1.4, "math": 0.4 / 1.4})
    end = sample.DomainUpsampling(
        {"web": 3, "math": 1}, total_steps=10, end_weights={"math": 1.0}, start=0.5
    )
    assert end.weights(5) == {"web": 0.0, "math": 1.0}


def test_rs2_sampler_set_epoch_and_torch() -> None:
    sampler = sample.RS2Sampler(list(range(50)), fraction=0.2, seed=1)
    first = [list(sampler) for _ in range(8)]
    assert all(len(e) == 10 == len(set(e)) for e in first)
    sampler.set_epoch(6)
    assert list(sampler) == first[6]
    assert sampler.indices(2).tolist() == first[2]
    torch = pytest.importorskip("torch")
    loader = torch.utils.data.DataLoader(
        list(range(50)), batch_size=5, sampler=sample.RS2Sampler(50, k=10, seed=1)
    )
    assert sorted(torch.cat(list(loader)).tolist()) == sorted(first[0])


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -2.0, 3.0], "weights[1] is negative"),
        ([1.0, float("nan")], "weights[1] is NaN"),
        ([float("inf"), 1.0], "weights[0] is infinite"),
    ],
)
@pytest.mark.parametrize("replace", [False, True])
def test_bad_weights(weights: list[float], message: str, replace: bool) -> None:
    with pytest.raises(InvalidParameterError, match=message.replace("[", r"\[")):
        sample.weighted(np.array(weights), 1, replace=replace)


def test_bad_counts_and_shapes() -> None:
    with pytest.raises(InvalidParameterError, match="all weights are zero"):
        sample.weighted(np.zeros(4), 1, replace=True)
    with pytest.raises(InvalidParameterError, match="only 0 weights are positive"):
        sample.weighted(np.zeros(4), 1)
    with pytest.raises(InvalidParameterError, match="only 2 weights are positive"):
        sample.weighted(np.array([1.0, 0.0, 2.0]), 3)
    with pytest.raises(InvalidParameterError, match="k: must be an integer >= 0"):
        sample.weighted(np.ones(3), -1)
    with pytest.raises(InvalidParameterError, match="k: must be an integer >= 0"):
        sample.uniform(10, -1)
    with pytest.raises(InvalidParameterError, match="only 10 items exist"):
        sample.uniform(10, 11)
    with pytest.raises(EmptyInputError):
        sample.weighted(np.array([]), 0)
    with pytest.raises(InvalidParameterError, match="must be 1-D"):
        sample.weighted(np.ones((2, 2)), 1)
    with pytest.raises(InvalidParameterError, match=r"weights\[1\] is null"):
        sample.weighted(pa.array([1.0, None]), 1)
    with pytest.raises(InvalidParameterError, match="seed"):
        sample.uniform(10, 1, seed=-1)


def test_bad_stratified_input() -> None:
    with pytest.raises(InvalidParameterError, match="3 weights for 2 rows"):
        sample.stratified(np.array([0, 1]), 1, weights=np.ones(3))
    with pytest.raises(EmptyInputError):
        sample.stratified(np.array([], dtype=np.int64), 0)
    with pytest.raises(InvalidParameterError, match=r"groups\[1\] is null"):
        sample.stratified(pa.array(["a", None]), 1)
    with pytest.raises(InvalidParameterError, match="exactly one of k and frac"):
        sample.stratified(np.array([0, 1]))
    with pytest.raises(InvalidParameterError, match="hold only 2"):
        sample.stratified(np.array([0, 1]), 3)
    with pytest.raises(InvalidParameterError, match="group 'a' holds 1 items but 2"):
        sample.stratified(np.array(["a", "b"]), allocation={"a": 2})
    with pytest.raises(InvalidParameterError, match="spread"):
        sample.stratified(np.array([0, 1]), 1, allocation="neyman")


def test_bad_mixtures() -> None:
    for t in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(InvalidParameterError, match="temperature"):
            sample.mixture([1.0, 2.0], temperature=t)
    with pytest.raises(InvalidParameterError, match="all groups are empty"):
        sample.mixture([0.0, 0.0])
    with pytest.raises(InvalidParameterError, match=r"sizes\[1\] is -1"):
        sample.mixture([1.0, -1.0])
    with pytest.raises(EmptyInputError):
        sample.mixture([])
    with pytest.raises(InvalidParameterError, match="max_epochs"):
        sample.unimax([1.0], 10, max_epochs=0)
    with pytest.raises(InvalidParameterError, match="start_temperature"):
        sample.CooldownSchedule([1.0], total_steps=10, start_temperature=0)
    with pytest.raises(InvalidParameterError, match="unknown domains"):
        sample.DomainUpsampling({"a": 1.0}, total_steps=10, upsample={"b": 2.0})


def test_bad_streams_name_the_row(tmp_path: Path) -> None:
    table = pa.table({"w": [1.0, 2.0, -1.0, 4.0]})
    with pytest.raises(ParseError, match="row 2") as err:
        sample.reservoir(table, 1, weight_column="w")
    assert err.value.row == 2  # type: ignore[attr-defined]
    with pytest.raises(MissingFieldError, match=r"nope"):
        sample.reservoir(table, 1, weight_column="nope")
    with pytest.raises(MissingFieldError, match="row 1"):
        sample.reservoir(pa.table({"w": [1.0, None]}), 1, weight_column="w")
    with pytest.raises(InvalidParameterError, match="only 4 rows exist"):
        sample.reservoir(table, 5)
    with pytest.raises(EmptyInputError):
        sample.reservoir(pa.table({"w": pa.array([], pa.float64())}), 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "w": 1}\n{"text": "b", "w": oops}\n')
    with pytest.raises(ParseError, match=r"bad\.jsonl:2"):
        sample.reservoir(bad, 1, weight_column="w")
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    with pytest.raises(ThresherError, match="twice"):
        sample.stratified_rows(reader, "w", 1)


# ----------------------------------------------------------------------------- CLI
def test_cli_reservoir_and_stratified(tmp_path: Path, raw_path: Path) -> None:
    from thresher.cli import main

    out = tmp_path / "sample.parquet"
    assert main(["sample", str(raw_path), "-k", "30", "--out", str(out), "--quiet"]) == 0
    table = pq.read_table(out)
    expected = sample.reservoir(raw_path, 30, seed=0)
    assert table.column("row").to_pylist() == expected.column("row").to_pylist()

    out = tmp_path / "strata.jsonl"
    args = ["sample", str(raw_path), "--frac", "0.1", "--by", "domain", "--seed", "3"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    rows = [r["row"] for r in load_records(out)]
    groups = pa.Table.from_pylist(load_records(raw_path)).column("domain")
    assert rows == sample.stratified(groups, frac=0.1, seed=3).tolist()


def test_cli_bad_column_writes_nothing(
    tmp_path: Path, raw_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thresher.cli import main

    out = tmp_path / "sample.parquet"
    code = main(["sample", str(raw_path), "-k", "3", "--weight-column", "nope", "--out", str(out)])
    assert code == 2
    assert "nope" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_allocation_vocabulary_is_shared() -> None:
    sizes = {"a": 5, "b": 40, "c": 40}
    with pytest.warns(DeprecationWarning, match="allocation='uniform' is deprecated"):
        assert sample.allocate(sizes, 20, allocation="uniform") == sample.allocate(
            sizes, 20, allocation="equal"
        )
    with pytest.raises(InvalidParameterError, match="'neyman' or a mapping, got 'temperature'"):
        sample.allocate(sizes, 20, allocation="temperature")  # type: ignore[arg-type]


def test_rs2_old_keyword_num_samples_warns() -> None:
    with pytest.warns(DeprecationWarning, match="'num_samples' is deprecated: use 'k'"):
        old = sample.RS2Sampler(10, num_samples=4, seed=0)
    new = sample.RS2Sampler(10, k=4, seed=0)
    assert (old.k, old.num_samples, list(old)) == (4, 4, list(new))
    with pytest.raises(InvalidParameterError, match="give k only"):
        sample.RS2Sampler(10, k=4, num_samples=4)
