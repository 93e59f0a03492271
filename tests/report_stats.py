"""Run statistics for the report tests: a plausible three-step run, with user text that
needs escaping (a label and a file name holding markup and quotes)."""

from __future__ import annotations

import copy
from typing import Any

#: A label and a file name that would break the page (or run a script) if not escaped.
HOSTILE_LABEL = '<script>alert("x")</script> & <b>bold</b>'
HOSTILE_FILE = 'crawl/"quoted" <img src=x onerror=alert(1)>.jsonl.zst'

_STATS: dict[str, Any] = {
    "title": "Curation of crawl-2026 & friends",
    "thresher_version": "0.1.0",
    "started": "2026-12-03T14:00:00Z",
    "finished": "2026-12-03T15:12:41+00:00",
    "seconds": 4361.5,
    "input": {
        "files": [
            {"path": "crawl/part-0.jsonl.zst", "documents": 2_000_000, "bytes": 1_650_000_000},
            {"path": HOSTILE_FILE, "documents": 1_400_000, "bytes": 1_150_000_000},
        ],
        "documents": 3_400_000,
        "bytes": 5_600_000_000,
        "tokens": 1_310_000_000,
    },
    "steps": [
        {
            "name": "length filter",
            "kind": "filter",
            "documents_in": 3_400_000,
            "documents_out": 3_050_000,
            "bytes_in": 5_600_000_000,
            "bytes_out": 5_420_000_000,
            "tokens_in": 1_310_000_000,
            "tokens_out": 1_270_000_000,
            "seconds": 611.0,
        },
        {
            "name": "near-dedup",
            "kind": "dedup",
            "documents_in": 3_050_000,
            "documents_out": 2_610_000,
            "bytes_in": 5_420_000_000,
            "bytes_out": 4_700_000_000,
            "tokens_in": 1_270_000_000,
            "tokens_out": None,
            "seconds": 1_930.2,
        },
        {
            "name": "DSIR toward wiki",
            "kind": "dsir",
            "documents_in": 2_610_000,
            "documents_out": 500_000,
            "bytes_in": 4_700_000_000,
            "bytes_out": 1_210_000_000,
            "tokens_in": None,
            "tokens_out": 281_000_000,
            "seconds": 1_820.3,
        },
    ],
    "composition": {
        "column": "domain",
        "before": {"web": 2_500_000, "news": 600_000, "code": 299_990, HOSTILE_LABEL: 10},
        "after": {"web": 250_000, "news": 170_000, "code": 79_998, "wiki": 2},
    },
    "histograms": [
        {
            "name": "DSIR log weight",
            "edges": [-8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 4.0],
            "counts": [12_000, 250_000, 900_000, 1_100_000, 330_000, 18_000],
        },
        {"name": "length (words)", "edges": [0, 100, 1000, 10000], "counts": [5, 7, 0]},
    ],
    "cluster_sizes": {"2": 310_000, "3": 41_000, "4": 6_200, "17": 3, "250": 1},
    "output": {
        "documents": 500_000,
        "bytes": 1_210_000_000,
        "tokens": 281_000_000,
        "shards": [
            {"path": f"out/part-{i:05d}.parquet", "rows": 125_000, "bytes": 302_500_000}
            for i in range(4)
        ],
    },
}


def stats() -> dict[str, Any]:
    """A fresh deep copy of the fixture (tests may modify it)."""
    return copy.deepcopy(_STATS)
