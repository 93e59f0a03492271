"""Streamed outputs: single files, sharded directories with a manifest, failures.

A sharded output holds the same rows in the same order as a single file; the manifest
lists every shard with its rows, size and SHA-256; a failure never leaves an output
that looks complete; a later batch with another schema is a typed error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from thresher.exceptions import (
    InvalidParameterError,
    ManifestError,
    SchemaMismatchError,
    WriteError,
)
from thresher.io.manifest import (
    InputFile,
    Manifest,
    ShardInfo,
    describe_inputs,
    fingerprint,
)
from thresher.io.writers import open_output, parse_size, write_part


def _batches(n: int = 1000, per: int = 128) -> list[pa.RecordBatch]:
    text = [f"document {i} " + "word " * (i % 17) for i in range(n)]
    table = pa.table({"text": text, "id": list(range(n))})
    return table.to_batches(max_chunksize=per)


def _read(path: Path) -> pa.Table:
    return thresher.read(path, text_column=None).to_reader().read_all()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "jsonl.gz", "jsonl.zst"])
def test_sharded_output_has_the_rows_of_a_single_file_in_order(tmp_path: Path, fmt: str) -> None:
    batches = _batches()
    single = tmp_path / f"one.{fmt}"
    with open_output(single) as out:
        for b in batches:
            out.write(b)
    with open_output(tmp_path / "dir/", format=fmt, shard_size="8KiB") as out:
        for b in batches:
            out.write(b)
    manifest = Manifest.load(tmp_path / "dir")
    assert manifest.complete and len(manifest.shards) > 3
    names = [s.name for s in manifest.shards]
    assert names == [f"part-{i:05d}.{fmt}" for i in range(len(names))]
    assert sorted(p.name for p in (tmp_path / "dir").iterdir()) == sorted([*names, "manifest.json"])
    expected = _read(single)
    assert expected.num_rows == 1000
    # Reading the directory (sorted part names) gives the single file's rows in order.
    assert _read(tmp_path / "dir").equals(expected)
    assert manifest.rows == 1000


def test_manifest_lists_rows_bytes_and_checksums(tmp_path: Path) -> None:
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"d{i}"}) + "\n" for i in range(10)))
    with open_output(
        tmp_path / "out/",
        shard_size=3000,
        kind="test",
        parameters={"seed": 3, "names": ("a", "b")},
        inputs=[str(corpus)],
    ) as out:
        for b in _batches(400, 50):
            out.write(b)
    raw = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert list(raw) == sorted(raw)  # sorted keys
    assert raw["format"] == "thresher.manifest" and raw["version"] == 1
    assert raw["kind"] == "test" and raw["complete"] is True
    assert raw["parameters"] == {"seed": 3, "names": ["a", "b"]}
    assert raw["thresher_version"] == thresher.__version__
    size = corpus.stat().st_size
    assert raw["inputs"] == [
        {"path": str(corpus), "size": size, "fingerprint": fingerprint(corpus)}
    ]
    total = 0
    for shard in raw["shards"]:
        data = (tmp_path / "out" / shard["name"]).read_bytes()
        assert shard["bytes"] == len(data)
        assert shard["sha256"] == hashlib.sha256(data).hexdigest()
        rows = pq.read_metadata(tmp_path / "out" / shard["name"]).num_rows
        assert shard["rows"] == rows
        total += rows
    assert total == 400


def test_each_shard_holds_at_most_shard_size_arrow_bytes(tmp_path: Path) -> None:
    # One batch far larger than a shard is split across shards.
    big = pa.table({"text": ["x" * 100] * 5000}).combine_chunks().to_batches()[0]
    with open_output(tmp_path / "o/", shard_size=50_000) as out:
        out.write(big)
    manifest = Manifest.load(tmp_path / "o")
    for shard in manifest.shards:
        table = pq.read_table(tmp_path / "o" / shard.name)
        assert table.nbytes <= 50_000, shard
    assert manifest.rows == 5000 and len(manifest.shards) >= 10


def test_a_failure_mid_write_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    batches = _batches()

    def failing() -> object:
        for i, b in enumerate(batches):
            if i == 5:
                raise RuntimeError("disk on fire")
            yield b

    single = tmp_path / "one.parquet"
    with pytest.raises(RuntimeError), open_output(single) as out:
        for b in failing():  # type: ignore[attr-defined]
            out.write(b)
    assert list(tmp_path.iterdir()) == []  # no file, no temporary

    with pytest.raises(RuntimeError), open_output(tmp_path / "s.jsonl.zst") as out:
        for b in failing():  # type: ignore[attr-defined]
            out.write(b)
    assert list(tmp_path.iterdir()) == []

    directory = tmp_path / "d"
    with pytest.raises(RuntimeError), open_output(f"{directory}/", shard_size=2000) as out:
        for b in failing():  # type: ignore[attr-defined]
            out.write(b)
    manifest = Manifest.load(directory)
    assert not manifest.complete
    # Only finished shards (listed in the manifest) remain; no temporary file.
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [*(s.name for s in manifest.shards), "manifest.json"]
    )


def test_rewriting_a_complete_directory_replaces_it_as_a_whole(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with open_output(f"{directory}/", shard_size=2000) as out:
        for b in _batches():
            out.write(b)
    old = Manifest.load(directory)
    assert old.complete and len(old.shards) > 5

    # A second run that fails after its first batch: the old output is gone and the
    # manifest says incomplete (never the old complete manifest over new shards).
    with pytest.raises(RuntimeError), open_output(f"{directory}/", shard_size=2000) as out:
        out.write(_batches()[0])
        raise RuntimeError("killed")
    manifest = Manifest.load(directory)
    assert not manifest.complete
    left = {p.name for p in directory.iterdir()} - {"manifest.json"}
    assert left == {s.name for s in manifest.shards}

    # A complete rewrite with fewer shards leaves none of the old ones.
    with open_output(f"{directory}/") as out:
        out.write(_batches()[0])
    manifest = Manifest.load(directory)
    assert manifest.complete and [s.name for s in manifest.shards] == ["part-00000.parquet"]
    assert sorted(p.name for p in directory.iterdir()) == ["manifest.json", "part-00000.parquet"]


def test_a_batch_with_another_schema_is_a_typed_error(tmp_path: Path) -> None:
    for target in (tmp_path / "a.parquet", tmp_path / "b.jsonl", f"{tmp_path}/c/"):
        mismatch = pytest.raises(SchemaMismatchError, match="column 'id' is string, was int64")
        with mismatch as e, open_output(target) as out:
            out.write(pa.record_batch({"text": ["a"], "id": [1]}))
            out.write(pa.record_batch({"text": ["b"], "id": ["2"]}))
        assert e.value.path == str(target).rstrip("/")
    new_column = pytest.raises(SchemaMismatchError, match="column 'extra' is new")
    with new_column, open_output(tmp_path / "d.parquet") as out:
        out.write(pa.record_batch({"text": ["a"]}))
        out.write(pa.record_batch({"text": ["a"], "extra": [1]}))
    assert not (tmp_path / "a.parquet").exists() and not (tmp_path / "d.parquet").exists()
    assert not Manifest.load(f"{tmp_path}/c/").complete


def test_an_empty_output_keeps_its_schema(tmp_path: Path) -> None:
    schema = pa.schema([("text", pa.string()), ("id", pa.int64())])
    with open_output(tmp_path / "e/", schema=schema):
        pass
    manifest = Manifest.load(tmp_path / "e")
    assert manifest.complete and [s.rows for s in manifest.shards] == [0]
    assert pq.read_schema(tmp_path / "e" / "part-00000.parquet").equals(schema)
    with open_output(tmp_path / "e.parquet", schema=schema):
        pass
    assert pq.read_table(tmp_path / "e.parquet").schema.equals(schema)


def test_write_part_is_atomic_and_describes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "part-00003.jsonl.zst"
    info = write_part(iter(_batches(300, 100)), target)
    assert info == ShardInfo(
        "part-00003.jsonl.zst",
        300,
        target.stat().st_size,
        hashlib.sha256(target.read_bytes()).hexdigest(),
    )

    def failing() -> object:
        yield _batches(10)[0]
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_part(failing(), tmp_path / "part-00004.parquet")  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-00003.jsonl.zst"]
    with pytest.raises(InvalidParameterError, match="must end in"):
        write_part(iter([]), tmp_path / "part.csv")


def test_bad_destinations_and_options(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="does not exist"):
        open_output(tmp_path / "no" / "such" / "out/")
    assert not (tmp_path / "no").exists()
    with pytest.raises(InvalidParameterError, match="must end in"):
        open_output(tmp_path / "out.csv")
    with pytest.raises(InvalidParameterError, match="format"):
        open_output(tmp_path / "out.parquet", format="jsonl")
    with pytest.raises(InvalidParameterError, match="format"):
        open_output(tmp_path / "d/", format="csv")
    with pytest.raises(InvalidParameterError, match="no shards"):
        open_output(tmp_path / "out.parquet", shard_size="1MB")
    with pytest.raises(InvalidParameterError, match="shard_size"):
        open_output(tmp_path / "d/", shard_size="lots")
    with pytest.raises(ManifestError, match="parameters"):
        open_output(tmp_path / "d2/", parameters={"f": object()})
    assert not (tmp_path / "d2").exists()


def test_parse_size() -> None:
    assert parse_size("512MB") == 512_000_000
    assert parse_size("256MiB") == 256 << 20
    assert parse_size("1g") == 1 << 30
    assert parse_size("1.5KB") == 1500
    assert parse_size(" 7 ") == 7
    for bad in ("", "MB", "-1MB", "0", "3 parsecs", True):
        with pytest.raises(InvalidParameterError, match="shard_size"):
            parse_size(bad)  # type: ignore[arg-type]


def test_manifest_load_names_the_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no manifest") as e:
        Manifest.load(tmp_path)
    assert e.value.path == str(tmp_path / "manifest.json")
    m = Manifest("k", {"a": 1}, [InputFile("x", 1, "f")], [ShardInfo("p", 1, 2, "s")], True, "1")
    m.save(tmp_path)
    assert Manifest.load(tmp_path) == m
    raw = json.loads((tmp_path / "manifest.json").read_text())
    cases = [
        ({**raw, "complete": "yes"}, "complete"),
        ({**raw, "shards": [{**raw["shards"][0], "rows": "1"}]}, "shards[0].rows"),
        ({**raw, "inputs": [{"path": "x", "size": 1}]}, "inputs[0].fingerprint"),
        ({k: v for k, v in raw.items() if k != "kind"}, "kind"),
        ({**raw, "version": 99}, "version"),
    ]
    for document, field in cases:
        (tmp_path / "manifest.json").write_text(json.dumps(document))
        with pytest.raises(ManifestError, match=f"field '{field}'".replace("[", r"\[")) as e:
            Manifest.load(tmp_path)
        assert e.value.field == field and e.value.path == str(tmp_path / "manifest.json")
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        Manifest.load(tmp_path)


def test_differences_say_what_changed(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    for p in (a, b, c):
        p.write_text('{"text": "x"}\n')
    old = Manifest("dedup", {"threshold": 0.8, "ngram": 5}, describe_inputs([a, b]), [], True, "1")
    assert old.differences(old) == []
    b.write_text('{"text": "y"}\n')  # same size, new content
    a.write_text('{"text": "longer"}\n')
    new = Manifest(
        "dedup", {"threshold": 0.9, "seed": 1}, describe_inputs([a, b, c]), [], False, "2"
    )
    changes = new and old.differences(new)
    assert f"input {a} changed size from 14 to 19 bytes" in changes
    assert any(s.startswith(f"input {b} changed content") for s in changes)
    assert f"input {c} was added" in changes
    assert "parameter threshold changed from 0.8 to 0.9" in changes
    assert "parameter ngram was removed (it was 5)" in changes
    assert "parameter seed was added (1)" in changes
    assert "thresher version changed from 1 to 2" in changes
    assert new.differences(old)[0] == f"input {c} was removed"
    # A tuple equals the list a reloaded manifest holds.
    assert Manifest("k", {"x": (1, 2)}).differences(Manifest("k", {"x": [1, 2]})) == []


def test_fingerprint_samples_large_files(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    mib = 1 << 20
    with open(path, "wb") as f:
        f.write(b"a" * (5 * mib))
    before = fingerprint(path)
    with open(path, "r+b") as f:  # an unsampled byte (between the first and last MiB)
        f.seek(2 * mib)
        f.write(b"b")
    assert fingerprint(path) == before
    with open(path, "r+b") as f:  # a byte of the last MiB
        f.seek(5 * mib - 10)
        f.write(b"b")
    assert fingerprint(path) != before
