"""Make the README's report screenshot from a real run over the bundled demo corpus.

Runs a small curation of ``demo_raw.jsonl.zst`` with the library's own functions (a
length filter, near-duplicate removal, DSIR selection toward the PostgreSQL target),
measures each step, writes the run statistics and ``report.html`` with
:func:`thresher.report.write_report`, then has headless Chromium take the screenshot:

    python scripts/report_demo.py --out /tmp/demo-report      # report.html, stats.json
    python scripts/report_demo.py --out /tmp/demo-report --png docs/report.png
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import thresher
from thresher.demo import demo_paths
from thresher.io.sources import read
from thresher.report import write_report

MIN_WORDS = 20


def _bytes(table: pa.Table) -> int:
    return int(pc.sum(pc.binary_length(table.column("text"))).as_py() or 0)


def _step(
    name: str, kind: str, before: pa.Table, after: pa.Table, seconds: float
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "documents_in": before.num_rows,
        "documents_out": after.num_rows,
        "bytes_in": _bytes(before),
        "bytes_out": _bytes(after),
        "tokens_in": None,
        "tokens_out": None,
        "seconds": round(seconds, 4),
    }


def run(out: Path) -> dict[str, Any]:
    """Run the demo curation, write its output shard and return the run statistics."""
    target_path, raw_path = demo_paths()
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    raw = read(raw_path).to_reader().read_all()

    t = time.perf_counter()
    words = pc.list_value_length(pc.utf8_split_whitespace(raw.column("text")))
    long_enough = raw.filter(pc.greater_equal(words, MIN_WORDS))
    steps = [
        _step(f"length >= {MIN_WORDS} words", "filter", raw, long_enough, time.perf_counter() - t)
    ]

    t = time.perf_counter()
    found = thresher.dedup(long_enough, threshold=0.8)
    unique = long_enough.filter(pa.array(~found.is_duplicate))
    steps.append(
        _step("near-dedup (Jaccard 0.8)", "dedup", long_enough, unique, time.perf_counter() - t)
    )
    members = Counter(Counter(found.cluster_id.tolist()).values())
    cluster_sizes = {str(size): n for size, n in sorted(members.items()) if size >= 2}

    t = time.perf_counter()
    dsir = thresher.DSIR().fit(target_path, raw_path)
    weights = dsir.log_weights(unique)
    chosen = dsir.select(unique, k=400, seed=0).table
    steps.append(
        _step("DSIR toward PostgreSQL docs", "dsir", unique, chosen, time.perf_counter() - t)
    )
    # A few documents far from the target have very low weights; the bins span the
    # 1st to 99th percentile and the end bins take the values beyond them.
    low, high = np.percentile(weights, [1, 99])
    counts, edges = np.histogram(np.clip(weights, low, high), bins=40, range=(low, high))

    shard = out / "part-00000.parquet"
    thresher.io.writers.write_table(chosen.select(["text", "domain"]), shard)
    seconds = time.perf_counter() - t0
    return {
        "title": "Demo curation: PostgreSQL documentation from 34 domains",
        "thresher_version": thresher.__version__,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "input": {
            "files": [
                {"path": raw_path.name, "documents": raw.num_rows, "bytes": raw_path.stat().st_size}
            ],
            "documents": raw.num_rows,
            "bytes": _bytes(raw),
            "tokens": None,
        },
        "steps": steps,
        "composition": {
            "column": "domain",
            "before": dict(Counter(raw.column("domain").to_pylist())),
            "after": dict(Counter(chosen.column("domain").to_pylist())),
        },
        "histograms": [
            {
                "name": "DSIR log weight (ends clipped to the 1st and 99th percentiles)",
                "edges": edges.tolist(),
                "counts": counts.tolist(),
            }
        ],
        "cluster_sizes": cluster_sizes,
        "output": {
            "documents": chosen.num_rows,
            "bytes": _bytes(chosen),
            "tokens": None,
            "shards": [
                {"path": shard.name, "documents": chosen.num_rows, "bytes": shard.stat().st_size}
            ],
        },
    }


def screenshot(report: Path, png: Path, width: int, height: int) -> None:
    """``report`` as ``png`` by headless Chromium (``--screenshot``)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-prefers-reduced-motion",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                report.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the run's files")
    parser.add_argument("--png", type=Path, help="also write a screenshot here")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=2800, help="2800: the whole demo report")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    stats = run(args.out)
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    report = write_report(stats, args.out / "report.html")
    print(report)
    if args.png:
        screenshot(report, args.png, args.width, args.height)
        print(args.png)


if __name__ == "__main__":
    main()
