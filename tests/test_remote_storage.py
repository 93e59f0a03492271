"""Remote storage: s3:// inputs and outputs against a local S3-compatible server (moto),
and fsspec's memory:// filesystem; each result must equal the local run's."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from thresher.cli import main
from thresher.exceptions import MissingDependencyError, ParseError, ReadError
from thresher.io.manifest import Manifest, describe_inputs, fingerprint
from thresher.io.writers import open_output, write_part

fsspec = pytest.importorskip("fsspec")
pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

BUCKET = "thresher-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """A moto S3 server on a free local port, with fsspec's s3:// pointed at it."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    saved_env = {k: os.environ.get(k) for k in names}
    os.environ["AWS_ACCESS_KEY_ID"] = os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    saved_conf = fsspec.config.conf.get("s3")
    fsspec.config.conf["s3"] = {"client_kwargs": {"endpoint_url": f"http://{host}:{port}"}}
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = fsspec.filesystem("s3")
    # moto's state is per process: another module's server made the bucket already.
    with contextlib.suppress(FileExistsError):
        fs.mkdir(BUCKET)
    try:
        yield fs
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        if saved_conf is None:
            fsspec.config.conf.pop("s3", None)
        else:
            fsspec.config.conf["s3"] = saved_conf
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture(scope="module")
def corpus(s3: Any, raw_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The raw fixture split into two .jsonl.zst files and two Parquet files, locally
    and uploaded under s3://BUCKET/in/."""
    local = tmp_path_factory.mktemp("corpus")
    table = thresher.read(raw_path).to_reader().read_all()
    half = table.num_rows // 2
    parts = [table.slice(0, half), table.slice(half)]
    names = []
    for i, part in enumerate(parts):
        thresher.write_table(part, local / f"docs-{i}.jsonl.zst")
        pq.write_table(part, local / f"docs-{i}.parquet")
        names += [f"docs-{i}.jsonl.zst", f"docs-{i}.parquet"]
    for name in names:
        s3.put_file(str(local / name), f"{BUCKET}/in/{name}")
    return {"local": local, "table": table}


def _all(source: Any) -> pa.Table:
    return thresher.read(source, text_column=None).to_reader().read_all()


@pytest.mark.parametrize("suffix", ["jsonl.zst", "parquet"])
def test_read_remote_files_and_globs_like_local_ones(corpus: dict[str, Any], suffix: str) -> None:
    local = _all(str(corpus["local"] / f"*.{suffix}"))
    remote = _all(f"s3://{BUCKET}/in/*.{suffix}")
    assert remote.equals(local)
    assert remote.num_rows == corpus["table"].num_rows
    single = _all(f"s3://{BUCKET}/in/docs-1.{suffix}")
    assert single.equals(_all(str(corpus["local"] / f"docs-1.{suffix}")))


def test_dedup_of_a_remote_corpus_equals_the_local_one(corpus: dict[str, Any]) -> None:
    local = thresher.dedup(str(corpus["local"] / "*.jsonl.zst"), threshold=0.7)
    remote = thresher.dedup(f"s3://{BUCKET}/in/*.jsonl.zst", threshold=0.7)
    assert remote.summary == local.summary
    assert remote.cluster_id.tolist() == local.cluster_id.tolist()
    assert remote.table.equals(local.table)


def test_cli_dedup_from_s3_to_sharded_s3_output(
    s3: Any, corpus: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["dedup", "--threshold", "0.7", "--annotate", "--quiet"]
    assert main([*args, str(corpus["local"] / "*.jsonl.zst"), "--out", str(tmp_path / "o/")]) == 0
    out = f"s3://{BUCKET}/out/dedup/"
    code = main([*args, f"s3://{BUCKET}/in/*.jsonl.zst", "--out", out, "--shard-size", "200KB"])
    assert code == 0, capsys.readouterr().err
    manifest = Manifest.load(out)
    assert manifest.complete and manifest.kind == "dedup" and len(manifest.shards) > 1
    assert manifest.parameters["threshold"] == 0.7
    assert [i.path for i in manifest.inputs] == [
        f"s3://{BUCKET}/in/docs-0.jsonl.zst",
        f"s3://{BUCKET}/in/docs-1.jsonl.zst",
    ]
    for shard in manifest.shards:
        data = s3.cat_file(f"{BUCKET}/out/dedup/{shard.name}")
        assert shard.bytes == len(data) and shard.sha256 == hashlib.sha256(data).hexdigest()
    local = Manifest.load(tmp_path / "o")
    # Same inputs (fingerprints of the same bytes), same settings.
    assert [i.fingerprint for i in manifest.inputs] == [i.fingerprint for i in local.inputs]
    assert manifest.parameters == local.parameters
    # Reading the remote output directory follows its manifest.
    assert _all(out).equals(_all(str(tmp_path / "o")))
    # No staging directory is left behind locally.
    assert not [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("thresher-out-*")]


def test_single_remote_file_output_is_uploaded_on_close(s3: Any, corpus: dict[str, Any]) -> None:
    url = f"s3://{BUCKET}/single/kept.parquet"
    writer = open_output(url)
    for batch in corpus["table"].to_batches(max_chunksize=100):
        writer.write(batch)
    assert not s3.exists(f"{BUCKET}/single/kept.parquet")  # nothing before close
    assert writer.close() == url
    assert _all(url).equals(corpus["table"])

    def failing() -> Iterator[pa.RecordBatch]:
        yield corpus["table"].to_batches()[0]
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_part(failing(), f"s3://{BUCKET}/single/failed.jsonl")
    assert not s3.exists(f"{BUCKET}/single/failed.jsonl")


def test_remote_inputs_are_described_and_fingerprinted(s3: Any, corpus: dict[str, Any]) -> None:
    url = f"s3://{BUCKET}/in/docs-0.parquet"
    local = corpus["local"] / "docs-0.parquet"
    (described,) = describe_inputs([url])
    assert described.size == local.stat().st_size
    assert described.fingerprint == fingerprint(local)


def test_a_bad_remote_line_is_reported_at_its_url_and_line(s3: Any) -> None:
    lines = [json.dumps({"text": f"doc {i}"}) for i in range(5)]
    lines[3] = '{"text": "broken'
    s3.pipe_file(f"{BUCKET}/bad/a.jsonl", ("\n".join(lines) + "\n").encode())
    url = f"s3://{BUCKET}/bad/a.jsonl"
    with pytest.raises(ParseError) as caught:
        thresher.dedup(url)
    assert caught.value.path == url and caught.value.line == 4
    assert url in str(caught.value) and "thresher-remote-" not in str(caught.value)
    with pytest.raises(ReadError, match="no file matches"):
        thresher.read(f"s3://{BUCKET}/bad/*.parquet")
    with pytest.raises(ReadError, match="no such file"):
        thresher.read(f"s3://{BUCKET}/bad/absent.jsonl")


def test_memory_filesystem_round_trip(raw_path: Path) -> None:
    table = _all(raw_path)
    with open_output("memory://thresher/out/", format="jsonl.zst", shard_size="100KB") as out:
        for batch in table.to_batches(max_chunksize=64):
            out.write(batch)
    manifest = Manifest.load("memory://thresher/out")
    assert manifest.complete and len(manifest.shards) > 2
    assert _all("memory://thresher/out/").equals(table)
    assert _all("memory://thresher/out/part-*.jsonl.zst").equals(table)


def test_an_incomplete_output_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), open_output(tmp_path / "d/") as out:
        out.write(pa.record_batch({"text": ["a"]}))
        raise RuntimeError("killed")
    with pytest.raises(ReadError, match="incomplete"):
        thresher.read(tmp_path / "d")


def test_missing_fsspec_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(MissingDependencyError, match="pip install fsspec s3fs") as caught:
        thresher.read("s3://bucket/corpus.jsonl")
    assert isinstance(caught.value, ImportError)
    with pytest.raises(MissingDependencyError, match="fsspec"):
        open_output("gs://bucket/out/")


def test_dsir_on_remote_files_equals_the_local_run(
    s3: Any, corpus: dict[str, Any], target_path: Path
) -> None:
    s3.put_file(str(target_path), f"{BUCKET}/target/t.jsonl")
    local = thresher.DSIR(num_buckets=2000).fit(target_path, str(corpus["local"] / "*.jsonl.zst"))
    remote = thresher.DSIR(num_buckets=2000).fit(
        f"s3://{BUCKET}/target/t.jsonl", f"s3://{BUCKET}/in/*.jsonl.zst"
    )
    want = local.select(str(corpus["local"] / "*.jsonl.zst"), 25, seed=4)
    got = remote.select(f"s3://{BUCKET}/in/*.jsonl.zst", 25, seed=4)
    assert got.table.equals(want.table)
