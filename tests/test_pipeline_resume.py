"""A pipeline run killed (SIGKILL) after any completed unit and started again with the
same command gives the same output bytes as an uninterrupted run; a changed input or
parameter refuses to resume, saying what changed; --force starts again."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import thresher
from pipeline_corpus import target_path, write_corpus
from thresher.exceptions import ResumeError
from thresher.pipeline.context import Interrupted

PIPELINE = """
title = "resume test"
[input]
paths = ["corpus/*"]
label_column = "domain"
[output]
path = "out/"
shard_size = "80kB"
columns = ["dsir_log_weight", "cluster_id", "words"]
[run]
block_size = "120kB"
[[step]]
type = "length"
min_words = 5
[[step]]
type = "dedup"
threshold = 0.8
[[step]]
type = "dsir"
target = "{target}"
k = 400
[[step]]
type = "sample"
k = 250
seed = 3
"""


def _setup(directory: Path, **changes: str) -> Path:
    write_corpus(directory / "corpus")
    text = PIPELINE.format(target=target_path())
    for old, new in changes.items():
        text = text.replace(old, new)
    path = directory / "pipeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(
    pipeline: Path, kill_after: int | None = None, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("THRESHER_TEST_KILL_AFTER_UNITS", None)
    if kill_after is not None:
        env["THRESHER_TEST_KILL_AFTER_UNITS"] = str(kill_after)
    return subprocess.run(
        [sys.executable, "-m", "thresher.cli", "run", str(pipeline), "--quiet", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=pipeline.parent,
        check=False,
    )


def _checksums(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.glob("part-*"))
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], int]:
    """The output of an uninterrupted run, and its number of units."""
    directory = tmp_path_factory.mktemp("reference")
    pipeline = _setup(directory)
    done = _run(pipeline)
    assert done.returncode == 0, done.stderr
    checksums = _checksums(directory / "out")
    assert len(checksums) >= 3  # several parts, so resume inside the write pass is tested
    # Count the units: kill after a very large number never fires; the run reports none,
    # so count them from the work directory's files instead (blocks, weights, decisions, parts).
    work = directory / "out.work"
    blocks = len(list((work / "annotations").glob("base-*/f*-b*.parquet")))
    weights = len(list((work / "annotations").glob("dsir-*/weights/*.parquet")))
    decisions = len(list((work / "decisions").glob("*.npz")))
    units = blocks + weights + decisions + len(checksums)
    return checksums, units


def test_uninterrupted_run_is_deterministic(
    reference: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    pipeline = _setup(tmp_path)
    assert _run(pipeline).returncode == 0
    assert _checksums(tmp_path / "out") == reference[0]


@pytest.mark.parametrize("share", [0.25, 0.5, 0.75])
def test_resume_after_sigkill(
    reference: tuple[dict[str, str], int], tmp_path: Path, share: float
) -> None:
    checksums, units = reference
    pipeline = _setup(tmp_path)
    killed = _run(pipeline, max(1, round(share * units)))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    manifest = tmp_path / "out" / "manifest.json"
    if manifest.exists():  # an interrupted output never claims to be complete
        assert '"complete": false' in manifest.read_text()
    resumed = _run(pipeline)
    assert resumed.returncode == 0, resumed.stderr
    assert _checksums(tmp_path / "out") == checksums


def test_resume_at_every_unit_boundary(
    reference: tuple[dict[str, str], int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: the hook raises instead of killing (no cleanup runs either way:
    nothing catches it), then the run is resumed; same bytes at every boundary."""
    checksums, units = reference
    assert units >= 10
    for stop_after in range(1, units):
        directory = tmp_path / f"u{stop_after}"
        directory.mkdir()
        pipeline = _setup(directory)
        monkeypatch.setenv("THRESHER_TEST_KILL_AFTER_UNITS", f"{stop_after}:raise")
        with pytest.raises(Interrupted):
            thresher.Pipeline.from_file(pipeline).run(quiet=True)
        monkeypatch.delenv("THRESHER_TEST_KILL_AFTER_UNITS")
        result = thresher.Pipeline.from_file(pipeline).run(quiet=True)
        assert result.resumed
        assert _checksums(directory / "out") == checksums, stop_after


def test_changed_parameter_refuses_to_resume(tmp_path: Path) -> None:
    pipeline = _setup(tmp_path)
    assert _run(pipeline, 3).returncode == -signal.SIGKILL
    pipeline.write_text(pipeline.read_text().replace("threshold = 0.8", "threshold = 0.7"))
    refused = _run(pipeline)
    assert refused.returncode == 2
    assert "cannot resume" in refused.stderr and "0.8" in refused.stderr and "0.7" in refused.stderr
    with pytest.raises(ResumeError, match="threshold"):
        thresher.Pipeline.from_file(pipeline).run(quiet=True)
    assert _run(pipeline, None, "--force").returncode == 0


def test_changed_input_refuses_to_resume(tmp_path: Path) -> None:
    pipeline = _setup(tmp_path)
    assert _run(pipeline, 2).returncode == -signal.SIGKILL
    with open(tmp_path / "corpus" / "a.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": -1, "text": "one more document appended", "domain": "x"}\n')
    refused = _run(pipeline)
    assert refused.returncode == 2
    assert "a.jsonl changed size" in refused.stderr
