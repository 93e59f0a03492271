#!/usr/bin/env python
"""``thresher run`` over a corpus larger than its memory budget: peak RSS stays bounded.

Builds (or reuses) a corpus of ``--gb`` GB of JSONL with ``build_corpus.py`` (unique
documents recombined from ``docs/raw.jsonl.zst``, with planted exact and near copies),
then runs three pipelines over it, each a fresh ``thresher run`` process at the default
memory budget (a quarter of RAM, at most 4 GiB) with Parquet output shards:

- ``dedup``: one dedup step (threshold 0.8, 128 permutations, word 5-grams);
- ``dsir``: one DSIR step toward ``docs/target-postgresql.jsonl.zst``, ``k`` = 1% of the
  documents;
- ``sample``: one uniform sample step, 10% of the documents.

Reported for each: wall time, throughput (MB of JSONL per second), peak RSS
(``ru_maxrss`` of the process, from ``wait4``, and the peak sampled RSS). For the dedup
run, the recall of the planted copies (a pair is found when its copy or its original is
removed; the goal is >= 0.95) and how many documents it removed beyond the planted copies.

Equality with the in-memory library on a slice (the first ``--slice`` documents, written
as one file): ``thresher run`` with the dedup step against ``thresher.dedup(...,
verify="signature")``, and with the DSIR step against ``DSIR().fit(target,
slice).select(slice, k, seed)``: the same ids.

Usage::

    python benches/bench_larger_than_ram.py --gb 0.1 --slice 5000    # smoke test
    python benches/bench_larger_than_ram.py --gb 10                  # what fits the time

The issue asks for 30 GB on this 24 GB machine; the script prints the disk and memory it
found and the size it ran. Results: ``benches/results/pipeline-larger-than-ram.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402
import pipeline_common as pc  # noqa: E402

RESULTS = HERE / "results"
DEFAULT_WORKDIR = Path("/work/bench-larger-than-ram")
TARGET = pc.CORPORA / "docs" / "target-postgresql.jsonl.zst"


def config(inputs: str | list[str], run_dir: Path, step: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": f"bench: larger than RAM ({step['type']})",
        "input": {
            "paths": inputs if isinstance(inputs, list) else [inputs],
            "label_column": "domain",
        },
        "output": {"path": str(run_dir / "output") + "/", "format": "parquet"},
        "run": {"work_dir": str(run_dir / "work")},
        "step": [step],
    }


def run_pipeline(inputs: str, run_dir: Path, step: dict[str, Any], threads: int) -> dict[str, Any]:
    """A fresh ``thresher run`` of one step, from an empty directory; its measures,
    output ids and summary."""
    shutil.rmtree(run_dir, ignore_errors=True)
    toml = pc.write_pipeline(run_dir / "pipeline.toml", config(inputs, run_dir, step))
    m = pc.measure(pc.thresher_run(toml, threads), run_dir / "log.txt", env=pc.thresher_env())
    log = (run_dir / "log.txt").read_text(errors="replace")
    if m["code"] != 0:
        print(log[-3000:])
        raise SystemExit(f"thresher run ({step['type']}) failed with exit code {m['code']}")
    m["ids"] = pc.ids_of(run_dir / "output")
    m["summary"] = next((line for line in log.splitlines() if "corpus read" in line), "")
    shutil.rmtree(run_dir / "work", ignore_errors=True)
    return m


def all_ids(info: dict[str, Any]) -> list[str]:
    """Every id of a build_corpus corpus, in order (shard and row make the id)."""
    return [
        f"{s:05d}-{r:07d}" for s, shard in enumerate(info["shards"]) for r in range(shard["rows"])
    ]


def write_slice(corpus: Path, out: Path, n: int) -> Any:
    """The first ``n`` documents as one JSONL file (and as a table)."""
    import pyarrow as pa
    import zstandard

    rows = []
    for row in pc.iter_rows(corpus, ["id", "text", "domain"], pc.CORPUS_SHARDS):
        rows.append(row)
        if len(rows) >= n:
            break
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f, zstandard.ZstdCompressor(level=3).stream_writer(f) as w:
        for i, text, domain in rows:
            w.write(json.dumps({"id": i, "text": text, "domain": domain}).encode() + b"\n")
    ids, texts, domains = zip(*rows, strict=True)
    return pa.table({"id": list(ids), "text": list(texts), "domain": list(domains)})


def slice_checks(
    corpus: Path, work: Path, n: int, threads: int, runs: list[str]
) -> list[tuple[str, int, int, bool]]:
    """(check, pipeline count, library count, same ids) on the first ``n`` documents."""
    sys.path.insert(0, str(pc.REPO / "python"))
    import thresher

    thresher.set_num_threads(threads)
    path = work / "slice" / "slice.jsonl.zst"
    table = write_slice(corpus, path, n)
    ids = np.array(table.column("id").to_pylist())
    out = []

    if "dedup" in runs:
        step = {"type": "dedup", "threshold": 0.8}
        dedup = run_pipeline(str(path), work / "slice-dedup", step, threads)
        found = thresher.dedup(table, threshold=0.8, verify="signature")
        expected = ids[~found.is_duplicate].tolist()
        check = "dedup kept (vs thresher.dedup, verify='signature')"
        out.append((check, len(dedup["ids"]), len(expected), dedup["ids"] == expected))
    if "dsir" not in runs:
        return out

    k = max(1, n // 100)
    step = {"type": "dsir", "target": str(TARGET), "k": k, "seed": 0}
    dsir = run_pipeline(str(path), work / "slice-dsir", step, threads)
    chosen = thresher.DSIR().fit(TARGET, table).select(table, k=k, seed=0)
    expected = sorted(ids[chosen.rows.astype(np.int64)].tolist())
    same = sorted(dsir["ids"]) == expected
    out.append(("dsir selected (vs DSIR.select)", len(dsir["ids"]), len(expected), same))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gb", type=float, required=True, help="corpus size (10^9 bytes of JSONL)")
    p.add_argument("--corpus", type=Path, help="a corpus from build_corpus.py (else built)")
    p.add_argument(
        "--shards", type=int, default=0, help="use only the first N shards of the corpus (0: all)"
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--slice", type=int, default=50_000, help="documents of the equality checks")
    p.add_argument("--runs", default="dedup,dsir,sample", help="which runs ('' for none)")
    p.add_argument(
        "--slice-checks", default="dedup,dsir", help="which equality checks on the slice"
    )
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--out", type=Path, default=RESULTS / "pipeline-larger-than-ram.md")
    args = p.parse_args(argv)

    load_start = common.load_average()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    disk = shutil.disk_usage(work)
    ram = common.mem_total_gb() or 0.0
    print(
        f"disk free at {work}: {disk.free / 1e9:.0f} GB; RAM {ram:.1f} GB; corpus {args.gb} GB "
        "(the issue asks for 30 GB)",
        flush=True,
    )
    built = time.perf_counter()
    corpus = args.corpus or pc.ensure_corpus(work / f"corpus-{args.gb}", args.gb)
    built = time.perf_counter() - built
    info = pc.corpus_info(corpus)
    if args.shards:
        # A prefix of the shards is a corpus too: copies live in their original's shard.
        info["shards"] = info["shards"][: args.shards]
        for key in ("rows", "bytes", "compressed"):
            info[key] = sum(s[key] for s in info["shards"])
    mb = info["bytes"] / 1e6
    names = [s["file"] for s in info["shards"]]
    inputs: str | list[str] = [str(corpus / n) for n in names]
    rows = info["rows"]

    steps = {
        "dedup": {"type": "dedup", "threshold": 0.8},
        "dsir": {"type": "dsir", "target": str(TARGET), "k": rows // 100, "seed": 0},
        "sample": {"type": "sample", "fraction": 0.1, "seed": 0},
    }
    results: dict[str, dict[str, Any]] = {}
    for name in [r for r in args.runs.split(",") if r]:
        m = run_pipeline(inputs, work / f"run-{name}", steps[name], args.threads)
        results[name] = m
        print(
            f"{name}: {m['wall']:.1f} s, {mb / m['wall']:.1f} MB/s, peak RSS "
            f"{m['maxrss_mb']:,.0f} MB, {len(m['ids']):,} kept; {m['summary'].strip()}",
            flush=True,
        )

    notes = []
    if "dedup" in results:
        kept = set(results["dedup"]["ids"])
        removed = set(all_ids(info)) - kept
        with open(corpus / "planted.jsonl", encoding="utf-8") as f:
            planted = [json.loads(line) for line in f]
        files = set(names)
        planted = [q for q in planted if f"part-{q['id'][:5]}.jsonl.zst" in files]
        for kind in ("exact", "near"):
            pairs = [q for q in planted if q["kind"] == kind]
            found = sum(q["id"] in removed or q["original"] in removed for q in pairs)
            notes.append(
                f"- dedup recall of planted {kind} copies: {found:,} / {len(pairs):,} = "
                f"**{found / max(1, len(pairs)):.4f}**"
            )
        copies = {q["id"] for q in planted}
        notes.append(
            f"- dedup removed {len(removed):,} documents: {len(removed & copies):,} planted "
            f"copies, {len(removed - copies):,} others (near-duplicates the recombination "
            "made by chance, or originals removed in place of a copy)"
        )
        results["dedup"]["removed"] = len(removed)

    runs = args.slice_checks.split(",")
    checks = slice_checks(corpus, work, args.slice, args.threads, runs) if args.slice else []

    table = [
        [
            name,
            common.fmt(m["wall"], 1),
            common.fmt(mb / m["wall"], 1),
            common.fmt(m["maxrss_mb"], 0),
            common.fmt(m["tree_peak_mb"], 0),
            common.fmt(len(m["ids"])),
            m["summary"].split(";")[-1].strip(),
        ]
        for name, m in results.items()
    ]
    lines = [
        "# thresher run over a corpus larger than its memory budget",
        "",
        common.machine_markdown(common.machine_info(("thresher", "numpy", "pyarrow"), load_start)),
        f"- disk free at the start: {disk.free / 1e9:.0f} GB; RAM {ram:.1f} GB; "
        f"memory budget: thresher's default (a quarter of RAM, at most 4 GiB)",
        f"- corpus size: **{mb / 1e3:.2f} GB of JSONL** ({info['compressed'] / 1e9:.2f} GB zstd, "
        f"{rows:,} documents, {len(info['shards'])} shards); the issue asks for 30 GB, "
        "this is what fitted the session's time"
        + (f" (built in {built:.0f} s)" if built > 5 else ""),
        "",
        common.markdown_table(
            ["run", "wall s", "MB/s", "peak RSS MB", "peak sampled RSS MB", "kept", "reads"],
            table,
        )
        if table
        else "",
        "",
        *notes,
        "",
    ]
    if checks:
        lines += [
            f"Equality with the in-memory library on the first {args.slice:,} documents:",
            "",
            common.markdown_table(
                ["check", "thresher run", "library", "same ids"],
                [
                    [c, common.fmt(a), common.fmt(b), "yes" if ok else "NO"]
                    for c, a, b, ok in checks
                ],
            ),
            "",
        ]
    common.publish("\n".join(lines), args.out)
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
