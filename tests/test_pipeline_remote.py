"""A pipeline reading its corpus from s3:// and writing its shards and manifest to
s3:// (a local S3-compatible server, moto, started by the test) writes the same bytes
as the same pipeline run on local files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import thresher
from pipeline_corpus import write_corpus

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

from test_remote_storage import BUCKET, s3

__all__ = ["s3"]

STEPS = [{"type": "length", "min_words": 20}, {"type": "sample", "k": 300, "seed": 2}]


def _config(paths: list[str], out: str, work: Path) -> dict[str, Any]:
    return {
        "input": {"paths": paths, "label_column": "domain"},
        "output": {"path": out, "shard_size": 100_000},
        "run": {"block_size": 100_000, "work_dir": str(work)},
        "step": STEPS,
    }


def test_pipeline_from_and_to_s3_equals_local(s3: Any, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "corpus")
    for path in files:
        s3.put_file(str(path), f"{BUCKET}/pipe/in/{path.name}")
    local = thresher.Pipeline(
        _config([str(tmp_path / "corpus")], f"{tmp_path}/out/", tmp_path / "w1")
    )
    local_result = local.run(quiet=True)
    remote = thresher.Pipeline(
        _config([f"s3://{BUCKET}/pipe/in/*"], f"s3://{BUCKET}/pipe/out/", tmp_path / "w2")
    )
    remote_result = remote.run(quiet=True)
    assert [s.name for s in remote_result.shards] == [s.name for s in local_result.shards]
    assert len(local_result.shards) >= 2
    for shard in local_result.shards:
        mine = (tmp_path / "out" / shard.name).read_bytes()
        theirs = s3.cat_file(f"{BUCKET}/pipe/out/{shard.name}")
        assert hashlib.sha256(theirs).hexdigest() == hashlib.sha256(mine).hexdigest()
    manifest = json.loads(s3.cat_file(f"{BUCKET}/pipe/out/manifest.json"))
    assert manifest["complete"] and len(manifest["inputs"]) == 3
    assert remote_result.stats["output"]["documents"] == 300
