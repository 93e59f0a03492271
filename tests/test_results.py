"""Result objects share one shape: a ``table`` property and ``write(path) -> Path``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from thresher import select, valuation

X = np.array([[0, 0], [0, 1], [10, 0], [10, 1]], dtype=np.float32)
TABLE = pa.table({"text": ["a b c d", "a b c d", "x y z w"], "g": ["u", "u", "v"]})

RESULTS: dict[str, Callable[[], Any]] = {
    "Selection": lambda: (
        thresher.DSIR(num_buckets=64).fit(TABLE, TABLE, cache_raw="never").select(TABLE, k=1)
    ),
    "Deduplication": lambda: thresher.dedup(TABLE, threshold=0.5, ngram=2),
    "GMERanking": lambda: thresher.GME().rank(TABLE, item="text", on=["g"], k=2),
    "Centers": lambda: select.k_center(X, 2),
    "Duplicates": lambda: select.semantic_dedup(X + 1, [0, 0, 1, 1], threshold=0.99),
    "ShapleyEstimate": lambda: valuation.monte_carlo_shapley(
        lambda rows: float(len(rows)), 3, max_permutations=3
    ),
}


@pytest.mark.parametrize("make", list(RESULTS.values()), ids=list(RESULTS))
def test_table_and_write(make: Callable[[], Any], tmp_path: Path) -> None:
    result = make()
    table = result.table
    assert isinstance(table, pa.Table) and table.num_rows > 0
    written = result.write(tmp_path / "out.parquet")
    assert written == tmp_path / "out.parquet"
    assert pq.read_table(written).equals(table)
