"""Selections depend only on the data, the model and the seed: not on the thread count,
the batch size or how rows are split into files; a saved model reloads exactly."""

from __future__ import annotations

import gc
import io
import itertools
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import thresher
from thresher.exceptions import ModelFileError, ReadError, ThresherError


def selection_key(sel: thresher.Selection) -> tuple[list[int], list[float], list[str]]:
    return (sel.rows.tolist(), sel.log_weights.tolist(), sel.table.column("text").to_pylist())


def assert_same_selection(a: thresher.Selection, b: thresher.Selection) -> None:
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.log_weights, b.log_weights)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert a.table.equals(b.table)
    assert a.kl_reduction == b.kl_reduction
    assert (a.documents, a.eligible) == (b.documents, b.eligible)


# ---------------------------------------------------------------- threads
def test_thread_count_does_not_change_fit_weights_or_selection(
    target_path: Path, raw_path: Path, default_threads: None
) -> None:
    results = {}
    for threads in (1, 2):
        thresher.set_num_threads(threads)
        assert thresher.get_num_threads() == threads
        dsir = thresher.DSIR(num_buckets=2000).fit(target_path, raw_path)
        results[threads] = (
            dsir.log_diff,
            dsir.log_weights(raw_path),
            dsir.select(raw_path, k=50, seed=9),
            dsir.select(raw_path, k=50, method="top_k", normalize="per_token"),
        )
    one, two = results[1], results[2]
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert_same_selection(one[2], two[2])
    assert_same_selection(one[3], two[3])


# ---------------------------------------------------------------- batches
@pytest.mark.parametrize("batch_size", [1, 7, 100, 8192])
def test_batch_size_does_not_change_selection(
    batch_size: int, raw_path: Path, small_dsir: thresher.DSIR
) -> None:
    reference = small_dsir.select(thresher.read(raw_path, batch_size=8192), k=30, seed=4)
    got = small_dsir.select(thresher.read(raw_path, batch_size=batch_size), k=30, seed=4)
    assert_same_selection(got, reference)


@pytest.mark.parametrize("batch_size", [7, 100])
def test_batch_size_does_not_change_fit_or_weights(
    batch_size: int,
    raw_path: Path,
    target_path: Path,
    small_dsir: thresher.DSIR,
    small_log_weights: np.ndarray,
) -> None:
    dsir = thresher.DSIR(num_buckets=1000).fit(
        thresher.read(target_path, batch_size=batch_size),
        thresher.read(raw_path, batch_size=batch_size),
    )
    np.testing.assert_array_equal(dsir.log_diff, small_dsir.log_diff)
    assert dsir.fit_stats == small_dsir.fit_stats
    weights = dsir.log_weights(thresher.read(raw_path, batch_size=batch_size))
    np.testing.assert_array_equal(weights, small_log_weights)


@pytest.mark.parametrize("batch_size", [3, 7, 100, 8192])
def test_batch_size_does_not_change_where_num_tokens_to_fit_stops(
    batch_size: int, raw_path: Path, target_path: Path
) -> None:
    def fit(size: int) -> thresher.DSIR:
        return thresher.DSIR(num_buckets=500).fit(
            target_path, thresher.read(raw_path, batch_size=size), num_tokens_to_fit=50_000
        )

    reference, got = fit(1), fit(batch_size)
    assert got.fit_stats["raw"] == reference.fit_stats["raw"]
    np.testing.assert_array_equal(got.log_diff, reference.log_diff)


def test_row_batches_of_a_table_do_not_change_selection(
    raw_table: Any, small_dsir: thresher.DSIR
) -> None:
    import pyarrow as pa

    reference = small_dsir.select(raw_table, k=30, seed=4)
    for size in (1, 13, 256):
        batches = raw_table.to_batches(max_chunksize=size)
        got = small_dsir.select(pa.Table.from_batches(batches), k=30, seed=4)
        np.testing.assert_array_equal(got.rows, reference.rows)
        np.testing.assert_array_equal(got.log_weights, reference.log_weights)


# ---------------------------------------------------------------- files
def test_rows_split_across_three_files_select_the_same(
    write_corpus: Callable[[Any, str], Path],
    raw_records: list[dict[str, Any]],
    raw_path: Path,
    small_dsir: thresher.DSIR,
) -> None:
    cuts = [0, 133, 134, 400]  # the middle file holds a single row
    paths = [
        write_corpus(raw_records[a:b], f"part-{i}.jsonl.zst")
        for i, (a, b) in enumerate(itertools.pairwise(cuts))
    ]
    for seed in (0, 1, 2):
        single = small_dsir.select(raw_path, k=60, seed=seed)
        split = small_dsir.select(paths, k=60, seed=seed)
        assert selection_key(split) == selection_key(single)
        assert split.table.column("dsir_row").to_pylist() == single.rows.tolist()


def test_fit_on_split_files_equals_fit_on_one_file(
    write_corpus: Callable[[Any, str], Path],
    raw_records: list[dict[str, Any]],
    target_path: Path,
    small_dsir: thresher.DSIR,
) -> None:
    paths = [write_corpus(raw_records[a : a + 100], f"p{a:03d}.jsonl") for a in range(0, 400, 100)]
    dsir = thresher.DSIR(num_buckets=1000).fit(target_path, str(paths[0].parent / "p*.jsonl"))
    np.testing.assert_array_equal(dsir.log_diff, small_dsir.log_diff)
    assert dsir.fit_stats == small_dsir.fit_stats


# ---------------------------------------------------------------- seeds
def test_same_seed_same_selection(raw_path: Path, small_dsir: thresher.DSIR) -> None:
    assert_same_selection(
        small_dsir.select(raw_path, k=40, seed=123), small_dsir.select(raw_path, k=40, seed=123)
    )


def test_different_seeds_give_different_selections(
    raw_path: Path, small_dsir: thresher.DSIR
) -> None:
    seeds = [0, 1, 2, 3, 2**63, 2**64 - 1]
    selections = {tuple(small_dsir.select(raw_path, k=40, seed=s).rows.tolist()) for s in seeds}
    assert len(selections) == len(seeds)


def test_top_k_ignores_the_seed(raw_path: Path, small_dsir: thresher.DSIR) -> None:
    a = small_dsir.select(raw_path, k=40, seed=0, method="top_k")
    b = small_dsir.select(raw_path, k=40, seed=99, method="top_k")
    assert_same_selection(a, b)


def test_selection_rows_are_sorted_and_unique(raw_path: Path, small_dsir: thresher.DSIR) -> None:
    sel = small_dsir.select(raw_path, k=100, seed=5)
    assert np.all(np.diff(sel.rows.astype(np.int64)) > 0)


# ---------------------------------------------------------------- save / load
@pytest.fixture
def saved_model(tmp_path: Path, small_dsir: thresher.DSIR) -> Path:
    return small_dsir.save(tmp_path / "model.npz")


def test_save_load_round_trip_gives_identical_results(
    saved_model: Path, raw_path: Path, small_dsir: thresher.DSIR, small_log_weights: np.ndarray
) -> None:
    loaded = thresher.DSIR.load(saved_model)
    np.testing.assert_array_equal(loaded.log_diff, small_dsir.log_diff)
    np.testing.assert_array_equal(loaded.log_weights(raw_path), small_log_weights)
    assert_same_selection(
        loaded.select(raw_path, k=25, seed=8), small_dsir.select(raw_path, k=25, seed=8)
    )
    assert loaded.fit_stats == small_dsir.fit_stats
    assert loaded.target_names == small_dsir.target_names
    assert (loaded.ngrams, loaded.num_buckets, loaded.hash) == (2, 1000, "xxh3")
    assert loaded.kl_reduction(raw_path) == pytest.approx(
        small_dsir.kl_reduction(raw_path), abs=1e-15
    )


def test_save_load_keeps_compat_and_several_targets(
    tmp_path: Path, target_path: Path, raw_path: Path, raw_table: Any
) -> None:
    other = raw_table.filter(np.array(raw_table.column("domain").to_pylist()) == "java")
    dsir = thresher.DSIR(compat="data-selection", num_buckets=3000).fit(
        {"pg": target_path, "java": other}, raw_path
    )
    loaded = thresher.DSIR.load(dsir.save(tmp_path / "m.npz"))
    assert loaded.compat == "data-selection"
    assert (loaded.hash, loaded.epsilon, loaded.raw_smoothing) == ("sha256", 1e-8, 0.0)
    assert loaded.target_names == ["pg", "java"]
    np.testing.assert_array_equal(loaded.log_weights(raw_path), dsir.log_weights(raw_path))
    assert_same_selection(
        loaded.select(raw_path, k=20, seed=1), dsir.select(raw_path, k=20, seed=1)
    )


def test_saved_model_loads_without_pickle(saved_model: Path, small_dsir: thresher.DSIR) -> None:
    with np.load(saved_model, allow_pickle=False) as data:
        assert set(data.files) == {"header", "target_counts", "raw_counts"}
        header = json.loads(str(data["header"]))
        assert header["format"] == "thresher.dsir"
        assert header["version"] == 1
        assert data["target_counts"].dtype == np.uint64
        assert data["target_counts"].shape == (1, 1000)
        assert data["raw_counts"].shape == (1000,)
        assert int(data["raw_counts"].sum()) == small_dsir.fit_stats["raw"].features


def test_save_leaves_no_temporary_file(saved_model: Path) -> None:
    assert sorted(p.name for p in saved_model.parent.iterdir()) == ["model.npz"]


def _rewrite(path: Path, **arrays: Any) -> Path:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _arrays(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _with_header(path: Path, **changes: Any) -> Path:
    arrays = _arrays(path)
    header = json.loads(str(arrays["header"]))
    header.update(changes)
    arrays["header"] = np.array(json.dumps(header))
    return _rewrite(path, **arrays)


def load_failure(path: Path) -> tuple[type[BaseException] | None, str, str | None, list[str]]:
    """Try DSIR.load(path); return the error's type, message and ``path`` attribute,
    and the ResourceWarnings (leaked file handles) seen once the error is dropped."""
    kind: type[BaseException] | None = None
    message, where = "", None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            thresher.DSIR.load(path)
        except Exception as e:  # the error is inspected below, after it is released
            kind, message, where = type(e), str(e), getattr(e, "path", None)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return kind, message, where, leaks


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(
            lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), id="truncated"
        ),
        pytest.param(lambda p: p.write_bytes(b"\x00" * 100), id="zeros"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: _rewrite(p, weights=np.arange(3)), id="other npz"),
        pytest.param(
            lambda p: (
                np.save(p.with_suffix(".npy"), np.arange(3))
                or p.write_bytes(p.with_suffix(".npy").read_bytes())
            ),
            id="npy not npz",
        ),
        pytest.param(
            lambda p: _rewrite(
                p,
                header=np.array([{"format": "thresher.dsir"}], dtype=object),
                target_counts=np.zeros((1, 10)),
                raw_counts=np.zeros(10),
            ),
            id="pickled header",
        ),
        pytest.param(lambda p: _with_header(p, version=2), id="version 2"),
        pytest.param(lambda p: _with_header(p, version="1"), id="version as string"),
        pytest.param(lambda p: _with_header(p, format="something.else"), id="other format"),
        pytest.param(lambda p: _with_header(p, num_buckets=999), id="shape mismatch"),
        pytest.param(
            lambda p: _rewrite(p, **{**_arrays(p), "header": np.array("{not json")}), id="bad json"
        ),
    ],
)
def test_corrupt_model_file_is_a_model_file_error(saved_model: Path, corrupt: Any) -> None:
    corrupt(saved_model)
    kind, message, where, leaks = load_failure(saved_model)
    assert kind is ModelFileError, f"{kind.__name__ if kind else 'no error'}: {message}"
    assert where == str(saved_model)
    assert str(saved_model) in message
    assert leaks == []


def test_wrong_format_version_says_which_versions(saved_model: Path) -> None:
    _with_header(saved_model, version=7)
    with pytest.raises(ModelFileError, match=r"version 7 is not supported"):
        thresher.DSIR.load(saved_model)


def test_zip_with_foreign_members_is_a_model_file_error(saved_model: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("header.npy", b"garbage, not an npy array")
    saved_model.write_bytes(buffer.getvalue())
    kind, message, _, leaks = load_failure(saved_model)
    assert kind is ModelFileError, message
    assert leaks == []


def test_missing_model_file_is_a_thresher_read_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.npz"
    kind, message, _, _ = load_failure(missing)
    assert kind is not None and issubclass(kind, ThresherError), f"{kind}: {message}"
    assert issubclass(kind, ReadError) and issubclass(kind, OSError)
    assert str(missing) in message
