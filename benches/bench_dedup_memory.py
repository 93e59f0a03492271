"""Peak memory and wall time of near-duplicate dedup at several memory budgets.

Builds a corpus of short documents made by recombining sentences of the docs corpus
(``/work/shared/corpora/docs/raw.jsonl.zst`` or ``--docs``), with planted near- and
exact copies, then runs each budget in a separate process:

* ``cli``: ``thresher dedup CORPUS --out OUT --memory M --spill-dir D`` end to end
  (its peak RSS includes the kept rows, which the CLI holds as a table to write);
* ``kernel``: ``thresher.dedup(CORPUS, memory=M)`` reading only the annotations (no
  output table), which isolates the memory of signatures and band keys.

Peak RSS is that of the process tree (``/proc``, sampled every 50 ms; the child's own
``ru_maxrss`` is reported too), peak disk the largest size of the spill directory
(sampled likewise). Every run's annotations are checked identical to the in-memory
run's. The table goes to stdout and, with ``--out``, to a markdown file.

Usage: ``python benches/bench_dedup_memory.py --docs 300000 --out benches/results/dedup-memory.md``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import TreeRssMonitor, machine_info, machine_markdown

DOCS = Path("/work/shared/corpora/docs/raw.jsonl.zst")
NUM_PERM = 128


def sentences(path: Path, limit: int) -> list[str]:
    """Sentences (split at '. ' and line breaks, 40 to 400 characters) of the first
    documents of the docs corpus, until ``limit`` are found."""
    import zstandard

    out: list[str] = []
    with open(path, "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), "utf-8")
        for line in reader:
            text = json.loads(line)["text"]
            for part in text.replace("\n", ". ").split(". "):
                part = " ".join(part.split())
                if 40 <= len(part) <= 400:
                    out.append(part)
            if len(out) >= limit:
                break
    return out[:limit]


def build_corpus(path: Path, docs: int, source: Path, seed: int) -> dict[str, int]:
    """``docs`` documents of 3 to 8 random sentences; 10% are copies of an earlier
    document with one word dropped and 2% exact copies. Returns counts."""
    rng = np.random.default_rng(seed)
    pool = sentences(source, 200_000)
    planted = 0
    made: list[str] = []
    with open(path, "w", encoding="utf-8") as out:
        for d in range(docs):
            kind = rng.random()
            if made and kind < 0.12:
                base = made[int(rng.integers(len(made)))]
                words = base.split()
                if kind < 0.10 and len(words) > 20:
                    del words[int(rng.integers(len(words)))]
                text = " ".join(words)
                planted += 1
            else:
                count = int(rng.integers(3, 9))
                text = " ".join(pool[i] for i in rng.integers(len(pool), size=count))
            # Copies come from a sliding window of recent documents (bounded memory).
            made.append(text)
            if len(made) > 50_000:
                made = made[-25_000:]
            out.write(json.dumps({"text": text, "id": d}) + "\n")
    return {"documents": docs, "planted": planted, "bytes": path.stat().st_size}


class DirSizeMonitor:
    """The largest total size of the files under a directory, sampled in a thread."""

    def __init__(self, root: Path, interval: float = 0.05) -> None:
        self.root, self.interval, self.peak = root, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> DirSizeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for dirpath, _, files in os.walk(self.root):
                for name in files:
                    with contextlib.suppress(OSError):  # removed meanwhile
                        total += os.stat(os.path.join(dirpath, name)).st_size
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)


KERNEL = """
import hashlib, json, resource, sys, time
import thresher
corpus, memory, spill, out = sys.argv[1:5]
t0 = time.perf_counter()
r = thresher.dedup(corpus, 0.8, 128, 5, memory=int(memory), spill_dir=spill)
wall = time.perf_counter() - t0
h = hashlib.sha256()
for a in (r.cluster_id, r.is_duplicate, r.similarity):
    h.update(a.tobytes())
s = r.summary
json.dump({"wall": wall, "digest": h.hexdigest(), "duplicates": s.duplicates,
           "candidate_pairs": s.candidate_pairs,
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
          open(out, "w"))
"""


def run(cmd: list[str], spill: Path, log: Path) -> dict[str, Any]:
    """Run ``cmd``; its wall time, peak tree RSS and peak spill-directory size."""
    spill.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TQDM_DISABLE="1")
    t0 = time.perf_counter()
    with open(log, "wb") as logf, DirSizeMonitor(spill) as disk:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env)
        with TreeRssMonitor(proc.pid) as rss:
            code = proc.wait()
    wall = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"{cmd} failed ({code}): {log.read_text(errors='replace')[-3000:]}")
    left = list(spill.iterdir())
    if left:
        raise RuntimeError(f"spill files left behind: {left}")
    return {"wall": wall, "rss_mb": rss.peak / 1e6, "disk_mb": disk.peak / 1e6}


def human(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} B"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300_000)
    parser.add_argument("--source", type=Path, default=DOCS)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--budgets",
        default="4GiB,64MiB,16MiB,4MiB",
        help="comma-separated budgets; the first must keep everything in memory",
    )
    parser.add_argument("--modes", default="kernel,cli")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from thresher._memory import parse_memory

    budgets = [parse_memory(b.strip()) for b in args.budgets.split(",")]
    info = machine_info(["thresher", "numpy", "pyarrow"])
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        t0 = time.perf_counter()
        counts = build_corpus(corpus, args.docs, args.source, seed=13)
        print(f"corpus: {counts} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        rows: list[dict[str, Any]] = []
        digests: dict[str, set[str]] = {}
        for mode in args.modes.split(","):
            for budget in budgets:
                spill = work / "spill"
                log = work / f"{mode}-{budget}.log"
                if mode == "kernel":
                    out = work / "kernel.json"
                    cmd = [
                        sys.executable,
                        "-c",
                        KERNEL,
                        str(corpus),
                        str(budget),
                        str(spill),
                        str(out),
                    ]
                    measured = run(cmd, spill, log)
                    result = json.loads(out.read_text())
                    digests.setdefault(mode, set()).add(result["digest"])
                    extra = f"{result['duplicates']:,} dups, {result['candidate_pairs']:,} pairs"
                else:
                    out = work / "kept.jsonl"
                    cmd = [
                        sys.executable,
                        "-m",
                        "thresher.cli",
                        "dedup",
                        str(corpus),
                        "--out",
                        str(out),
                    ]
                    cmd += ["--memory", str(budget), "--spill-dir", str(spill), "--quiet"]
                    measured = run(cmd, spill, log)
                    digest = hashlib.sha256(out.read_bytes()).hexdigest()
                    digests.setdefault(mode, set()).add(digest)
                    extra = f"output {out.stat().st_size / 1e6:,.1f} MB"
                row = {"mode": mode, "budget": budget, **measured, "note": extra}
                rows.append(row)
                print(
                    f"{mode:6} {human(budget):>9}  {measured['wall']:7.1f} s  "
                    f"RSS {measured['rss_mb']:8.1f} MB  disk {measured['disk_mb']:8.1f} MB",
                    extra,
                    file=sys.stderr,
                    flush=True,
                )
    same = all(len(d) == 1 for d in digests.values())
    n = counts["documents"]
    lines = [
        "# Near-duplicate dedup under a memory budget",
        "",
        machine_markdown(info),
        f"- Command: `python benches/bench_dedup_memory.py --docs {n} --budgets {args.budgets}`",
        "",
        f"Corpus: {n:,} documents of 3-8 sentences recombined from docs/raw.jsonl.zst "
        f"({counts['bytes'] / 1e6:,.1f} MB JSONL, {counts['planted']:,} planted copies). "
        f"`threshold=0.8, num_perm={NUM_PERM}, ngram=5`, exact verification (defaults). "
        "Each run is a fresh process; peak RSS of the process tree sampled every 50 ms, "
        "disk = peak size of the spill directory. `kernel` = `thresher.dedup(...)` "
        "reading the annotations only; `cli` = `thresher dedup --out kept.jsonl` (holds "
        "the kept rows as a table to write them).",
        "",
        f"Results identical across budgets (sha256 of the annotations / output): {same}.",
        "",
        "| mode | budget | wall s | peak RSS MB | RSS bytes/doc | peak disk MB | disk bytes/doc"
        " | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {human(r['budget'])} | {r['wall']:.1f} | {r['rss_mb']:,.0f} | "
            f"{r['rss_mb'] * 1e6 / n:,.0f} | {r['disk_mb']:,.0f} | {r['disk_mb'] * 1e6 / n:,.0f} "
            f"| {r['note']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    if not same:
        raise SystemExit("results differ between budgets")


if __name__ == "__main__":
    main()
