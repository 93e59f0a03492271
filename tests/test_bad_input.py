"""Bad input gives a typed exception from thresher.exceptions that says where the
problem is (file and 1-based line, row, column or parameter), and the CLI exits with
code 2 leaving no output file and no temporary file behind."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
import zstandard
from thresher import _core
from thresher.cli import main
from thresher.exceptions import (
    DecompressionError,
    EmptyInputError,
    FieldTypeError,
    InvalidParameterError,
    MissingFieldError,
    ParseError,
    ReadError,
    ThresherError,
)

GOOD = b'{"text": "select id from t where x = 1", "n": 1}\n'

# (bad line, exception, words the message must hold)
BAD_LINES: dict[str, tuple[bytes, type[ThresherError], str]] = {
    "malformed JSON": (b'{"text": "unterminated\n', ParseError, "malformed JSON"),
    "unquoted value": (b'{"text": oops}\n', ParseError, "malformed JSON"),
    "trailing garbage": (b'{"text": "a"} x\n', ParseError, "trailing"),
    "two objects on a line": (b'{"text": "a"}{"text": "b"}\n', ParseError, ""),
    "not an object": (b'["text", "a"]\n', ParseError, "JSON object"),
    "invalid UTF-8": (b'{"text": "caf\xc3 \xff\xfe"}\n', ParseError, "UTF-8"),
    "missing text field": (b'{"body": "a b"}\n', MissingFieldError, '"text"'),
    "null text": (b'{"text": null}\n', MissingFieldError, '"text"'),
    "number as text": (b'{"text": 12}\n', FieldTypeError, "number"),
    "float as text": (b'{"text": -1.5e3}\n', FieldTypeError, "number"),
    "boolean as text": (b'{"text": true}\n', FieldTypeError, "boolean"),
    "object as text": (b'{"text": {"a": "b"}}\n', FieldTypeError, "object"),
    "array as text": (b'{"text": ["a", "b"]}\n', FieldTypeError, "array"),
}

# Where the bad line goes: (good lines before it, blank lines among them). 1500 lines is
# past both the schema inference window (1000 lines) and a batch of 1024 rows.
POSITIONS = {"first line": (0, 0), "after blank lines": (5, 3), "past inference window": (1500, 2)}


def corpus_with_bad_line(good_before: int, blanks: int, bad: bytes) -> tuple[bytes, int]:
    """Good lines, ``blanks`` blank lines spread among them, the bad line, good lines.

    Returns the bytes and the 1-based line number of the bad line."""
    lines = [GOOD] * good_before
    for i in range(blanks):
        lines.insert(min(len(lines), 1 + 2 * i), b"\n" if i % 2 else b"   \t\n")
    line = len(lines) + 1
    return b"".join([*lines, bad, GOOD, GOOD]), line


@pytest.mark.parametrize("position", list(POSITIONS))
@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_bad_line_names_file_and_line(
    kind: str, position: str, write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    bad, error, words = BAD_LINES[kind]
    content, line = corpus_with_bad_line(*POSITIONS[position], bad)
    path = write_bytes("corpus.jsonl", content)
    with pytest.raises(error) as info:
        small_dsir.log_weights(path)
    e = info.value
    assert e.line == line
    assert e.path == str(path)
    assert f"{path}:{line}" in str(e)
    assert words in str(e)
    if isinstance(e, (MissingFieldError, FieldTypeError)):
        assert e.field == "text"


@pytest.mark.parametrize("kind", ["malformed JSON", "number as text", "missing text field"])
def test_bad_line_is_reported_by_fit_and_select_too(
    kind: str,
    write_bytes: Callable[[str, bytes], Path],
    small_dsir: thresher.DSIR,
    target_path: Path,
) -> None:
    bad, error, _ = BAD_LINES[kind]
    content, line = corpus_with_bad_line(40, 1, bad)
    path = write_bytes("corpus.jsonl", content)
    with pytest.raises(error) as info:
        small_dsir.select(path, k=3)
    assert info.value.line == line
    with pytest.raises(error) as info:
        thresher.DSIR(num_buckets=100).fit(target_path, path)
    assert info.value.line == line
    with pytest.raises(error) as info:
        thresher.DSIR(num_buckets=100).fit(path, target_path)
    assert info.value.line == line


def test_bad_line_in_small_batches_names_the_right_line(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    content, line = corpus_with_bad_line(23, 4, b'{"text": 7}\n')
    path = write_bytes("corpus.jsonl", content)
    with pytest.raises(FieldTypeError) as info:
        small_dsir.log_weights(thresher.read(path, batch_size=5))
    assert info.value.line == line


def test_crlf_line_endings_and_blank_lines_count_as_lines(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    good = GOOD.replace(b"\n", b"\r\n")
    content = good * 3 + b"\r\n" + b" \r\n" + good + b'{"text": false}\r\n' + good
    path = write_bytes("crlf.jsonl", content)
    with pytest.raises(FieldTypeError) as info:
        small_dsir.log_weights(path)
    assert info.value.line == 7
    assert small_dsir.log_weights(write_bytes("ok.jsonl", good * 3 + b"\r\n" + good)).shape == (4,)


def test_bad_line_in_second_file_names_that_file(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    first = write_bytes("a.jsonl", GOOD * 10)
    second = write_bytes("b.jsonl.gz", gzip.compress(GOOD * 3 + b"{oops\n"))
    with pytest.raises(ParseError) as info:
        small_dsir.log_weights([first, second])
    assert info.value.path == str(second)
    assert info.value.line == 4


def test_bad_line_in_compressed_file_names_the_decompressed_line(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    content, line = corpus_with_bad_line(30, 2, b'{"text": {"x": 1}}\n')
    path = write_bytes("corpus.jsonl.zst", zstandard.ZstdCompressor().compress(content))
    with pytest.raises(FieldTypeError) as info:
        small_dsir.log_weights(path)
    assert (info.value.path, info.value.line) == (str(path), line)


def test_typed_errors_are_also_builtin_errors(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    path = write_bytes("corpus.jsonl", b'{"text": 1}\n')
    with pytest.raises(TypeError):
        small_dsir.log_weights(path)
    path = write_bytes("corpus2.jsonl", b'{"body": "x"}\n')
    with pytest.raises(KeyError) as info:
        small_dsir.log_weights(path)
    assert not str(info.value).startswith("'")  # not quoted like a bare KeyError
    with pytest.raises(ValueError):
        small_dsir.select(write_bytes("c.jsonl", b"{x\n"), k=1)


# ---------------------------------------------------------------- compressed files
def _truncated(codec: str, raw: bytes, keep: float) -> bytes:
    data = gzip.compress(raw) if codec == "gz" else zstandard.ZstdCompressor().compress(raw)
    return data[: int(len(data) * keep)]


@pytest.mark.parametrize("keep", [0.5, 0.97])
@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_truncated_compressed_file_is_a_decompression_error(
    codec: str,
    keep: float,
    raw_path: Path,
    write_bytes: Callable[[str, bytes], Path],
    small_dsir: thresher.DSIR,
) -> None:
    path = write_bytes(f"corpus.jsonl.{codec}", _truncated(codec, raw_path.read_bytes(), keep))
    with pytest.raises(DecompressionError) as info:
        small_dsir.log_weights(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert ("gzip" if codec == "gz" else "zstd") in str(info.value)


def test_corrupt_gzip_header_is_a_decompression_error(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    data = bytearray(gzip.compress(GOOD * 100))
    data[10:30] = b"\xff" * 20  # destroy the start of the deflate stream
    path = write_bytes("corpus.jsonl.gz", bytes(data))
    with pytest.raises(DecompressionError) as info:
        small_dsir.log_weights(path)
    assert info.value.path == str(path)


# ---------------------------------------------------------------- paths
def test_missing_file_is_a_read_error_naming_it(tmp_path: Path, small_dsir: thresher.DSIR) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(ReadError) as info:
        small_dsir.log_weights(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, OSError)


def test_missing_file_in_a_list_is_a_read_error_naming_it(
    tmp_path: Path, raw_path: Path, small_dsir: thresher.DSIR
) -> None:
    missing = tmp_path / "gone.jsonl"
    with pytest.raises(ReadError, match=r"gone\.jsonl"):
        small_dsir.log_weights([raw_path, missing])


def test_glob_matching_nothing_is_a_read_error_naming_it(
    tmp_path: Path, small_dsir: thresher.DSIR
) -> None:
    pattern = str(tmp_path / "*.jsonl.zst")
    with pytest.raises(ReadError) as info:
        small_dsir.log_weights(pattern)
    assert pattern in str(info.value)


def test_directory_without_corpus_files_is_a_read_error(
    tmp_path: Path, small_dsir: thresher.DSIR
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ReadError, match=re.escape(str(tmp_path))):
        small_dsir.log_weights(tmp_path)


def test_path_below_a_regular_file_is_a_read_error(
    raw_path: Path, small_dsir: thresher.DSIR
) -> None:
    with pytest.raises(ReadError, match=r"raw_small\.jsonl/x\.jsonl"):
        small_dsir.log_weights(raw_path / "x.jsonl")


def test_directory_opened_as_a_file_is_a_read_error(
    tmp_path: Path, small_dsir: thresher.DSIR
) -> None:
    directory = tmp_path / "looks_like.jsonl"
    directory.mkdir()
    with pytest.raises(ReadError) as info:
        small_dsir.log_weights(_core.JsonlFiles([str(directory)], "text", 64))
    assert info.value.path == str(directory)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_a_read_error(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    path = write_bytes("secret.jsonl", GOOD)
    path.chmod(0)
    with pytest.raises(ReadError) as info:
        small_dsir.log_weights(path)
    assert info.value.path == str(path)


def test_unknown_extension_is_an_error_naming_the_file(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    path = write_bytes("corpus.txt", GOOD)
    with pytest.raises(InvalidParameterError, match=r"corpus\.txt"):
        small_dsir.log_weights(path)


def test_corrupt_parquet_is_a_read_error_naming_the_file(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    path = write_bytes("corpus.parquet", b"PAR1 this is not parquet PAR1")
    with pytest.raises(ReadError) as info:
        small_dsir.log_weights(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- empty corpora
@pytest.mark.parametrize("content", [b"", b"\n  \n\r\n"], ids=["empty file", "blank lines"])
def test_empty_target_is_an_empty_input_error(
    content: bytes, write_bytes: Callable[[str, bytes], Path], raw_path: Path
) -> None:
    path = write_bytes("target.jsonl", content)
    with pytest.raises(EmptyInputError, match="target"):
        thresher.DSIR(num_buckets=100).fit(path, raw_path)


def test_target_of_empty_texts_is_an_empty_input_error(raw_path: Path) -> None:
    target = pa.table({"text": ["", "   ", "\n"]})
    with pytest.raises(EmptyInputError, match="target"):
        thresher.DSIR(num_buckets=100).fit(target, raw_path)


def test_empty_raw_corpus_is_an_empty_input_error_when_fitting(
    write_bytes: Callable[[str, bytes], Path], target_path: Path
) -> None:
    path = write_bytes("raw.jsonl.zst", zstandard.ZstdCompressor().compress(b""))
    with pytest.raises(EmptyInputError, match="raw"):
        thresher.DSIR(num_buckets=100).fit(target_path, path)


def test_empty_raw_corpus_is_an_empty_input_error_when_selecting(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    path = write_bytes("raw.jsonl", b"")
    with pytest.raises(EmptyInputError, match="raw"):
        small_dsir.select(path, k=1)
    with pytest.raises(EmptyInputError):
        small_dsir.select(pa.table({"text": pa.array([], pa.string())}), k=1)


def test_empty_corpus_has_no_log_weights(
    write_bytes: Callable[[str, bytes], Path], small_dsir: thresher.DSIR
) -> None:
    weights = small_dsir.log_weights(write_bytes("raw.jsonl", b"\n\n"))
    assert weights.shape == (0,)


# ---------------------------------------------------------------- parameters
def test_k_larger_than_eligible_documents(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    assert len(small_dsir.select(raw_path, k=400, seed=0)) == 400
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k=401)
    assert info.value.parameter == "k"
    assert "401" in str(info.value) and "400" in str(info.value)


def test_k_larger_than_documents_long_enough(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    _, tokens = _core.dsir_log_weights(small_dsir.model, thresher.read(raw_path).stream(), "text")
    eligible = int((tokens >= 300).sum())
    assert 0 < eligible < 400
    assert len(small_dsir.select(raw_path, k=eligible, min_length=300)) == eligible
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k=eligible + 1, min_length=300)
    assert info.value.parameter == "k"
    assert f"only {eligible}" in str(info.value)


@pytest.mark.parametrize("k", [0, -1, -400])
def test_k_not_positive(k: int, small_dsir: thresher.DSIR, raw_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k=k)
    assert info.value.parameter == "k"


@pytest.mark.parametrize("k", [2.5, "3", True, None])
def test_k_not_an_integer(k: Any, small_dsir: thresher.DSIR, raw_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k=k)
    assert info.value.parameter == "k"


def test_k_mapping_must_name_every_target(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k={"other": 3})
    assert info.value.parameter == "k"
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k={"target": 0})
    assert info.value.parameter == "k"


DSIR_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "num_buckets=0": ({"num_buckets": 0}, "num_buckets"),
    "num_buckets=-5": ({"num_buckets": -5}, "num_buckets"),
    "num_buckets=2**32": ({"num_buckets": 2**32}, "num_buckets"),
    "ngrams=0": ({"ngrams": 0}, "ngrams"),
    "ngrams=9": ({"ngrams": 9}, "ngrams"),
    "compat unknown": ({"compat": "dsir-1.0"}, "compat"),
}


@pytest.mark.parametrize("case", list(DSIR_PARAMETERS))
def test_bad_model_parameter_is_named(case: str) -> None:
    kwargs, parameter = DSIR_PARAMETERS[case]
    with pytest.raises(InvalidParameterError) as info:
        thresher.DSIR(**kwargs)
    assert info.value.parameter == parameter
    assert parameter in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"hash": "md5"}, "hash"),
        ({"raw_smoothing": -1.0}, "raw_smoothing"),
        ({"target_smoothing": float("nan")}, "target_smoothing"),
        ({"epsilon": -1e-9}, "epsilon"),
        ({"raw_smoothing": 0.0, "epsilon": 0.0}, "smoothing"),
    ],
)
def test_bad_estimator_parameter_is_named_when_fitting(
    kwargs: dict[str, Any], parameter: str, target_path: Path, raw_path: Path
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        thresher.DSIR(num_buckets=100, **kwargs).fit(target_path, raw_path)
    assert info.value.parameter == parameter


SELECT_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "method": ({"method": "sample"}, "method"),
    "temperature=0": ({"temperature": 0.0}, "temperature"),
    "temperature<0": ({"temperature": -1.0}, "temperature"),
    "temperature=nan": ({"temperature": float("nan")}, "temperature"),
    "temperature=inf": ({"temperature": float("inf")}, "temperature"),
    "clip low>high": ({"clip": (2.0, -2.0)}, "clip"),
    "clip nan": ({"clip": (float("nan"), 1.0)}, "clip"),
    "normalize": ({"normalize": "per_doc"}, "normalize"),
    "min_length<0": ({"min_length": -1}, "min_length"),
    "seed<0": ({"seed": -1}, "seed"),
    "seed>=2**64": ({"seed": 2**64}, "seed"),
    "columns": ({"columns": "some"}, "columns"),
}


@pytest.mark.parametrize("case", list(SELECT_PARAMETERS))
def test_bad_select_parameter_is_named(
    case: str, small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    kwargs, parameter = SELECT_PARAMETERS[case]
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.select(raw_path, k=3, **kwargs)
    assert info.value.parameter == parameter
    assert parameter in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"clip": (1.0, 0.0)}, "clip"), ({"normalize": "l2"}, "normalize")],
)
def test_bad_log_weights_parameter_is_named(
    kwargs: dict[str, Any], parameter: str, small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        small_dsir.log_weights(raw_path, **kwargs)
    assert info.value.parameter == parameter


def test_num_tokens_to_fit_must_be_positive(target_path: Path, raw_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        thresher.DSIR(num_buckets=100).fit(target_path, raw_path, num_tokens_to_fit=0)
    assert info.value.parameter == "num_tokens_to_fit"


def test_batch_size_must_be_positive(raw_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        thresher.read(raw_path, batch_size=0)
    assert info.value.parameter == "batch_size"


def test_unfitted_model_is_a_clear_error(raw_path: Path) -> None:
    dsir = thresher.DSIR(num_buckets=100)
    with pytest.raises(InvalidParameterError, match="not fitted"):
        dsir.log_weights(raw_path)
    with pytest.raises(InvalidParameterError, match="not fitted"):
        dsir.select(raw_path, k=3)
    with pytest.raises(InvalidParameterError, match="not fitted"):
        dsir.save(raw_path.parent / "never-written.npz")


def test_unsupported_object_is_a_clear_error(small_dsir: thresher.DSIR) -> None:
    with pytest.raises(InvalidParameterError, match="dict"):
        small_dsir.log_weights({"text": ["a", "b"]})


# ---------------------------------------------------------------- in-memory tables
def test_null_text_in_table_names_the_row(small_dsir: thresher.DSIR) -> None:
    table = pa.table({"text": ["a b", "c d", None, "e"]})
    with pytest.raises(MissingFieldError) as info:
        small_dsir.log_weights(table)
    assert (info.value.row, info.value.field) == (2, "text")
    assert "row 2" in str(info.value)


def test_null_text_in_later_chunk_names_the_global_row(small_dsir: thresher.DSIR) -> None:
    table = pa.Table.from_batches(
        [pa.record_batch({"text": ["a"] * 5}), pa.record_batch({"text": ["b", "c", None]})]
    )
    with pytest.raises(MissingFieldError) as info:
        small_dsir.select(table, k=1)
    assert info.value.row == 7


def test_null_text_in_parquet_names_file_and_row(tmp_path: Path, small_dsir: thresher.DSIR) -> None:
    path = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"text": ["a b", "c", "d", None, "e"]}), path, row_group_size=2)
    with pytest.raises(MissingFieldError) as info:
        small_dsir.log_weights(path)
    assert info.value.row == 3
    assert info.value.path == str(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "column",
    [
        pa.array([1, 2, 3], pa.int64()),
        pa.array([b"a", b"b", b"c"], pa.binary()),
        pa.array([["a"], ["b"], ["c"]]),
    ],
    ids=["int64", "binary", "list"],
)
def test_non_string_text_column_in_table(column: pa.Array, small_dsir: thresher.DSIR) -> None:
    with pytest.raises(FieldTypeError) as info:
        small_dsir.log_weights(pa.table({"text": column}))
    assert info.value.field == "text"
    assert str(column.type) in str(info.value)


def test_int_text_column_in_parquet_names_the_file(
    tmp_path: Path, small_dsir: thresher.DSIR
) -> None:
    path = tmp_path / "ints.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), path)
    with pytest.raises(FieldTypeError, match=r"ints\.parquet"):
        small_dsir.log_weights(path)


def test_missing_text_column_in_table_lists_the_columns(small_dsir: thresher.DSIR) -> None:
    with pytest.raises(MissingFieldError) as info:
        small_dsir.log_weights(pa.table({"body": ["a"], "id": [1]}))
    assert info.value.field == "text"
    assert "body" in str(info.value)


# ---------------------------------------------------------------- CLI
def run_cli(out: Path, *args: str) -> int:
    return main(["dsir", "-k", "10", "--out", str(out), "--quiet", *args])


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def _cli_raw_with_bad_middle_line(raw_path: Path) -> bytes:
    lines = raw_path.read_bytes().splitlines(keepends=True)
    return b"".join([*lines[:250], b'{"text": 3.5}\n', *lines[250:]])


CLI_CASES: dict[str, Callable[[Path, Path, Path], tuple[list[str], str]]] = {
    # name -> f(tmp, raw_path, target_path) -> (extra CLI args, text stderr must hold)
    "bad line in the middle of raw": lambda tmp, raw, target: (
        [
            "--target",
            str(target),
            "--raw",
            str(_put(tmp / "raw.jsonl", _cli_raw_with_bad_middle_line(raw))),
        ],
        "raw.jsonl:251",
    ),
    "malformed target line": lambda tmp, raw, target: (
        ["--target", str(_put(tmp / "t.jsonl", GOOD * 3 + b"\n{nope\n")), "--raw", str(raw)],
        "t.jsonl:5",
    ),
    "invalid UTF-8": lambda tmp, raw, target: (
        [
            "--target",
            str(target),
            "--raw",
            str(_put(tmp / "r.jsonl", GOOD * 20 + b'{"text": "\xff"}\n')),
        ],
        "r.jsonl:21",
    ),
    "missing text field": lambda tmp, raw, target: (
        [
            "--target",
            str(target),
            "--raw",
            str(_put(tmp / "r.jsonl", GOOD * 20 + b'{"txt": "a"}\n')),
        ],
        "r.jsonl:21",
    ),
    "truncated zst": lambda tmp, raw, target: (
        [
            "--target",
            str(target),
            "--raw",
            str(_put(tmp / "r.jsonl.zst", _truncated("zst", raw.read_bytes(), 0.6))),
        ],
        "r.jsonl.zst",
    ),
    "truncated gz": lambda tmp, raw, target: (
        [
            "--target",
            str(target),
            "--raw",
            str(_put(tmp / "r.jsonl.gz", _truncated("gz", raw.read_bytes(), 0.6))),
        ],
        "r.jsonl.gz",
    ),
    "missing raw file": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(tmp / "absent.jsonl")],
        "absent.jsonl",
    ),
    "glob matching nothing": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(tmp / "*.nothing.jsonl")],
        "*.nothing.jsonl",
    ),
    "empty target": lambda tmp, raw, target: (
        ["--target", str(_put(tmp / "t.jsonl", b"")), "--raw", str(raw)],
        "empty",
    ),
    "k too large": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(raw), "-k", "401"],
        "invalid k",
    ),
    "k zero": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(raw), "-k", "0"],
        "invalid k",
    ),
    "temperature zero": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(raw), "--temperature", "0"],
        "temperature",
    ),
    "num-buckets zero": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(raw), "--num-buckets", "0"],
        "num_buckets",
    ),
    "ngrams zero": lambda tmp, raw, target: (
        ["--target", str(target), "--raw", str(raw), "--ngrams", "0"],
        "ngrams",
    ),
}


def _put(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("out_name", ["sel.parquet", "sel.jsonl", "sel.jsonl.zst"])
@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_error_exits_2_and_leaves_no_file(
    case: str,
    out_name: str,
    tmp_path: Path,
    out_dir: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    args, words = CLI_CASES[case](tmp_path, raw_path, target_path)
    model = out_dir / "model.npz" if case == "bad line in the middle of raw" else None
    extra = ["--save-model", str(model)] if model else []
    # argparse keeps the last -k given, so a case's own -k wins over run_cli's.
    assert run_cli(out_dir / out_name, *args, *extra) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("thresher: error: ")
    assert words in captured.err
    assert captured.out == ""
    assert listing(out_dir) == []  # no output, no temporary file, no model


def test_cli_error_keeps_an_existing_output_untouched(
    tmp_path: Path,
    out_dir: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    out = out_dir / "sel.jsonl.zst"
    out.write_bytes(b"previous result")
    bad = _put(tmp_path / "raw.jsonl", _cli_raw_with_bad_middle_line(raw_path))
    assert run_cli(out, "--target", str(target_path), "--raw", str(bad)) == 2
    assert out.read_bytes() == b"previous result"
    assert listing(out_dir) == ["sel.jsonl.zst"]


def test_cli_bad_output_extension_writes_nothing(
    out_dir: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    assert run_cli(out_dir / "sel.csv", "--target", str(target_path), "--raw", str(raw_path)) == 2
    assert "sel.csv" in capsys.readouterr().err
    assert listing(out_dir) == []


def test_cli_missing_output_directory_is_an_error(
    out_dir: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    out = out_dir / "no" / "such" / "sel.jsonl"
    assert run_cli(out, "--target", str(target_path), "--raw", str(raw_path)) == 2
    assert "sel.jsonl" in capsys.readouterr().err
    assert listing(out_dir) == []


def test_cli_bad_model_file_is_an_error(
    out_dir: Path,
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    model = _put(tmp_path / "model.npz", b"not a zip file")
    args = ["--target", str(target_path), "--raw", str(raw_path), "--load-model", str(model)]
    assert run_cli(out_dir / "sel.parquet", *args) == 2
    assert "model.npz" in capsys.readouterr().err
    assert listing(out_dir) == []


def test_cli_succeeds_on_the_same_input_without_the_bad_line(
    out_dir: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    # The control for the failure cases above: the command line itself is fine.
    assert (
        run_cli(out_dir / "sel.parquet", "--target", str(target_path), "--raw", str(raw_path)) == 0
    )
    assert listing(out_dir) == ["sel.parquet"]
    assert pq.read_table(out_dir / "sel.parquet").num_rows == 10
    assert np.all(np.diff(pq.read_table(out_dir / "sel.parquet").column("dsir_row").to_numpy()) > 0)


def test_parquet_files_with_different_schemas_name_the_odd_file(
    tmp_path: Path, small_dsir: thresher.DSIR
) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pq.write_table(pa.table({"text": ["a b", "c"], "id": [1, 2]}), first)
    pq.write_table(pa.table({"text": ["d"], "id": ["three"]}), second)
    with pytest.raises(FieldTypeError) as info:
        small_dsir.log_weights([first, second])
    assert str(second) in str(info.value)
