"""Every reader and input kind yields the same documents, in the same order, with the
same DSIR log weights as the plain JSONL fixture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import polars as pl
import pyarrow as pa
import pytest
import thresher
from corpus_helpers import load_records, write_records
from thresher.exceptions import InvalidParameterError

COLUMNS = ("text", "domain", "source")


def split3(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Three consecutive, unequal parts (sizes 100, 170, 130 for 400 records)."""
    a, b = len(records) // 4, len(records) // 4 + 170 * len(records) // 400
    return [records[:a], records[a:b], records[b:]]


def columns_of(source: Any, **read_args: Any) -> dict[str, list[Any]]:
    table = thresher.read(source, **read_args).to_reader().read_all()
    return {name: table.column(name).to_pylist() for name in table.column_names}


def assert_same_documents(got: dict[str, list[Any]], records: list[dict[str, Any]]) -> None:
    for name in COLUMNS:
        assert got[name] == [r[name] for r in records], f"column {name!r} differs"


# ---------------------------------------------------------------- file kinds
FileMaker = Callable[[Path, list[dict[str, Any]]], Any]


def make_file(suffix: str) -> FileMaker:
    return lambda tmp, records: write_records(records, tmp / f"corpus{suffix}")


def make_directory(tmp: Path, records: list[dict[str, Any]]) -> Any:
    # Written in reverse order: the reader must list the directory sorted.
    parts = split3(records)
    for i in reversed(range(3)):
        write_records(parts[i], tmp / "shards" / f"part-{i:02d}.jsonl")
    (tmp / "shards" / "README.txt").write_text("not a corpus file")
    return tmp / "shards"


def make_nested_directory(tmp: Path, records: list[dict[str, Any]]) -> Any:
    parts = split3(records)
    write_records(parts[0], tmp / "tree" / "a" / "x.jsonl.gz")
    write_records(parts[1], tmp / "tree" / "b" / "x.jsonl.zst")
    write_records(parts[2], tmp / "tree" / "c.jsonl")
    return str(tmp / "tree")


def make_glob(tmp: Path, records: list[dict[str, Any]]) -> Any:
    parts = split3(records)
    for i in reversed(range(3)):
        write_records(parts[i], tmp / "g" / f"shard-{i}.jsonl.zst")
    write_records(records[:3], tmp / "g" / "other-0.jsonl.zst")  # not matched by the pattern
    return str(tmp / "g" / "shard-*.jsonl.zst")


def make_recursive_glob(tmp: Path, records: list[dict[str, Any]]) -> Any:
    parts = split3(records)
    for i in range(3):
        write_records(parts[i], tmp / "r" / f"d{i}" / "part.jsonl")
    return str(tmp / "r" / "**" / "*.jsonl")


def make_file_list(tmp: Path, records: list[dict[str, Any]]) -> Any:
    # Names sort differently from the list: the list's order must win.
    parts = split3(records)
    names = ["c.jsonl", "a.jsonl.gz", "b.parquet.jsonl"]
    return [write_records(part, tmp / name) for part, name in zip(parts, names, strict=True)]


def make_parquet_list(tmp: Path, records: list[dict[str, Any]]) -> Any:
    parts = split3(records)
    return [str(write_records(part, tmp / f"z{2 - i}.parquet")) for i, part in enumerate(parts)]


FILE_KINDS: dict[str, FileMaker] = {
    "jsonl": make_file(".jsonl"),
    "jsonl.gz": make_file(".jsonl.gz"),
    "jsonl.zst": make_file(".jsonl.zst"),
    "parquet": make_file(".parquet"),
    "directory": make_directory,
    "nested directory, mixed compression": make_nested_directory,
    "glob": make_glob,
    "recursive glob": make_recursive_glob,
    "list of files": make_file_list,
    "list of parquet files": make_parquet_list,
}


@pytest.fixture(params=list(FILE_KINDS), ids=list(FILE_KINDS))
def file_source(
    request: pytest.FixtureRequest, tmp_path: Path, raw_records: list[dict[str, Any]]
) -> Any:
    return FILE_KINDS[request.param](tmp_path, raw_records)


def test_file_source_reads_the_same_documents_in_order(
    file_source: Any, raw_records: list[dict[str, Any]]
) -> None:
    assert_same_documents(columns_of(file_source), raw_records)


def test_file_source_gives_the_same_log_weights(
    file_source: Any, small_dsir: thresher.DSIR, small_log_weights: np.ndarray
) -> None:
    np.testing.assert_array_equal(small_dsir.log_weights(file_source), small_log_weights)


def test_file_source_gives_the_same_selection(
    file_source: Any, small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    expected = small_dsir.select(raw_path, k=40, seed=11)
    got = small_dsir.select(file_source, k=40, seed=11)
    np.testing.assert_array_equal(got.rows, expected.rows)
    np.testing.assert_array_equal(got.log_weights, expected.log_weights)
    assert got.table.column("text").to_pylist() == expected.table.column("text").to_pylist()


def test_row_ids_continue_across_files(
    tmp_path: Path, raw_records: list[dict[str, Any]], small_dsir: thresher.DSIR
) -> None:
    paths = make_file_list(tmp_path, raw_records)
    sel = small_dsir.select(paths, k=len(raw_records), method="top_k")
    np.testing.assert_array_equal(sel.rows, np.arange(len(raw_records)))
    texts = sel.table.column("text").to_pylist()
    # Every row id points at the document at that position of the concatenated files.
    assert texts == [r["text"] for r in raw_records]


def test_read_returns_a_source_unchanged(raw_path: Path) -> None:
    source = thresher.read(raw_path)
    assert thresher.read(source) is source


# ---------------------------------------------------------------- in-memory kinds
def _large_string(table: pa.Table) -> pa.Table:
    schema = pa.schema([f.with_type(pa.large_string()) for f in table.schema])
    return table.cast(schema)


MEMORY_KINDS: dict[str, Callable[[pa.Table], Any]] = {
    "pyarrow.Table": lambda t: t,
    "pyarrow.Table, 37 chunks": lambda t: pa.Table.from_batches(
        [
            b
            for chunk in np.array_split(np.arange(t.num_rows), 37)
            for b in t.take(chunk).to_batches()
        ]
    ),
    "pyarrow.RecordBatch": lambda t: t.combine_chunks().to_batches()[0],
    "pyarrow.RecordBatchReader": lambda t: t.to_reader(max_chunksize=64),
    "large_string columns": _large_string,
    "polars.DataFrame": lambda t: pl.from_arrow(t),
    "datasets.Dataset.from_dict": lambda t: datasets.Dataset.from_dict(t.to_pydict()),
    "datasets.Dataset.from_list (large chunks)": lambda t: datasets.Dataset.from_list(
        t.to_pylist()
    ),
}


@pytest.fixture(params=list(MEMORY_KINDS), ids=list(MEMORY_KINDS))
def memory_source_factory(request: pytest.FixtureRequest, raw_table: pa.Table) -> Callable[[], Any]:
    """A factory, since a RecordBatchReader can be read only once."""
    return lambda: MEMORY_KINDS[request.param](raw_table)


def test_memory_source_reads_the_same_documents(
    memory_source_factory: Callable[[], Any], raw_records: list[dict[str, Any]]
) -> None:
    assert_same_documents(columns_of(memory_source_factory()), raw_records)


def test_memory_source_gives_the_same_log_weights(
    memory_source_factory: Callable[[], Any],
    small_dsir: thresher.DSIR,
    small_log_weights: np.ndarray,
) -> None:
    np.testing.assert_array_equal(
        small_dsir.log_weights(memory_source_factory()), small_log_weights
    )


def test_memory_source_gives_the_same_selection(
    memory_source_factory: Callable[[], Any], small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    expected = small_dsir.select(raw_path, k=40, seed=5)
    got = small_dsir.select(memory_source_factory(), k=40, seed=5)
    np.testing.assert_array_equal(got.rows, expected.rows)
    np.testing.assert_array_equal(got.log_weights, expected.log_weights)
    for name in COLUMNS:
        assert got.table.column(name).to_pylist() == expected.table.column(name).to_pylist()


def test_many_chunk_table_is_identical_to_one_chunk(
    raw_table: pa.Table, small_dsir: thresher.DSIR
) -> None:
    batches = [
        b for i in range(0, raw_table.num_rows, 11) for b in raw_table.slice(i, 11).to_batches()
    ]
    chunked = pa.Table.from_batches(batches)
    assert chunked.column("text").num_chunks == 37
    single = raw_table.combine_chunks()
    np.testing.assert_array_equal(small_dsir.log_weights(chunked), small_dsir.log_weights(single))
    a = small_dsir.select(chunked, k=25, seed=3)
    b = small_dsir.select(single, k=25, seed=3)
    np.testing.assert_array_equal(a.rows, b.rows)
    assert a.table.column("text").to_pylist() == b.table.column("text").to_pylist()


def test_polars_is_exported_as_string_view(raw_table: pa.Table, small_dsir: thresher.DSIR) -> None:
    frame = pl.from_arrow(raw_table)
    schema = pa.RecordBatchReader.from_stream(frame).schema
    assert pa.types.is_string_view(schema.field("text").type)
    sel = small_dsir.select(frame, k=5, seed=0)
    assert sel.table.num_rows == 5
    assert all(isinstance(t, str) and t for t in sel.table.column("text").to_pylist())


def test_record_batch_reader_source_is_one_shot(
    raw_table: pa.Table, small_dsir: thresher.DSIR, small_log_weights: np.ndarray
) -> None:
    source = thresher.read(raw_table.to_reader())
    assert not source.reopenable
    np.testing.assert_array_equal(small_dsir.log_weights(source), small_log_weights)
    with pytest.raises(InvalidParameterError, match="one-shot"):
        small_dsir.log_weights(source)


def test_record_batch_reader_passed_twice_raises_instead_of_reading_nothing(
    raw_table: pa.Table, small_dsir: thresher.DSIR, small_log_weights: np.ndarray
) -> None:
    reader = raw_table.to_reader()
    np.testing.assert_array_equal(small_dsir.log_weights(reader), small_log_weights)
    # A consumed reader holds no more rows: scoring it again must not silently return
    # an empty result (a common mistake: fit(target, reader) then select(reader)).
    with pytest.raises(InvalidParameterError):
        small_dsir.log_weights(reader)


def test_tables_are_reopenable(raw_table: pa.Table, small_dsir: thresher.DSIR) -> None:
    source = thresher.read(raw_table)
    assert source.reopenable
    first = small_dsir.log_weights(source)
    np.testing.assert_array_equal(small_dsir.log_weights(source), first)


# ---------------------------------------------------------------- datasets views
def test_dataset_select_view_reads_the_selected_rows_in_view_order(
    raw_table: pa.Table, small_dsir: thresher.DSIR, small_log_weights: np.ndarray
) -> None:
    ds = datasets.Dataset.from_dict(raw_table.to_pydict())
    order = np.random.default_rng(0).permutation(raw_table.num_rows)[:150]
    view = ds.select(order)
    np.testing.assert_array_equal(small_dsir.log_weights(view), small_log_weights[order])
    texts = columns_of(view)["text"]
    assert texts == [raw_table.column("text")[int(i)].as_py() for i in order]


def test_dataset_shuffle_view_reads_the_shuffled_rows(
    raw_table: pa.Table, small_dsir: thresher.DSIR
) -> None:
    ds = datasets.Dataset.from_dict(raw_table.to_pydict())
    shuffled = ds.shuffle(seed=7)
    expected = small_dsir.log_weights(pa.table({"text": shuffled["text"]}))
    np.testing.assert_array_equal(small_dsir.log_weights(shuffled), expected)
    sel = small_dsir.select(shuffled, k=10, seed=1)
    picked = sel.table.column("text").to_pylist()
    assert picked == [shuffled[int(r)]["text"] for r in sel.rows]


def test_dataset_dict_is_a_clear_error(raw_table: pa.Table) -> None:
    dd = datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_dict({"text": ["a b"]}),
            "test": datasets.Dataset.from_dict({"text": ["c d"]}),
        }
    )
    with pytest.raises(InvalidParameterError, match=r"DatasetDict.*train"):
        thresher.read(dd)


# ---------------------------------------------------------------- text column
def test_custom_text_column_name(
    write_corpus: Callable[[Any, str], Path],
    raw_records: list[dict[str, Any]],
    target_records: list[dict[str, Any]],
    small_log_weights: np.ndarray,
) -> None:
    renamed = [{"body": r["text"], "id": i} for i, r in enumerate(raw_records)]
    target = [{"body": r["text"]} for r in target_records]
    raw_file = write_corpus(renamed, "raw.jsonl.zst")
    target_file = write_corpus(target, "target.parquet")
    dsir = thresher.DSIR(num_buckets=1000, text_column="body").fit(target_file, raw_file)
    np.testing.assert_array_equal(dsir.log_weights(raw_file), small_log_weights)
    table = pa.Table.from_pylist(renamed)
    np.testing.assert_array_equal(dsir.log_weights(table), small_log_weights)
    sel = dsir.select(raw_file, k=5, seed=2, columns="text")
    assert sel.table.column_names == ["body", "dsir_row", "dsir_log_weight"]


def test_read_with_text_column(write_corpus: Callable[[Any, str], Path]) -> None:
    path = write_corpus([{"content": "hello world", "n": 1}], "c.jsonl")
    table = thresher.read(path, text_column="content").to_reader().read_all()
    assert table.column("content").to_pylist() == ["hello world"]


def test_unicode_fixture_round_trips_through_every_file_format(
    write_corpus: Callable[[Any, str], Path], unicode_path: Path
) -> None:
    records = load_records(unicode_path)
    for suffix in (".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet"):
        path = write_corpus(records, f"u{suffix}")
        assert columns_of(path)["text"] == [r["text"] for r in records], suffix
