"""Shared fixtures: the paths of the real-text fixtures in tests/data, writers of small
temporary corpora in every supported format, and a small fitted DSIR model."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import thresher

# Test modules import shared helpers from tests/corpus_helpers.py.
sys.path.insert(0, str(Path(__file__).parent))

from corpus_helpers import Records, load_records, write_records

DATA = Path(__file__).parent / "data"


# ---------------------------------------------------------------- fixture files
@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def raw_path() -> Path:
    """400 real documentation sections (text/domain/source), 16 of them PostgreSQL."""
    return DATA / "raw_small.jsonl"


@pytest.fixture(scope="session")
def target_path() -> Path:
    """60 held-out PostgreSQL documentation sections."""
    return DATA / "target_small.jsonl"


@pytest.fixture(scope="session")
def unicode_path() -> Path:
    """150 multilingual paragraphs (text/lang/encoding_file)."""
    return DATA / "unicode_small.jsonl"


@pytest.fixture(scope="session")
def raw_records(raw_path: Path) -> list[dict[str, Any]]:
    return load_records(raw_path)


@pytest.fixture(scope="session")
def target_records(target_path: Path) -> list[dict[str, Any]]:
    return load_records(target_path)


@pytest.fixture(scope="session")
def raw_table(raw_records: list[dict[str, Any]]) -> pa.Table:
    """The raw fixture as a pyarrow Table, columns in file order (text, domain, source)."""
    return pa.Table.from_pylist(raw_records)


# ---------------------------------------------------------------- corpus writers
@pytest.fixture
def write_corpus(tmp_path: Path) -> Callable[[Records, str], Path]:
    """``write_corpus(records, "name.jsonl.zst") -> path`` in a fresh temporary dir."""

    def write(records: Records, name: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_records(records, path)

    return write


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """``write_bytes("name.jsonl", b"...") -> path``: a file with exactly these bytes."""

    def write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    return write


# ---------------------------------------------------------------- models
@pytest.fixture(scope="session")
def small_dsir(target_path: Path, raw_path: Path) -> thresher.DSIR:
    """DSIR with 1000 buckets fitted on the fixture target (PostgreSQL) and raw corpus.

    Shared by many tests: never refit or mutate it."""
    return thresher.DSIR(num_buckets=1000).fit(target_path, raw_path)


@pytest.fixture(scope="session")
def small_log_weights(small_dsir: thresher.DSIR, raw_path: Path) -> Any:
    """Log weights of the raw fixture under ``small_dsir``, in file order."""
    return small_dsir.log_weights(raw_path)


@pytest.fixture
def default_threads() -> Iterator[None]:
    """Restore thresher's default thread count after the test."""
    yield
    thresher.set_num_threads(0)
