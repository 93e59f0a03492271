#!/usr/bin/env python
"""A whole curation head to head: ``thresher run`` versus datatrove's
``LocalPipelineExecutor``, on the same corpus, with the same steps and 2 workers each.

The pipeline on both sides: read the JSONL shards of a corpus from ``build_corpus.py``
(documents recombined from ``docs/raw.jsonl.zst``, with planted exact and near copies),
keep documents of at least ``--min-words`` whitespace-separated words, MinHash
near-duplicate removal over word 5-grams with 14 bands x 8 rows (112 hashes, FineWeb's
setting), write the kept documents as zstd JSONL.

- thresher: one ``thresher run pipeline.toml --threads 2`` process with a ``length``
  step (``min_words``) and a ``dedup`` step (``num_perm = 112``, ``bands = 14``,
  ``rows = 8``, ``ngram = 5``, threshold 0.8: a candidate pair is kept when its
  signatures agree on at least 80% of the slots; ``digits = true``, as datatrove maps
  numbers to 0).
- datatrove: one process running datatrove's four MinHash stages, each a
  ``LocalPipelineExecutor(workers=2)``: (1) ``JsonlReader`` -> ``LambdaFilter`` (the same
  word rule) -> ``MinhashDedupSignature`` (one task per shard), (2)
  ``MinhashDedupBuckets`` (14 tasks), (3) ``MinhashDedupCluster`` (1 task), (4)
  ``JsonlReader`` -> the same ``LambdaFilter`` -> ``MinhashDedupFilter`` ->
  ``JsonlWriter(compression="zstd")`` (one task per shard). Its defaults otherwise:
  64-bit xxhash shingles, text normalisation (lowercase, punctuation, numbers,
  diacritics), spaCy's English word tokenizer; any band collision is a duplicate.

Each tool runs in a fresh process tree, measured from outside (``pipeline_common.measure``):
wall time (interpreter start and imports included on both sides), peak RSS of the
largest process (``ru_maxrss``) and the peak summed RSS of the tree (sampled every
50 ms; an upper bound for datatrove's worker pool). The removed set of each side is the
ids that pass the length rule minus the ids of its output; the agreement is
|intersection| / |union| of the two removed sets. Planted copies (``planted.jsonl``) give
recall: a planted pair is found when its copy or its original is removed.

Usage::

    python benches/bench_pipeline_datatrove.py --gb 0.05          # smoke test
    python benches/bench_pipeline_datatrove.py --gb 0.5           # the comparison
    python benches/bench_pipeline_datatrove.py --corpus DIR       # a corpus already built

Results: ``benches/results/pipeline-datatrove.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402
import pipeline_common as pc  # noqa: E402

RESULTS = HERE / "results"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "thresher-bench-pipeline-datatrove"
BANDS, ROWS, NGRAM = 14, 8, 5


# =========================================================================== datatrove
class MinWords:
    """The length rule as a picklable callable: at least ``n`` whitespace words."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, doc: Any) -> bool:
        return len(doc.text.split()) >= self.n


def run_datatrove(spec: dict[str, Any]) -> dict[str, Any]:
    """datatrove's four MinHash stages over the corpus; stage timings."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.filters import LambdaFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.typeshelper import Languages

    work, corpus, workers = Path(spec["work"]), spec["corpus"], spec["workers"]
    files = spec["files"]
    config = MinhashConfig(n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS)

    def reader() -> Any:
        return JsonlReader(corpus, glob_pattern="part-*.jsonl.zst", text_key="text", id_key="id")

    stages = {
        "signatures": LocalPipelineExecutor(
            pipeline=[
                reader(),
                LambdaFilter(MinWords(spec["min_words"])),
                MinhashDedupSignature(
                    output_folder=str(work / "signatures"),
                    config=config,
                    language=Languages.english,
                ),
            ],
            tasks=files,
            workers=workers,
            logging_dir=str(work / "logs" / "signatures"),
        ),
        "buckets": LocalPipelineExecutor(
            pipeline=[
                MinhashDedupBuckets(
                    input_folder=str(work / "signatures"),
                    output_folder=str(work / "buckets"),
                    config=config,
                )
            ],
            tasks=BANDS,
            workers=workers,
            logging_dir=str(work / "logs" / "buckets"),
        ),
        "cluster": LocalPipelineExecutor(
            pipeline=[
                MinhashDedupCluster(
                    input_folder=str(work / "buckets"),
                    output_folder=str(work / "remove_ids"),
                    config=config,
                )
            ],
            tasks=1,
            workers=1,
            logging_dir=str(work / "logs" / "cluster"),
        ),
        "filter+write": LocalPipelineExecutor(
            pipeline=[
                reader(),
                LambdaFilter(MinWords(spec["min_words"])),
                MinhashDedupFilter(input_folder=str(work / "remove_ids")),
                JsonlWriter(str(work / "output"), compression="zstd"),
            ],
            tasks=files,
            workers=workers,
            logging_dir=str(work / "logs" / "filter"),
        ),
    }
    seconds = {}
    for name, executor in stages.items():
        started = time.perf_counter()
        executor.run()
        seconds[name] = time.perf_counter() - started
    return {"stages": seconds}


# =========================================================================== parent
def thresher_pipeline(
    corpus: Path, out: Path, min_words: int, memory: str | None
) -> dict[str, Any]:
    run: dict[str, Any] = {"work_dir": str(out.parent / "thresher.work")}
    if memory:
        run["memory"] = memory
    return {
        "title": "bench: length + near-dedup (datatrove's pipeline)",
        "input": {"paths": [str(corpus / "part-*.jsonl.zst")], "label_column": "domain"},
        "output": {"path": str(out) + "/", "format": "jsonl.zst"},
        "run": run,
        "step": [
            {"type": "length", "min_words": min_words},
            {
                "type": "dedup",
                "threshold": 0.8,
                "num_perm": BANDS * ROWS,
                "bands": BANDS,
                "rows": ROWS,
                "ngram": NGRAM,
                "digits": True,
            },
        ],
    }


def ground_truth(corpus: Path, min_words: int) -> dict[str, Any]:
    """Ids passing the length rule (in corpus order), and the planted pairs."""
    passing = [
        str(i)
        for i, text in pc.iter_rows(corpus, ["id", "text"], pc.CORPUS_SHARDS)
        if len(text.split()) >= min_words
    ]
    with open(corpus / "planted.jsonl", encoding="utf-8") as f:
        planted = [json.loads(line) for line in f]
    return {"passing": passing, "planted": planted}


def recall(removed: set[str], planted: list[dict[str, Any]], passing: set[str]) -> dict[str, Any]:
    """Per kind: planted pairs (both members passing the length rule) and the share found."""
    out = {}
    for kind in ("exact", "near"):
        pairs = [
            p
            for p in planted
            if p["kind"] == kind and p["id"] in passing and p["original"] in passing
        ]
        found = sum(p["id"] in removed or p["original"] in removed for p in pairs)
        out[kind] = (found, len(pairs))
    return out


def run_thresher(corpus: Path, t_dir: Path, args: argparse.Namespace, measured: Any) -> Any:
    shutil.rmtree(t_dir, ignore_errors=True)
    toml = pc.write_pipeline(
        t_dir / "pipeline.toml",
        thresher_pipeline(corpus, t_dir / "output", args.min_words, args.memory),
    )
    cmd = pc.thresher_run(toml, args.workers)
    m = measured("thresher", cmd, t_dir / "log.txt", pc.thresher_env())
    m["kept"] = pc.ids_of(t_dir / "output")
    return m


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gb", type=float, default=0.5, help="corpus size to build (10^9 bytes)")
    p.add_argument("--shard-mb", type=float, default=128.0, help="shard size of the corpus")
    p.add_argument("--corpus", type=Path, help="a corpus from build_corpus.py (else built)")
    p.add_argument("--workers", type=int, default=2, help="threads (thresher) and workers")
    p.add_argument("--min-words", type=int, default=50)
    p.add_argument("--memory", default=None, help="thresher's memory budget (default: its own)")
    p.add_argument("--tools", default="thresher,datatrove", help="tools to run now (of these two)")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="report the saved result of a tool not in --tools (from an earlier run here)",
    )
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--out", type=Path, default=RESULTS / "pipeline-datatrove.md")
    p.add_argument("--_datatrove", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args._datatrove is not None:  # the measured child
        spec = json.loads(args._datatrove.read_text())
        result = run_datatrove(spec)
        Path(spec["result"]).write_text(json.dumps(result))
        return 0

    load_start = common.load_average()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or pc.ensure_corpus(work / f"corpus-{args.gb}", args.gb, args.shard_mb)
    info = pc.corpus_info(corpus)
    files = len(info["shards"])
    truth = ground_truth(corpus, args.min_words)
    passing = set(truth["passing"])
    print(
        f"corpus {corpus}: {info['rows']:,} documents, {info['bytes'] / 1e9:.2f} GB in "
        f"{files} shards; {len(passing):,} of >= {args.min_words} words",
        flush=True,
    )
    rows: dict[str, dict[str, Any]] = {}
    tools = args.tools.split(",")

    def measured(name: str, cmd: list[str], log: Path, env: dict[str, str]) -> dict[str, Any]:
        load = common.load_average()
        m = pc.measure(cmd, log, env=env)
        m["load"] = f"{load} -> {common.load_average()}"
        m["corpus"] = str(corpus)
        if m["code"] != 0:
            print(log.read_text()[-3000:])
            raise SystemExit(f"{name} failed with exit code {m['code']}")
        return m

    def save(name: str, m: dict[str, Any]) -> None:
        rows[name] = m
        (work / f"{name}.result.json").write_text(json.dumps(m))
        print(f"{name}: {m['wall']:.1f} s, peak RSS {m['maxrss_mb']:.0f} MB", flush=True)

    for name in ("thresher", "datatrove"):
        saved = work / f"{name}.result.json"
        if name not in tools and args.reuse and saved.exists():
            m = json.loads(saved.read_text())
            if m["corpus"] == str(corpus):
                rows[name] = m

    if "thresher" in tools:
        rows["thresher"] = run_thresher(corpus, work / "thresher", args, measured)
        save("thresher", rows["thresher"])

    # datatrove
    if "datatrove" in tools:
        d_dir = work / "datatrove"
        shutil.rmtree(d_dir, ignore_errors=True)
        d_dir.mkdir(parents=True)
        spec = {
            "work": str(d_dir),
            "corpus": str(corpus),
            "files": files,
            "workers": args.workers,
            "min_words": args.min_words,
            "result": str(d_dir / "result.json"),
        }
        (d_dir / "spec.json").write_text(json.dumps(spec))
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--_datatrove",
            str(d_dir / "spec.json"),
        ]
        m = measured("datatrove", cmd, d_dir / "log.txt", {})
        m.update(json.loads((d_dir / "result.json").read_text()))
        m["kept"] = pc.ids_of(d_dir / "output")
        save("datatrove", m)

    # figures
    mb = info["bytes"] / 1e6
    removed = {}
    for name, m in rows.items():
        kept = set(m["kept"])
        if not kept <= passing:
            raise SystemExit(f"{name} kept {len(kept - passing)} documents the length rule drops")
        removed[name] = passing - kept
        m["recall"] = recall(removed[name], truth["planted"], passing)
    table = []
    for name, m in rows.items():
        r = m["recall"]
        table.append(
            [
                name,
                common.fmt(m["wall"], 1),
                common.fmt(mb / m["wall"], 1),
                common.fmt(m["maxrss_mb"], 0),
                common.fmt(m["tree_peak_mb"], 0),
                m["processes"],
                common.fmt(len(removed[name])),
                f"{r['exact'][0]:,}/{r['exact'][1]:,}",
                f"{r['near'][0]:,}/{r['near'][1]:,}",
            ]
        )
    lines = [
        "# A whole curation: thresher run vs datatrove (length filter + MinHash dedup + write)",
        "",
        common.machine_markdown(
            common.machine_info(("thresher", "datatrove", "spacy", "numpy"), load_start)
        ),
        f"Corpus: `{corpus}` from `build_corpus.py` (seed {info['seed']}): "
        f"{info['rows']:,} documents, {mb:,.0f} MB of JSONL ({info['compressed'] / 1e6:,.0f} MB "
        f"zstd) in {files} shards; planted {info['planted_exact']:,} exact and "
        f"{info['planted_near']:,} near copies. {len(passing):,} documents have >= "
        f"{args.min_words} words. {args.workers} workers / threads each. Each tool in a fresh "
        "process tree, wall time from outside (interpreter start and imports included).",
        "",
        common.markdown_table(
            [
                "tool",
                "wall s",
                "MB/s",
                "peak RSS MB (largest process)",
                "peak RSS MB (tree sum)",
                "processes",
                "removed",
                "exact pairs found",
                "near pairs found",
            ],
            table,
        ),
        "",
    ]
    lines.append(
        "- load average (1 min) before -> after each tool: "
        + "; ".join(f"{name} {m['load']}" for name, m in rows.items())
    )
    if "datatrove" in rows and "thresher" in rows:
        t, d = rows["thresher"], rows["datatrove"]
        inter = len(removed["thresher"] & removed["datatrove"])
        union = len(removed["thresher"] | removed["datatrove"])
        lines += [
            f"- **datatrove / thresher wall time: {d['wall'] / t['wall']:.2f}x** "
            "(the issue's goal: >= 10x)",
            f"- peak RSS (largest process) datatrove / thresher: "
            f"{d['maxrss_mb'] / t['maxrss_mb']:.2f}x; tree sum: "
            f"{d['tree_peak_mb'] / t['tree_peak_mb']:.2f}x",
            "- datatrove stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in d["stages"].items()),
            f"- removed-set agreement |T & D| / |T | D| = {inter:,} / {union:,} = "
            f"{inter / union if union else 1.0:.3f}; removed by thresher only "
            f"{len(removed['thresher'] - removed['datatrove']):,}, by datatrove only "
            f"{len(removed['datatrove'] - removed['thresher']):,}. The two keep a different "
            "member of a cluster (thresher the first, datatrove the root of its union by "
            "size) and datatrove confirms no candidate, so the sets differ even where the "
            "clusters agree.",
            "",
        ]
    common.publish("\n".join(lines), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
