#!/usr/bin/env python
"""Near-duplicate removal end to end: thresher versus datasketch and rensa.

Builds a corpus from the first N documents of ``docs/raw.jsonl.zst`` plus injected
near-duplicates (copies of random documents with a few random word edits), then times
each tool from raw text (a list of Python strings in memory) to the set of removed
documents, in a fresh Python process per run, and scores the removed set against
ground truth made of exact Jaccard similarities.

Tools (threshold 0.8, 128 permutations, word 5-gram shingles on the same normalised
text, the same LSH banding, candidates verified, keep the first document):

- ``thresher``: ``thresher.dedup(texts=texts)`` (the list read in place; candidates
  verified by exact Jaccard, the default);
- ``thresher signature``: the same with ``verify="signature"`` (estimated Jaccard);
- ``datasketch``: Python shingling, ``MinHash.bulk``, ``MinHashLSH``; each document is
  queried, verified with ``MinHash.jaccard`` and inserted if it is kept;
- ``rensa``: Python shingling, ``RMinHash.from_token_sets``, ``RMinHashLSH``, the same
  loop.

Usage::

    python benches/bench_dedup.py                 # 30,000 documents + 20% copies
    python benches/bench_dedup.py --docs 5000     # a quick run
    python benches/bench_dedup.py --skip-peers    # thresher only

See benches/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
RAW = CORPORA / "docs" / "raw.jsonl.zst"
RESULTS = HERE / "results"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "thresher-bench-dedup"
PACKAGES = ("thresher", "datasketch", "rensa", "numpy", "pyarrow", "scipy")
THRESHOLD = 0.8
NUM_PERM = 128
NGRAM = 5
TOOLS = ("thresher", "thresher signature", "datasketch", "rensa")

# thresher's default normalisation (lowercase, punctuation to space, whitespace
# collapsed) in Python, as a datasketch or rensa user writes it.
_PUNCT = re.compile(r"[^\w\s]")


def py_shingles(text: str) -> set[str]:
    tokens = _PUNCT.sub(" ", text.lower()).split()
    if not tokens:
        return set()
    if len(tokens) < NGRAM:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)}


# =========================================================================== workers
def _rss_now_mb() -> float:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * common.PAGE_SIZE / 1e6


def _load(spec: dict[str, Any]) -> list[str]:
    import pyarrow.parquet as pq

    texts: list[str] = pq.read_table(spec["corpus"]).column("text").to_pylist()
    return texts


def greedy_keep_first(
    sketches: list[Any], non_empty: list[bool], lsh: Any, pairs: list[tuple[int, int]]
) -> list[int]:
    """The usual peer loop: query each document's candidates among the kept ones,
    verify them with the sketches' Jaccard estimate, insert the document if it is kept.
    Returns the removed documents; appends (removed, matched) to ``pairs``."""
    removed = []
    for i, m in enumerate(sketches):
        if not non_empty[i]:
            continue
        match = next((c for c in lsh.query(m) if m.jaccard(sketches[c]) >= THRESHOLD), None)
        if match is None:
            lsh.insert(i, m)
        else:
            removed.append(i)
            pairs.append((i, match))
    return removed


def _worker(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    texts = _load(spec)
    bands, rows = spec["bands"], spec["rows"]
    pairs: list[tuple[int, int]] = []
    if kind.startswith("thresher"):
        import thresher

        if spec["threads"]:
            thresher.set_num_threads(spec["threads"])
        rss_loaded = _rss_now_mb()
        c0, t0 = time.process_time(), time.perf_counter()
        result = thresher.dedup(
            texts=texts,
            threshold=THRESHOLD,
            num_perm=NUM_PERM,
            ngram=NGRAM,
            bands=bands,
            rows=rows,
            verify="signature" if kind == "thresher signature" else "exact",
        )
        removed = result.removed.tolist()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        pairs = [(d, int(result.cluster_id[d])) for d in removed]
    elif kind == "datasketch":
        from datasketch import MinHash, MinHashLSH

        rss_loaded = _rss_now_mb()
        c0, t0 = time.process_time(), time.perf_counter()
        sets = [[s.encode("utf8") for s in py_shingles(t)] for t in texts]
        sketches = MinHash.bulk(sets, num_perm=NUM_PERM)
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(bands, rows))
        removed = greedy_keep_first(sketches, [bool(x) for x in sets], lsh, pairs)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    elif kind == "rensa":
        from rensa import RMinHash, RMinHashLSH

        rss_loaded = _rss_now_mb()
        c0, t0 = time.process_time(), time.perf_counter()
        token_sets = [list(py_shingles(t)) for t in texts]
        sketches = RMinHash.from_token_sets(token_sets, NUM_PERM, 42)
        lsh = RMinHashLSH(THRESHOLD, NUM_PERM, bands)
        removed = greedy_keep_first(sketches, [bool(x) for x in token_sets], lsh, pairs)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    else:
        raise ValueError(kind)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "removed": removed,
        "pairs": pairs,
        "rss_loaded_mb": rss_loaded,
        "maxrss_mb": common.max_rss_mb(),
    }


# =========================================================================== corpus
def build_corpus(workdir: Path, docs: int, copy_share: float, seed: int) -> dict[str, Any]:
    """The first ``docs`` documents plus near-copies, shuffled; saved as parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import thresher

    path = workdir / f"corpus-{docs}-{copy_share}-{seed}.parquet"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        return meta
    reader = thresher.read(RAW).to_reader()
    base: list[str] = []
    for batch in reader:
        base.extend(batch.column("text").to_pylist())
        if len(base) >= docs:
            break
    base = base[:docs]
    rng = np.random.default_rng(seed)
    vocabulary = [w for t in base[:2000] for w in t.split()]
    sources = rng.choice(len(base), size=int(len(base) * copy_share), replace=False)
    copies = []
    for s in sources:
        words = base[s].split()
        edits = int(rng.integers(1, max(2, len(words) // 25) + 1))
        for _ in range(edits):
            op, at = rng.integers(3), int(rng.integers(max(1, len(words))))
            word = vocabulary[int(rng.integers(len(vocabulary)))]
            if op == 0 and words:
                words[at] = word
            elif op == 1 and len(words) > 1:
                del words[at]
            else:
                words.insert(at, word)
        copies.append(" ".join(words))
    texts = base + copies
    order = rng.permutation(len(texts))
    position = np.empty(len(texts), dtype=np.int64)
    position[order] = np.arange(len(texts))
    shuffled = [texts[i] for i in order]
    injected = [(int(position[s]), int(position[len(base) + c])) for c, s in enumerate(sources)]
    workdir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"text": shuffled}), path)
    meta = {
        "corpus": str(path),
        "documents": len(shuffled),
        "base": len(base),
        "copies": len(copies),
        "bytes": sum(len(t.encode()) for t in shuffled),
        "injected": injected,
    }
    meta_path.write_text(json.dumps(meta))
    return meta


def wide_net_pairs(texts: list[str]) -> set[tuple[int, int]]:
    """Candidate pairs of an LSH tuned for recall far below the threshold (32 bands of
    4 rows, another seed): a pair of Jaccard 0.8 is missed with probability 1e-8."""
    import thresher

    sigs = thresher.MinHasher(128, NGRAM, seed=987_654).signatures(texts)
    pairs: set[tuple[int, int]] = set()
    for b in range(32):
        band = np.ascontiguousarray(sigs[:, 4 * b : 4 * b + 4])
        keys = band.view(np.dtype((np.void, 16))).ravel()
        _, inverse = np.unique(keys, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.flatnonzero(np.diff(inverse[order])) + 1
        for members in np.split(order, bounds):
            if 1 < len(members) <= 200:
                m = members.tolist()
                pairs.update((a, c) for x, a in enumerate(m) for c in m[x + 1 :])
    return pairs


def ground_truth(texts: list[str], pooled: set[tuple[int, int]]) -> tuple[set[int], dict[str, int]]:
    """Removed set of keep-first clusters over pooled pairs of exact Jaccard >= 0.8."""
    shingles: dict[int, set[str]] = {}

    def get(i: int) -> set[str]:
        if i not in shingles:
            shingles[i] = py_shingles(texts[i])
        return shingles[i]

    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    edges = 0
    for a, b in pooled:
        sa, sb = get(a), get(b)
        if not sa or not sb:
            continue
        j = len(sa & sb) / len(sa | sb)
        if j >= THRESHOLD:
            edges += 1
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    removed = {i for i in range(len(texts)) if find(i) != i}
    return removed, {"pooled_pairs": len(pooled), "true_pairs": edges}


# =========================================================================== main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=30_000, help="base documents")
    parser.add_argument("--copies", type=float, default=0.2, help="share of near-copies")
    parser.add_argument("--repeat", type=int, default=3, help="runs of thresher")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs of each peer")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--_worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._worker:
        kind, spec_path, out_path = args._worker
        result = _worker(kind, json.loads(Path(spec_path).read_text()))
        Path(out_path).write_text(json.dumps(result))
        return

    import pyarrow.parquet as pq
    import thresher

    load_start = common.load_average()
    meta = build_corpus(args.workdir, args.docs, args.copies, args.seed)
    texts = pq.read_table(meta["corpus"]).column("text").to_pylist()
    # The banding all tools share (thresher.dedup's default for 0.8 and 128).
    bands, rows = thresher.optimal_param(THRESHOLD, NUM_PERM, 0.05, 0.95)
    spec = {"corpus": meta["corpus"], "threads": args.threads, "bands": bands, "rows": rows}
    tools = TOOLS[:2] if args.skip_peers else TOOLS
    runs: dict[str, list[common.ChildRun]] = {}
    for tool in tools:
        repeat = args.repeat if tool.startswith("thresher") else args.peer_repeat
        for _ in range(repeat):
            run = common.run_child(Path(__file__), tool, spec, args.workdir / "runs")
            runs.setdefault(tool, []).append(run)
            print(f"{tool}: {run.result['seconds']:.2f} s", flush=True)

    pooled = wide_net_pairs(texts)
    pooled.update((min(a, b), max(a, b)) for a, b in meta["injected"])
    for tool_runs in runs.values():
        pooled.update((min(a, b), max(a, b)) for a, b in tool_runs[0].result["pairs"])
    truth, truth_stats = ground_truth(texts, pooled)

    header = [
        "tool",
        "end to end",
        "CPU time",
        "docs/s",
        "MB/s",
        "peak RSS",
        "added RSS",
        "removed",
    ]
    header += ["precision", "recall", "rensa / tool", "(CPU)", "datasketch / tool"]
    seconds = {tool: common.median(r.result["seconds"] for r in rs) for tool, rs in runs.items()}
    cpu = {tool: common.median(r.result["cpu"] for r in rs) for tool, rs in runs.items()}
    table_rows = []
    for tool, tool_runs in runs.items():
        first = tool_runs[0].result
        removed = set(first["removed"])
        hits = len(removed & truth)
        precision = hits / len(removed) if removed else float("nan")
        recall = hits / len(truth) if truth else float("nan")
        peak = max(max(r.result["maxrss_mb"], r.tree_peak_mb) for r in tool_runs)
        added = max(r.result["maxrss_mb"] - r.result["rss_loaded_mb"] for r in tool_runs)
        s = seconds[tool]
        table_rows.append(
            [
                f"**{tool}**" if tool == "thresher" else tool,
                f"{s:.2f} s",
                f"{cpu[tool]:.2f} s",
                f"{meta['documents'] / s:,.0f}",
                f"{meta['bytes'] / s / 1e6:.1f}",
                f"{peak:,.0f} MB",
                f"{added:,.0f} MB",
                f"{len(removed):,}",
                f"{precision:.4f}",
                f"{recall:.4f}",
                f"{seconds['rensa'] / s:.1f}x" if "rensa" in seconds else "n/a",
                f"{cpu['rensa'] / cpu[tool]:.1f}x" if "rensa" in cpu else "n/a",
                f"{seconds['datasketch'] / s:.1f}x" if "datasketch" in seconds else "n/a",
            ]
        )
    info = common.machine_info(PACKAGES, load_start)
    table = common.markdown_table(header, table_rows)
    print(table)
    corpus_line = (
        f"{meta['documents']:,} documents ({meta['base']:,} from `docs/raw.jsonl.zst` + "
        f"{meta['copies']:,} near-copies with 1 to words/25 random word edits each), "
        f"{meta['bytes'] / 1e6:.1f} MB; threshold {THRESHOLD}, {NUM_PERM} permutations, "
        f"word {NGRAM}-grams, LSH {bands} bands x {rows} rows for every tool."
    )
    truth_line = (
        f"Ground truth: {len(truth):,} documents to remove (keep-first clusters of "
        f"{truth_stats['true_pairs']:,} pairs of exact Jaccard >= {THRESHOLD} among "
        f"{truth_stats['pooled_pairs']:,} pooled pairs: the injected pairs, the pairs "
        "every tool reported, and a wide-net LSH of 32 bands x 4 rows with another seed)."
    )
    out = args.out or RESULTS / ("dedup.md" if args.docs == 30_000 else f"dedup-docs{args.docs}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Near-duplicate removal: thresher vs datasketch and rensa\n\n"
        + common.machine_markdown(info)
        + f"\n{corpus_line}\n\n{truth_line}\n\n"
        + "Time: median wall time (and CPU time, all threads) of runs in fresh processes "
        + f"({args.repeat} for thresher, {args.peer_repeat} per peer), from a list of "
        + "Python strings in memory to the removed set, Python-side shingling included "
        + "for the peers. Peak RSS: the larger of the worker's `ru_maxrss` and the "
        + "sampled RSS of its process tree; added RSS: `ru_maxrss` minus the RSS once "
        + "the corpus is loaded (the tool's own memory).\n\n"
        + table
        + "\n\n`python benches/bench_dedup.py "
        + " ".join(a for a in sys.argv[1:])
        + "`\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
