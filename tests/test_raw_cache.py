"""The decoded copy of the raw corpus that fit() keeps for select(): same results,
invalidated when the files change, removed on release, never used for other data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import thresher


@pytest.fixture
def raw_copy(tmp_path: Path, raw_path: Path) -> Path:
    """A private copy of the raw fixture, so tests may modify it."""
    copy = tmp_path / "raw.jsonl"
    shutil.copy(raw_path, copy)
    return copy


def fitted(target_path: Path, raw: Path, cache: bool | str, cache_dir: Path) -> thresher.DSIR:
    return thresher.DSIR(num_buckets=2000).fit(
        target_path, raw, cache_raw=cache, cache_dir=str(cache_dir)
    )


def test_selection_from_the_cache_equals_selection_from_the_files(
    tmp_path: Path, target_path: Path, raw_copy: Path
) -> None:
    cached = fitted(target_path, raw_copy, True, tmp_path)
    spill = cached._cache.path
    assert spill is not None and os.path.getsize(spill) > 0
    plain = fitted(target_path, raw_copy, False, tmp_path)
    assert plain._cache.path is None
    a = cached.select(raw_copy, k=50, seed=3)
    b = plain.select(raw_copy, k=50, seed=3)
    assert a.table.equals(b.table)
    np.testing.assert_array_equal(cached.log_weights(raw_copy), plain.log_weights(raw_copy))


def test_changed_files_are_read_again(tmp_path: Path, target_path: Path, raw_copy: Path) -> None:
    dsir = fitted(target_path, raw_copy, True, tmp_path)
    before = dsir.log_weights(raw_copy)
    with open(raw_copy, "a", encoding="utf-8") as f:
        f.write('{"text": "one more document about postgresql vacuum", "domain": "x"}\n')
    after = dsir.log_weights(raw_copy)
    assert len(after) == len(before) + 1
    np.testing.assert_array_equal(after[:-1], before)


def test_release_and_garbage_collection_remove_the_copy(
    tmp_path: Path, target_path: Path, raw_copy: Path
) -> None:
    dsir = fitted(target_path, raw_copy, True, tmp_path)
    spill = dsir._cache.path
    assert spill is not None and os.path.exists(spill)
    dsir.release_cache()
    assert not os.path.exists(spill)
    assert dsir.select(raw_copy, k=5, seed=0).documents == 400

    dsir = fitted(target_path, raw_copy, True, tmp_path)
    spill = dsir._cache.path
    del dsir
    assert spill is not None and not os.path.exists(spill)


def test_no_copy_for_in_memory_data_nor_from_partial_fits(
    tmp_path: Path, target_path: Path, raw_copy: Path, raw_table: object
) -> None:
    assert fitted(target_path, raw_table, True, tmp_path)._cache.path is None  # type: ignore[arg-type]
    # 40 batches of 10: the fit stops long before the end, so the copy is incomplete.
    raw = thresher.read(raw_copy, batch_size=10)
    partial = thresher.DSIR(num_buckets=2000).fit(
        target_path, raw, num_tokens_to_fit=1000, cache_raw=True, cache_dir=str(tmp_path)
    )
    assert partial.fit_stats["raw"].documents < 20
    assert partial._cache.path is None
    selection = partial.select(raw_copy, k=5, seed=0)
    assert selection.documents == 400


def test_other_sources_are_not_served_from_the_cache(
    tmp_path: Path, target_path: Path, raw_copy: Path, target_records: list[dict[str, str]]
) -> None:
    dsir = fitted(target_path, raw_copy, True, tmp_path)
    other = dsir.log_weights(target_path)
    assert len(other) == len(target_records)
