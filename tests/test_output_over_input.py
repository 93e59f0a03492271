"""An output never replaces one of its inputs unless the user says so (issue 19)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import thresher
from thresher.cli import main
from thresher.exceptions import InvalidParameterError


def _corpus(path: Path, rows: int = 50) -> Path:
    path.write_text(
        "".join(json.dumps({"text": f"document {i} words"}) + "\n" for i in range(rows))
    )
    return path


def test_sample_onto_its_input_is_refused_and_the_input_kept(tmp_path, capsys):
    corpus = _corpus(tmp_path / "data.jsonl")
    before = corpus.read_bytes()
    assert main(["sample", str(corpus), "-k", "10", "--out", str(corpus)]) == 2
    err = capsys.readouterr().err
    assert "the output is the input" in err and "--overwrite-input" in err
    assert len(err.strip().splitlines()) == 1
    assert corpus.read_bytes() == before


def test_a_link_to_the_input_is_refused(tmp_path):
    corpus = _corpus(tmp_path / "data.jsonl")
    os.symlink(corpus, tmp_path / "soft.jsonl")
    os.link(corpus, tmp_path / "hard.jsonl")
    for link in ("soft.jsonl", "hard.jsonl"):
        out = str(tmp_path / link)
        assert main(["dedup", str(corpus), "--out", out, "--quiet"]) == 2
    assert len(corpus.read_text().splitlines()) == 50


def test_a_directory_output_holding_an_input_is_refused(tmp_path):
    (tmp_path / "in").mkdir()
    corpus = _corpus(tmp_path / "in" / "data.jsonl")
    assert main(["sample", str(tmp_path / "in"), "-k", "5", "--out", f"{tmp_path}/"]) == 2
    assert main(["sample", str(corpus), "-k", "5", "--out", f"{tmp_path}/in/"]) == 2
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["data.jsonl"]


def test_overwrite_input_replaces_it_with_the_complete_output(tmp_path):
    corpus = _corpus(tmp_path / "data.jsonl")
    args = ["sample", str(corpus), "-k", "10", "--out", str(corpus), "--overwrite-input"]
    assert main(args) == 0
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    assert len(rows) == 10 and all(r["text"].startswith("document ") for r in rows)


def test_another_output_is_accepted(tmp_path):
    corpus = _corpus(tmp_path / "data.jsonl")
    assert main(["sample", str(corpus), "-k", "10", "--out", str(tmp_path / "s.jsonl")]) == 0


@pytest.mark.parametrize("threads", [-1, 2**70, 1.5])
def test_bad_thread_counts_are_typed_errors(tmp_path, capsys, threads):
    corpus = _corpus(tmp_path / "data.jsonl")
    with pytest.raises(InvalidParameterError, match="threads"):
        thresher.set_num_threads(threads)  # type: ignore[arg-type]
    if isinstance(threads, int):
        out = str(tmp_path / "s.jsonl")
        args = ["sample", str(corpus), "-k", "3", "--threads", str(threads), "--out", out]
        assert main(args) == 2
        assert "invalid threads" in capsys.readouterr().err
