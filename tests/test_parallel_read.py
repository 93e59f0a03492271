"""A large plain JSON Lines file is decoded in parallel on thresher's pool; the rows,
their order, the verbs' results and the errors are those of a serial read
(``THRESHER_PARALLEL_READ=0`` or ``JsonlFiles(..., parallel=False)``)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher import _core
from thresher.exceptions import FieldTypeError, ParseError

#: The default range of a parallel read is 8 MiB: the file must be several of them.
TARGET_BYTES = 20 << 20


def _records(seed: int) -> Iterator[str]:
    """Lines of JSON: documents (some near-copies of earlier ones), blank lines,
    CRLF endings and a few long documents."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "délta", "epsilon", "zeta", "eta", "théta", "iota"]
    earlier: list[str] = []
    i = 0
    while True:
        if earlier and rng.random() < 0.2:
            text = rng.choice(earlier) + " " + rng.choice(words)
        else:
            n = 3000 if rng.random() < 0.01 else rng.randint(20, 120)
            text = " ".join(rng.choice(words) for _ in range(n))
            if len(earlier) < 500:
                earlier.append(text)
        line = json.dumps({"text": text, "id": i, "tag": rng.choice(["a", "b", None])})
        yield line + ("\r\n" if rng.random() < 0.1 else "\n")
        if rng.random() < 0.05:
            yield " \n" if rng.random() < 0.5 else "\n"
        i += 1


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "big.jsonl"
    size = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        for line in _records(7):
            f.write(line)
            size += len(line.encode())
            if size > TARGET_BYTES:
                break
        f.write(json.dumps({"text": "no final newline", "id": -1, "tag": "z"}))
    return path


@pytest.fixture(autouse=True)
def two_threads() -> Iterator[None]:
    before = thresher.get_num_threads()
    thresher.set_num_threads(2)
    yield
    thresher.set_num_threads(0 if before == 0 else before)


def _table(files: _core.JsonlFiles) -> tuple[pa.Table, list[int]]:
    reader = pa.RecordBatchReader.from_stream(files)
    batches = list(reader)
    return pa.Table.from_batches(batches, schema=reader.schema), [b.num_rows for b in batches]


def test_parallel_equals_serial(big_file: Path) -> None:
    parallel = _core.JsonlFiles([big_file], "text", 4096, parallel=True)
    serial = _core.JsonlFiles([big_file], "text", 4096, parallel=False)
    assert parallel.parallel and not serial.parallel
    got, got_sizes = _table(parallel)
    expected, expected_sizes = _table(serial)
    assert got.num_rows > 20_000
    assert got.equals(expected)
    assert got.column("id")[-1].as_py() == -1
    assert max(got_sizes) <= 4096
    assert sum(got_sizes) == sum(expected_sizes)


def test_environment_forces_serial(big_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHER_PARALLEL_READ", "0")
    assert not _core.JsonlFiles([big_file], "text").parallel
    monkeypatch.setenv("THRESHER_PARALLEL_READ", "1")
    assert _core.JsonlFiles([big_file], "text").parallel
    monkeypatch.delenv("THRESHER_PARALLEL_READ")
    assert _core.JsonlFiles([big_file], "text").parallel


def test_verbs_are_unchanged(big_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("THRESHER_PARALLEL_READ", mode)
        table = thresher.read(big_file).to_reader().read_all()
        found = thresher.dedup(str(big_file), threshold=0.7)
        results[mode] = (table, found)
    (table0, dedup0), (table1, dedup1) = results["0"], results["1"]
    assert table0.equals(table1)
    assert dedup0.summary == dedup1.summary
    assert dedup0.summary.duplicates > 0
    np.testing.assert_array_equal(dedup0.cluster_id, dedup1.cluster_id)
    np.testing.assert_array_equal(dedup0.is_duplicate, dedup1.is_duplicate)
    np.testing.assert_array_equal(dedup0.similarity, dedup1.similarity)


@pytest.mark.parametrize(
    ("bad", "error"),
    [('{"text": "cut', ParseError), ('{"text": 12, "id": 3}', FieldTypeError)],
)
def test_late_errors_name_the_same_line(
    big_file: Path,
    tmp_path: Path,
    bad: str,
    error: type[Exception],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = big_file.read_bytes()
    lines = content.count(b"\n")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content + b"\n" + bad.encode() + b"\n")
    messages = []
    for mode in ("1", "0"):
        # A verb reads in Rust: the error keeps its type (an Arrow C stream would not).
        monkeypatch.setenv("THRESHER_PARALLEL_READ", mode)
        with pytest.raises(error) as caught:
            thresher.dedup(str(path), method="exact")
        assert caught.value.path == str(path)  # type: ignore[attr-defined]
        assert caught.value.line == lines + 2  # type: ignore[attr-defined]
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
