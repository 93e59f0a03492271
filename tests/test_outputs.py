"""Streamed outputs: single files, sharded directories with a manifest, failures.

A sharded output holds the same rows in the same order as a single file; the manifest
lists every shard with its rows, size and SHA-256; a failure never leaves an output
that looks complete; a later batch with another schema is a typed error.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from thresher import sample
from thresher.exceptions import (
    InvalidParameterError,
    ManifestError,
    ReadError,
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
from thresher.mixing import quadmix


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


def test_a_directory_of_foreign_part_files_is_never_cleared(tmp_path: Path) -> None:
    foreign = tmp_path / "spark-output"
    foreign.mkdir()
    (foreign / "part-00000.parquet").write_bytes(b"someone else's data")
    with pytest.raises(WriteError, match="no thresher manifest"):
        open_output(f"{foreign}/")
    assert sorted(p.name for p in foreign.iterdir()) == ["part-00000.parquet"]
    # A directory of other files only is fine: they are left alone.
    other = tmp_path / "notes"
    other.mkdir()
    (other / "README.txt").write_text("keep me")
    with open_output(f"{other}/") as out:
        out.write(pa.record_batch({"n": [1]}))
    assert (other / "README.txt").read_text() == "keep me"


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


def test_batches_differing_only_in_nullability_share_the_first_schema(tmp_path: Path) -> None:
    strict = pa.schema([pa.field("text", pa.string(), nullable=False)])
    with open_output(tmp_path / "n.parquet", schema=strict) as out:
        out.write(pa.record_batch({"text": ["a"]}))  # inferred nullable
        out.write(pa.RecordBatch.from_arrays([pa.array(["b"])], schema=strict))
    table = pq.read_table(tmp_path / "n.parquet")
    assert table.schema.equals(strict) and table.column("text").to_pylist() == ["a", "b"]
    reordered = pytest.raises(SchemaMismatchError, match="in the order")
    with reordered, open_output(tmp_path / "o.parquet") as out:
        out.write(pa.record_batch({"a": [1], "b": [2]}))
        out.write(pa.record_batch({"b": [2], "a": [1]}))


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


def _verbs(raw: Path, target: Path, work: Path) -> dict[str, list[str]]:
    """Each corpus-writing verb's arguments, without ``--out``."""
    table = _read(raw)
    scored = table.append_column("q", pa.array([float(i % 7) for i in range(table.num_rows)]))
    pq.write_table(scored, work / "scored.parquet")
    (work / "params.json").write_text(json.dumps({"*": {"threshold": 0.5, "rate": 1.5}}))
    quiet = ["--quiet"]
    return {
        "dedup": ["dedup", str(raw), "--annotate", "--threshold", "0.7", *quiet],
        "dsir": ["dsir", "--target", str(target), "--raw", str(raw), "-k", "40", *quiet],
        "sample-by": ["sample", str(raw), "--by", "domain", "-k", "60", *quiet],
        "sample-k": ["sample", str(raw), "-k", "50", "--seed", "2", *quiet],
        "quadmix": [
            "quadmix",
            str(work / "scored.parquet"),
            "--score",
            "q",
            "--domain",
            "domain",
            "--params",
            str(work / "params.json"),
        ],
    }


@pytest.mark.parametrize("verb", ["dedup", "dsir", "sample-by", "sample-k", "quadmix"])
def test_every_corpus_verb_writes_shards_equal_to_its_single_file(
    tmp_path: Path, raw_path: Path, target_path: Path, verb: str
) -> None:
    from thresher.cli import main

    args = _verbs(raw_path, target_path, tmp_path)[verb]
    assert main([*args, "--out", str(tmp_path / "one.parquet")]) == 0
    shards = f"{tmp_path}/shards/"
    assert main([*args, "--out", shards, "--shard-size", "64KB", "--format", "parquet"]) == 0
    single = pq.read_table(tmp_path / "one.parquet")
    assert single.num_rows > 0
    manifest = Manifest.load(shards)
    assert manifest.complete and manifest.rows == single.num_rows
    assert manifest.kind == verb.split("-")[0]
    assert manifest.thresher_version == thresher.__version__
    assert all(s.name.endswith(".parquet") for s in manifest.shards)
    assert manifest.inputs and all(i.size > 0 for i in manifest.inputs)
    assert _read(Path(shards)).equals(single)


def test_dedup_streams_the_same_rows_as_its_table(raw_path: Path, tmp_path: Path) -> None:
    result = thresher.dedup(raw_path, threshold=0.7)
    streamed = pa.Table.from_batches(list(result.batches()), schema=result.schema)
    assert result._table is None  # batches() never built the table
    out = result.write(f"{tmp_path}/d/", shard_size="100KB")
    assert result._table is None  # nor did write()
    assert streamed.equals(result.table)
    assert _read(Path(out)).equals(result.table)
    kept = thresher.dedup(raw_path, threshold=0.7, output="keep")
    assert sum(b.num_rows for b in kept.batches()) == kept.summary.kept


def test_take_batches_equals_take(raw_path: Path) -> None:
    source = thresher.read(raw_path, text_column=None, batch_size=37)
    rows = np.random.default_rng(3).choice(400, size=90, replace=False)
    taken = sample.take(source, rows)
    streamed = pa.Table.from_batches(list(sample.take_batches(source, rows)))
    assert streamed.equals(taken)
    copies = np.arange(90) % 3
    repeated = pa.Table.from_batches(list(sample.take_batches(source, rows, copies=copies)))
    order = np.argsort(rows)
    expected = taken.take(pa.array(np.repeat(np.arange(90), copies[order])))
    assert repeated.equals(expected)
    with pytest.raises(InvalidParameterError, match="past the end"):
        list(sample.take_batches(source, [3, 400]))
    with pytest.raises(InvalidParameterError, match="distinct"):
        list(sample.take_batches(source, [3, 3]))


def test_stratified_and_quadmix_streams_equal_the_rows_they_choose(raw_path: Path) -> None:
    table = _read(raw_path)
    stream = sample.stratified_stream(raw_path, "domain", 50, seed=4)
    assert stream._table is None
    streamed = pa.Table.from_batches(list(stream.batches()), schema=stream.schema)
    rows = sample.stratified(table.column("domain"), 50, seed=4)
    expected = table.take(pa.array(rows)).append_column("row", pa.array(rows, pa.int64()))
    assert streamed.equals(expected) and stream.table.equals(expected)

    q = np.array([float(i % 5) for i in range(table.num_rows)])
    scored = table.append_column("q", pa.array(q))
    params = quadmix.DomainParams(threshold=0.6, rate=2.0)
    copies = quadmix.sample({"q": q}, table.column("domain"), params, seed=2)
    chosen = np.flatnonzero(copies)
    assert chosen.size > 0
    kept = scored.take(pa.array(chosen))
    for repeat in (True, False):
        mix = quadmix.sample_stream(scored, ["q"], "domain", params, seed=2, repeat=repeat)
        got = pa.Table.from_batches(list(mix.batches()), schema=mix.schema)
        if repeat:
            want = kept.take(pa.array(np.repeat(np.arange(chosen.size), copies[chosen])))
        else:
            want = kept.append_column("copies", pa.array(copies[chosen], pa.uint32()))
        assert got.equals(want)


_SLOW_WRITER = """
import sys, time
import pyarrow as pa
from thresher.io.writers import open_output

with open_output(sys.argv[1], shard_size=2000) as out:
    for i in range(10_000):
        out.write(pa.record_batch({"text": ["x" * 50] * 10, "i": [i] * 10}))
        time.sleep(0.01)
"""


def test_a_killed_rewrite_never_leaves_a_complete_looking_directory(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with open_output(f"{directory}/", shard_size=2000) as out:
        for b in _batches():
            out.write(b)
    assert Manifest.load(directory).complete
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    script = tmp_path / "slow.py"
    script.write_text(_SLOW_WRITER)
    child = subprocess.Popen([sys.executable, str(script), f"{directory}/"], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the rewrite has a few shards
            manifest = Manifest.load(directory)  # always whole: saved by rename
            if not manifest.complete and len(manifest.shards) >= 3:
                break
            time.sleep(0.05)
        else:  # pragma: no cover
            pytest.fail("the child wrote no shard")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    manifest = Manifest.load(directory)
    assert not manifest.complete
    with pytest.raises(ReadError, match="incomplete"):
        thresher.read(directory)
    # Every listed shard is whole (its checksum holds); nothing else claims to be one.
    for shard in manifest.shards:
        data = (directory / shard.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == shard.sha256
