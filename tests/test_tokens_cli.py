"""``thresher tokens`` and ``--tokens`` on ``thresher dsir`` and ``thresher sample``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from thresher import sample
from thresher.cli import main
from thresher.tokens import TokenCounter

tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def tokenizer_path(tmp_path_factory: pytest.TempPathFactory, raw_path: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    lines = raw_path.read_text("utf-8").splitlines()
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        (json.loads(line)["text"] for line in lines),
        trainers.BpeTrainer(vocab_size=600, special_tokens=["[UNK]"], show_progress=False),
    )
    path = tmp_path_factory.mktemp("cli") / "tokenizer.json"
    tok.save(str(path))
    return path


def test_thresher_tokens_writes_the_counts(
    tmp_path: Path, raw_path: Path, tokenizer_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = TokenCounter(tokenizer_path).count(raw_path)
    out = tmp_path / "counts.parquet"
    args = ["tokens", str(raw_path), "--tokenizer", str(tokenizer_path), "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    assert f"counted {int(expected.sum()):,} tokens in 400 documents" in capsys.readouterr().out
    table = pq.read_table(out)
    assert table.column("row").to_pylist() == list(range(400))
    assert table.column("tokens").to_pylist() == expected.tolist()
    npy = tmp_path / "counts.npy"
    assert main([*args[:-1], str(npy), "--quiet"]) == 0
    assert np.load(npy).tolist() == expected.tolist()


def test_a_bad_tokenizer_is_exit_code_2(
    tmp_path: Path, raw_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_text("[]", "utf-8")
    out = tmp_path / "counts.parquet"
    assert main(["tokens", str(raw_path), "--tokenizer", str(bad), "--out", str(out)]) == 2
    assert "not a valid tokenizer file" in capsys.readouterr().err
    assert not out.exists()


def test_sample_by_tokens_from_a_column_and_a_tokenizer(
    tmp_path: Path, raw_table: pa.Table, tokenizer_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lengths = TokenCounter(tokenizer_path).count(raw_table)
    corpus = tmp_path / "corpus.parquet"
    pq.write_table(raw_table.append_column("n", pa.array(lengths)), corpus)
    out = tmp_path / "sample.parquet"
    base = ["sample", str(corpus), "--out", str(out), "--seed", "4", "--quiet"]
    assert main([*base, "--tokens", "2e4", "--token-column", "n"]) == 0
    assert "tokens" in capsys.readouterr().out
    expected = sample.uniform(len(lengths), tokens=20_000, token_counts=lengths, seed=4)
    assert pq.read_table(out).column("row").to_pylist() == expected.tolist()
    assert main([*base, "--tokens", "20000", "--tokenizer", str(tokenizer_path)]) == 0
    got = pq.read_table(out)
    assert got.column("row").to_pylist() == expected.tolist()
    assert got.column("tokens").to_pylist() == lengths[expected].tolist()
    # A mixture by tokens over the domain column.
    mix = ["--by", "domain", "--mixture", "java=3,rust=1", "--tokens", "8000"]
    assert main([*base, *mix, "--token-column", "n"]) == 0
    table = pq.read_table(out)
    assert set(table.column("domain").to_pylist()) == {"java", "rust"}
    for domain, budget in (("java", 6000), ("rust", 2000)):
        mine = table.filter(pa.compute.equal(table.column("domain"), domain))
        assert sum(mine.column("n").to_pylist()) <= budget


def test_k_and_tokens_exclude_each_other(
    tmp_path: Path, raw_path: Path, tokenizer_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "o.parquet")
    with pytest.raises(SystemExit) as info:
        main(["sample", str(raw_path), "-k", "3", "--tokens", "100", "--out", out])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["sample", str(raw_path), "--tokens", "100", "--out", out]) == 2
    assert "--tokens needs --tokenizer" in capsys.readouterr().err
    assert main(["sample", str(raw_path), "-k", "3", "--token-column", "n", "--out", out]) == 2
    assert "go with --tokens" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sample", str(raw_path), "--tokens", "1.5", "--out", out])
    assert "whole number" in capsys.readouterr().err


def test_dsir_by_tokens(
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    tokenizer_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "sel.parquet"
    args = ["dsir", "--target", str(target_path), "--raw", str(raw_path), "--out", str(out)]
    args += ["--tokens", "1e4", "--tokenizer", str(tokenizer_path), "--num-buckets", "2000"]
    assert main([*args, "--quiet"]) == 0
    report = capsys.readouterr().out
    table = pq.read_table(out)
    total = sum(table.column("dsir_tokens").to_pylist())
    assert total <= 10_000
    assert f"({total:,} tokens)" in report
    with pytest.raises(SystemExit):
        main([*args, "-k", "4"])
