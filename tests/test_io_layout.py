"""thresher.io is the home of sources, writers, the spill and labelled-array loading;
the old module paths keep working, and a missing output directory is a WriteError."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from thresher.exceptions import ReadError, ThresherError, WriteError
from thresher.io import load_labelled, write_table
from thresher.io.writers import atomic_path

# Every name other modules import from the old paths, private ones included
# (code written against the old modules may use them).
OLD_NAMES = {
    "sources": [
        "DEFAULT_BATCH_SIZE",
        "FileSource",
        "Source",
        "SourceLike",
        "_check_text_field",
        "_expand",
        "_hf_table",
        "_parquet_batches",
        "_parquet_schema",
        "call_kernel",
        "file_format",
        "read",
    ],
    "writers": ["atomic_path", "write_table"],
    "spill": ["CachePolicy", "RawCache"],
}


@pytest.mark.parametrize("module", sorted(OLD_NAMES))
def test_old_module_paths_give_the_same_objects(module: str) -> None:
    old = importlib.import_module(f"thresher.{module}")
    new = importlib.import_module(f"thresher.io.{module}")
    for name in OLD_NAMES[module]:
        assert getattr(old, name) is getattr(new, name), name


@pytest.mark.parametrize("name", ["out.parquet", "out.jsonl", "out.jsonl.zst"])
def test_a_missing_output_directory_is_a_write_error(tmp_path: Path, name: str) -> None:
    out = tmp_path / "no" / "such" / name
    with pytest.raises(WriteError, match="does not exist") as info:
        write_table(pa.table({"text": ["a"]}), out)
    assert isinstance(info.value, ThresherError) and isinstance(info.value, OSError)
    assert not isinstance(info.value, ReadError)
    assert info.value.path == str(out)
    assert not (tmp_path / "no").exists()


def test_atomic_path_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(WriteError), atomic_path(tmp_path / "gone" / "x.npy"):
        pass


def test_load_labelled_lives_in_io(tmp_path: Path) -> None:
    x, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 1])
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    got_x, got_y = load_labelled(str(tmp_path / "x.npy"), str(tmp_path / "y.npy"))
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)
    with pytest.raises(ReadError, match="no such file"):
        load_labelled(str(tmp_path / "absent.npz"))


def test_the_old_cli_value_name_warns_and_works() -> None:
    import thresher.cli_value

    with pytest.warns(DeprecationWarning, match="thresher.io.load_labelled"):
        old = thresher.cli_value.load_labelled
    assert old is load_labelled
