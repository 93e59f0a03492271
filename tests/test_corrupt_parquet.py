"""A corrupt Parquet file is a one-line ReadError naming the file (issue 19)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from thresher.cli import main


@pytest.fixture
def parquet(tmp_path):
    path = tmp_path / "ok.parquet"
    pq.write_table(pa.table({"text": [f"document {i}" for i in range(200)]}), path)
    return path


def _damaged(path, offset, data):
    content = bytearray(path.read_bytes())
    content[offset : offset + len(data)] = data
    out = path.with_name("bad.parquet")
    out.write_bytes(bytes(content))
    return out


@pytest.mark.parametrize("where", ["page header", "footer"])
def test_corrupt_parquet_is_one_clean_line(parquet, capsys, where):
    size = parquet.stat().st_size
    bad = _damaged(parquet, 40, b"\0" * 20) if where == "page header" else None
    if bad is None:
        bad = parquet.with_name("bad.parquet")
        bad.write_bytes(parquet.read_bytes()[: size - 12])
    out = str(parquet.with_name("s.jsonl"))
    assert main(["sample", str(bad), "-k", "1", "--out", out]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"thresher: error: {bad}: not a readable Parquet file")
    assert lines[0].endswith(")") and not lines[0].endswith(".)") and "\n)" not in err
