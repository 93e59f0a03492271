"""A JSONL file starting with a byte-order mark is read, and exact dedup keeps distinct
documents that normalisation empties apart (issue 19)."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest
import thresher

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
@pytest.mark.parametrize("parallel", [False, True])
def test_a_byte_order_mark_is_skipped(tmp_path, suffix, parallel):
    body = BOM + b"".join(json.dumps({"text": f"t{i}"}).encode() + b"\n" for i in range(5))
    path = tmp_path / f"bom{suffix}"
    path.write_bytes(gzip.compress(body) if suffix.endswith(".gz") else body)
    from thresher import _core

    table = pa.table(_core.JsonlFiles([str(path)], parallel=parallel))
    assert table.column("text").to_pylist() == [f"t{i}" for i in range(5)]


def test_errors_after_a_byte_order_mark_keep_their_line(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(BOM + b'{"text": "a"}\n{"text": \n')
    with pytest.raises(
        thresher.exceptions.ParseError, match=r"bom.jsonl:2: malformed JSON at column 9"
    ):
        thresher.read(path).to_reader().read_all()


def test_exact_dedup_keeps_distinct_punctuation_and_emoji_documents():
    texts = ["!!!", "???", "...", "😀😀", "🎉", "!!!", "  ???\n", "Hello!", "hello"]
    result = thresher.dedup(pa.table({"text": texts}), method="exact")
    assert [texts[i] for i in result.removed] == ["!!!", "  ???\n", "hello"]
