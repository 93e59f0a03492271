"""Bad input to deduplication: a typed error naming the row, line or parameter at
fault, and nothing written by the CLI."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pyarrow as pa
import pytest
import thresher
from thresher.cli import main
from thresher.exceptions import (
    EmptyInputError,
    FieldTypeError,
    InvalidParameterError,
    MissingFieldError,
    ParseError,
)

TEXTS = pa.table({"text": ["a b c d e", "a b c d f", "x y z"], "q": [1.0, 2.0, 3.0]})


@pytest.mark.parametrize("method", ["minhash", "exact"])
def test_empty_corpus(method: str, tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="empty"):
        thresher.dedup(pa.table({"text": pa.array([], pa.string())}), method=method)  # type: ignore[arg-type]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(EmptyInputError):
        thresher.dedup(empty, method=method)  # type: ignore[arg-type]


def test_null_text_names_the_row() -> None:
    table = pa.table({"text": ["a b", "c d", None, "e"]})
    with pytest.raises(MissingFieldError) as info:
        thresher.dedup(table)
    assert info.value.row == 2 and info.value.field == "text"
    with pytest.raises(MissingFieldError):
        thresher.MinHasher().signatures(pa.array(["a", None]))


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.2, 1.5, math.nan])
def test_threshold_outside_the_open_interval(threshold: float) -> None:
    with pytest.raises(InvalidParameterError) as info:
        thresher.dedup(TEXTS, threshold=threshold)
    assert info.value.parameter == "threshold"
    with pytest.raises(InvalidParameterError):
        thresher.optimal_param(threshold, 128)


def test_bands_must_divide_num_perm() -> None:
    with pytest.raises(InvalidParameterError, match="multiple of bands") as info:
        thresher.dedup(TEXTS, num_perm=128, bands=7)
    assert info.value.parameter == "bands"
    with pytest.raises(InvalidParameterError, match="exceeds"):
        thresher.dedup(TEXTS, num_perm=64, bands=10, rows=7)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"num_perm": 0}, "num_perm"),
        ({"ngram": 0}, "ngram"),
        ({"keep": "last"}, "keep"),
        ({"keep": "score"}, "score"),
        ({"output": "both"}, "output"),
        ({"scheme": "md5"}, "scheme"),
        ({"scheme": "legacy", "seed": 2**40}, "seed"),
        ({"method": "exact", "keep": "longest"}, "keep"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        thresher.dedup(TEXTS, **kwargs)  # type: ignore[arg-type]
    assert info.value.parameter == parameter


def test_score_mismatches() -> None:
    with pytest.raises(InvalidParameterError, match="2 values but the corpus has 3") as info:
        thresher.dedup(TEXTS, keep="score", score=[1.0, 2.0])
    assert info.value.parameter == "score"
    with pytest.raises(MissingFieldError) as missing:
        thresher.dedup(TEXTS, keep="score", score="quality")
    assert missing.value.field == "quality"
    with pytest.raises(FieldTypeError):
        thresher.dedup(TEXTS, keep="score", score="text")
    nulls = TEXTS.set_column(1, "q", pa.array([1.0, None, 3.0]))
    with pytest.raises(MissingFieldError) as null:
        thresher.dedup(nulls, keep="score", score="q")
    assert null.value.row == 1


def test_invalid_utf8_names_the_line_and_cli_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b'{"text": "fine text"}\n{"text": "also fine"}\n{"text": "caf\xc3 \xff"}\n')
    with pytest.raises(ParseError, match="UTF-8") as info:
        thresher.dedup(source)
    assert info.value.line == 3 and info.value.path == str(source)
    out = tmp_path / "out.parquet"
    assert main(["dedup", str(source), "--out", str(out), "--quiet"]) == 2
    assert os.listdir(tmp_path) == ["bad.jsonl"]


def test_texts_list_items_name_their_row() -> None:
    with pytest.raises(MissingFieldError) as missing:
        thresher.dedup(texts=["a b", None, "c"])  # type: ignore[list-item]
    assert missing.value.row == 1
    with pytest.raises(FieldTypeError, match="int") as wrong:
        thresher.dedup(texts=["a b", "c", 3])  # type: ignore[list-item]
    assert wrong.value.row == 2
    with pytest.raises(MissingFieldError):
        thresher.MinHasher().signatures(["a", None])
    with pytest.raises(EmptyInputError):
        thresher.dedup(texts=[])
    with pytest.raises(InvalidParameterError, match="exactly one") as both:
        thresher.dedup(TEXTS, texts=["a"])
    assert both.value.parameter == "source"
    with pytest.raises(ParseError) as surrogate:
        thresher.dedup(texts=["fine", "lone \ud800 surrogate"])
    assert surrogate.value.row == 1
