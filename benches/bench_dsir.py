#!/usr/bin/env python
"""DSIR end to end: thresher versus the reference implementation (PyPI data-selection).

Selects k = 10% of the docs corpus toward the PostgreSQL target with

- thresher, default mode (xxh3 buckets, add-one smoothing),
- thresher, ``compat="data-selection"`` (sha256 buckets, no smoothing: the reference's
  log weights to 1e-6),
- data-selection 1.0.3 ``HashedNgramDSIR`` (defaults, ``num_proc`` = cores),

each in a fresh Python process, on the same documents, and reports per-phase wall
time, throughput over the uncompressed corpus, peak RSS and selection quality (share of
PostgreSQL documents selected, AUC of PostgreSQL versus the rest by log weight, KL
reduction on hashed n-gram features). Results are printed and written as markdown to
``benches/results/``.

Usage::

    python benches/bench_dsir.py                  # full corpus, all three tools (~6 min)
    python benches/bench_dsir.py --subset 5000    # quick run on the first 5,000 documents
    python benches/bench_dsir.py --skip-peer      # thresher only
    python benches/bench_dsir.py --replicate 3    # peak-memory demo on a ~3 GB corpus

See benches/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pytest --import-mode=importlib does not add it
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
RAW = CORPORA / "docs" / "raw.jsonl.zst"
TARGET = CORPORA / "docs" / "target-postgresql.jsonl.zst"
DOMAIN = "postgresql"
FRACTION = 0.10  # k = 10% of the raw documents
MIN_LENGTH = 100  # data-selection's default min_example_length
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "thresher-bench-dsir"
RESULTS = HERE / "results"
PACKAGES = ("thresher", "data-selection", "nltk", "regex", "numpy", "pyarrow", "joblib")

THRESHER = "thresher"
COMPAT = "thresher compat"
PEER = "data-selection"


# =========================================================================== workers
# Run in a fresh interpreter by `bench_dsir.py --_worker KIND SPEC OUT`: nothing but
# the tool under test is imported before the clock starts.


def _worker_thresher(spec: dict[str, Any]) -> dict[str, Any]:
    t = time.perf_counter()
    import thresher

    imported = time.perf_counter() - t
    if spec["threads"]:
        thresher.set_num_threads(spec["threads"])
    raw, target = spec["raw"], spec["target"]

    fit_options = {} if spec["cache_raw"] is None else {"cache_raw": spec["cache_raw"]}
    t0 = time.perf_counter()
    dsir = thresher.DSIR(compat=spec["compat"]).fit(target, raw, **fit_options)
    t1 = time.perf_counter()
    # Newer thresher keeps a decoded copy of the raw corpus between the two passes.
    spill = getattr(getattr(dsir, "_cache", None), "path", None)
    spill_mb = os.path.getsize(spill) / 1e6 if spill and os.path.exists(spill) else 0.0
    selection = dsir.select(raw, spec["k"], seed=spec["seed"], min_length=spec["min_length"])
    t2 = time.perf_counter()
    selection.write(spec["out"])
    t3 = time.perf_counter()
    rss = common.max_rss_mb()  # peak of the pipeline, before anything else runs

    dsir.save(spec["model"])
    return {
        "phases": {"fit": t1 - t0, "select": t2 - t1, "write": t3 - t2},
        "total": t3 - t0,
        "import": imported,
        "rss_self_mb": rss,
        "threads": thresher.get_num_threads(),
        "selected": len(selection),
        "documents": selection.documents,
        "eligible": selection.eligible,
        "kl_reduction": selection.kl_reduction["target"],
        "raw_features": dsir.fit_stats["raw"].features,
        "spill_mb": spill_mb,
    }


def _worker_peer(spec: dict[str, Any]) -> dict[str, Any]:
    import resource

    t = time.perf_counter()
    from data_selection import HashedNgramDSIR

    imported = time.perf_counter() - t
    # data-selection draws its Gumbel noise from numpy's global generator.
    np.random.seed(spec["seed"])

    t0 = time.perf_counter()
    dsir = HashedNgramDSIR(
        raw_datasets=[spec["raw"]],
        target_datasets=[spec["target"]],
        cache_dir=spec["cache"],
        num_proc=spec["threads"],
        min_example_length=spec["min_length"],
    )
    dsir.fit_importance_estimator(num_tokens_to_fit="auto")
    t1 = time.perf_counter()
    dsir.compute_importance_weights()
    t2 = time.perf_counter()
    dsir.resample(out_dir=spec["out"], num_to_sample=spec["k"], cache_dir=spec["resample_cache"])
    t3 = time.perf_counter()
    rss = common.max_rss_mb()
    rss_children = common.max_rss_mb(resource.RUSAGE_CHILDREN)

    # Its weights are saved per virtual shard (shard j holds rows j, j+S, j+2S...):
    # put them back in corpus order.
    shards = dsir._get_virtually_sharded_datasets(dsir.raw_datasets)
    parts = [np.load(dsir.log_importance_weights_dir / f"{s['overall_idx']}.npy") for s in shards]
    lengths = [np.load(dsir.perexample_metadata_dir / f"{s['overall_idx']}.npy") for s in shards]
    n = sum(len(p) for p in parts)
    weights, length = np.empty(n), np.empty(n)
    for s, w, m in zip(shards, parts, lengths, strict=True):
        weights[s["shard_idx"] :: s["num_shards"]] = w
        length[s["shard_idx"] :: s["num_shards"]] = m
    np.save(spec["weights"], weights)
    return {
        "phases": {"fit": t1 - t0, "select": t2 - t1, "write": t3 - t2},
        "total": t3 - t0,
        "import": imported,
        "rss_self_mb": rss,
        "rss_children_mb": rss_children,
        "threads": dsir.num_proc,
        "documents": n,
        "eligible": int((length >= spec["min_length"]).sum()),
        "raw_features": int(dsir.raw_probs.size),
    }


WORKERS = {"thresher": _worker_thresher, "peer": _worker_peer}


def _worker_main(argv: list[str]) -> None:
    kind, spec_path, out_path = argv
    spec = json.loads(Path(spec_path).read_text())
    result = WORKERS[kind](spec)
    Path(out_path).write_text(json.dumps(result))


# =========================================================================== data
@dataclass
class Data:
    """One raw corpus in both forms, and the target."""

    label: str
    raw_zst: Path
    raw_jsonl: Path
    target_jsonl: Path
    docs: int
    bytes: int  # uncompressed size of the raw corpus


def _fresh(path: Path, source: Path) -> bool:
    return path.exists() and path.stat().st_mtime >= source.stat().st_mtime


def _decompress(src: Path, dst: Path) -> None:
    import zstandard

    tmp = dst.with_name(dst.name + ".partial")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        zstandard.ZstdDecompressor().copy_stream(fin, fout, write_size=1 << 20)
    tmp.replace(dst)


def _write_subset(src: Path, n: int, jsonl: Path, zst: Path) -> None:
    import zstandard

    tmp = jsonl.with_name(jsonl.name + ".partial")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        reader = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fin), 1 << 20)
        for i, line in enumerate(reader):
            if i == n:
                break
            fout.write(line)
    tmp.replace(jsonl)
    _compress([jsonl], zst, level=3)


def _compress(sources: list[Path], dst: Path, level: int) -> None:
    """Concatenate ``sources`` into one .zst, streaming (constant memory)."""
    import zstandard

    tmp = dst.with_name(dst.name + ".partial")
    cctx = zstandard.ZstdCompressor(level=level, threads=-1)
    with open(tmp, "wb") as fout, cctx.stream_writer(fout) as writer:
        for source in sources:
            with open(source, "rb") as fin:
                shutil.copyfileobj(fin, writer, 1 << 22)
    tmp.replace(dst)


def _count_lines(path: Path) -> int:
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
    return lines


def prepare(workdir: Path, subset: int | None) -> Data:
    """Plain .jsonl copies for data-selection (it reads nothing else), cached in workdir."""
    for path in (RAW, TARGET):
        if not path.exists():
            sys.exit(f"missing corpus file {path} (set THRESHER_CORPORA)")
    workdir.mkdir(parents=True, exist_ok=True)
    target_jsonl = workdir / "target-postgresql.jsonl"
    if not _fresh(target_jsonl, TARGET):
        _decompress(TARGET, target_jsonl)
    if subset is None:
        raw_jsonl, raw_zst, label = workdir / "raw.jsonl", RAW, "docs (full)"
        if not _fresh(raw_jsonl, RAW):
            print(f"decompressing {RAW} -> {raw_jsonl}", flush=True)
            _decompress(RAW, raw_jsonl)
    else:
        raw_jsonl = workdir / f"raw-first{subset}.jsonl"
        raw_zst = workdir / f"raw-first{subset}.jsonl.zst"
        label = f"docs, first {subset:,} documents"
        if not (_fresh(raw_jsonl, RAW) and _fresh(raw_zst, raw_jsonl)):
            _write_subset(RAW, subset, raw_jsonl, raw_zst)
    return Data(
        label, raw_zst, raw_jsonl, target_jsonl, _count_lines(raw_jsonl), raw_jsonl.stat().st_size
    )


def domains(path: Path | list[Path]) -> np.ndarray:
    """The ``domain`` field of every document, in order."""
    import thresher

    reader = thresher.read(path).to_reader()
    parts = [b.column("domain").to_numpy(zero_copy_only=False) for b in reader]
    return np.concatenate(parts) if parts else np.array([], dtype=object)


# =========================================================================== comparison
def run_thresher(
    data: Data, args: argparse.Namespace, k: int, compat: bool, rundir: Path, raw: Path
) -> common.ChildRun:
    rundir.mkdir(parents=True, exist_ok=True)
    spec = {
        "raw": str(raw),
        "target": str(TARGET),
        "k": k,
        "seed": args.seed,
        "min_length": MIN_LENGTH,
        "compat": "data-selection" if compat else None,
        "cache_raw": False if args.no_cache_raw else None,
        "threads": args.threads,
        "out": str(rundir / "selected.jsonl"),
        "model": str(rundir / "model.npz"),
    }
    run = common.run_child(Path(__file__), "thresher", spec, rundir)
    run.extra.update(out=Path(spec["out"]), model=Path(spec["model"]))
    return run


def run_peer(data: Data, args: argparse.Namespace, k: int, rundir: Path) -> common.ChildRun:
    if rundir.exists():
        shutil.rmtree(rundir)
    rundir.mkdir(parents=True)
    spec = {
        "raw": str(data.raw_jsonl),
        "target": str(data.target_jsonl),
        "k": k,
        "seed": args.seed,
        "min_length": MIN_LENGTH,
        "threads": args.threads or len(os.sched_getaffinity(0)),
        "cache": str(rundir / "cache"),
        "resample_cache": str(rundir / "resample-cache"),
        "out": str(rundir / "selected"),  # must not exist: the peer moves its cache there
        "weights": str(rundir / "log_weights.npy"),
    }
    run = common.run_child(Path(__file__), "peer", spec, rundir, env={"PYTHONUTF8": "1"})
    run.extra.update(out=sorted(Path(spec["out"]).glob("*.jsonl")), weights=Path(spec["weights"]))
    return run


@dataclass
class ToolSummary:
    name: str
    runs: list[common.ChildRun]
    phases: dict[str, float]
    total: float
    rss_mb: float
    selected: int = 0
    positives: int = 0
    auc: float = float("nan")
    kl_xxh3: float = float("nan")
    kl_sha256: float = float("nan")
    kl_own: float | None = None

    @property
    def precision(self) -> float:
        return self.positives / self.selected if self.selected else float("nan")


def summarize(name: str, runs: list[common.ChildRun]) -> ToolSummary:
    phases = {
        p: common.median(r.result["phases"][p] for r in runs) for p in ("fit", "select", "write")
    }
    total = common.median(r.result["total"] for r in runs)
    # Peak memory: the larger of the child's own ru_maxrss (exact, single process) and the
    # sampled RSS sum of its process tree (catches worker processes, e.g. joblib's).
    rss = common.median(_peak_mb(r) for r in runs)
    return ToolSummary(name, runs, phases, total, rss)


def _peak_mb(run: common.ChildRun) -> float:
    return max(run.result["rss_self_mb"], run.tree_peak_mb)


def evaluate(
    summaries: dict[str, ToolSummary],
    data: Data,
    thresher_raw: Path,
    positive: np.ndarray,
    checks: list[str],
) -> None:
    """Quality of the last run of each tool (all runs use the same seed)."""
    import thresher

    models = {}
    for name in (THRESHER, COMPAT):
        if name in summaries:
            models[name] = thresher.DSIR.load(summaries[name].runs[-1].extra["model"])
    weights: dict[str, np.ndarray] = {}
    for name, s in summaries.items():
        run = s.runs[-1]
        out = run.extra["out"]
        selected_domains = domains(out)
        s.selected = len(selected_domains)
        s.positives = int((selected_domains == DOMAIN).sum())
        if name in models:
            w = models[name].log_weights(thresher_raw)
            s.kl_own = run.result["kl_reduction"]
        else:
            w = np.load(run.extra["weights"])
        weights[name] = w
        if len(w) != len(positive):
            checks.append(f"{name}: {len(w)} log weights for {len(positive)} documents")
            continue
        s.auc = common.auc(w, positive)
        if THRESHER in models:
            s.kl_xxh3 = models[THRESHER].kl_reduction(out)
        if COMPAT in models:
            s.kl_sha256 = models[COMPAT].kl_reduction(out)
    # Sanity checks, reported in the results file.
    for name, own_space in ((THRESHER, "kl_xxh3"), (COMPAT, "kl_sha256")):
        if name in summaries and summaries[name].kl_own is not None:
            s = summaries[name]
            diff = abs(getattr(s, own_space) - s.kl_own)
            checks.append(
                f"{name}: selection.kl_reduction {s.kl_own:.5f}, recomputed from its output "
                f"file {getattr(s, own_space):.5f} (|diff| {diff:.1e})"
            )
    if COMPAT in weights and PEER in weights and len(weights[COMPAT]) == len(weights[PEER]):
        diff = np.abs(weights[COMPAT] - weights[PEER])
        checks.append(
            f"compat log weights vs data-selection's: max |diff| {diff.max():.2e}, "
            f"{int((diff > 1e-6).sum())} of {len(diff):,} documents differ by > 1e-6"
        )
    eligible = {n: s.runs[-1].result["eligible"] for n, s in summaries.items()}
    if len(set(eligible.values())) > 1:
        checks.append(f"eligible documents (>= {MIN_LENGTH} tokens) differ: {eligible}")
    elif eligible:
        checks.append(
            f"eligible documents (>= {MIN_LENGTH} tokens): {next(iter(eligible.values())):,} "
            "for every tool"
        )
    for name, s in summaries.items():
        reported = s.runs[-1].result.get("selected", s.selected)
        if s.selected != reported or s.selected == 0:
            checks.append(f"{name}: wrote {s.selected} documents, reported {reported}")


def _build() -> str:
    """The thresher extension the workers will load: file, size, modification time."""
    import thresher._core

    so = Path(thresher._core.__file__)
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(so.stat().st_mtime))
    return f"`{so.name}`, {so.stat().st_size / 1e6:.1f} MB, built {built}"


def _info(load_at_start: str, build_at_start: str) -> dict[str, Any]:
    import thresher._core

    info = common.machine_info(PACKAGES, load_at_start)
    info["notes"].append(
        f"thresher extension: {build_at_start}; "
        f"{thresher._core.get_num_threads()} threads by default"
    )
    if _build() != build_at_start:
        info["notes"].append(
            f"WARNING: the extension was rebuilt during the run (now {_build()}): "
            "runs may mix builds; rerun"
        )
    return info


def comparison(args: argparse.Namespace) -> None:
    load_at_start, build_at_start = common.load_average(), _build()
    workdir = args.workdir
    data = prepare(workdir, args.subset)
    k = int(data.docs * FRACTION)
    thresher_raw = data.raw_jsonl if args.plain_input else data.raw_zst
    positive = domains(data.raw_jsonl) == DOMAIN
    n_pos = int(positive.sum())
    repeat = args.repeat if args.repeat is not None else 3
    print(
        f"{data.label}: {data.docs:,} documents, {data.bytes / 1e6:,.1f} MB uncompressed; "
        f"k = {k:,}; {n_pos:,} {DOMAIN} documents; thresher reads {thresher_raw.name}",
        flush=True,
    )

    runs: dict[str, list[common.ChildRun]] = {THRESHER: [], COMPAT: []}
    rundir = workdir / "runs"
    for r in range(repeat):
        for name, compat in ((THRESHER, False), (COMPAT, True)):
            run = run_thresher(data, args, k, compat, rundir / name.replace(" ", "-"), thresher_raw)
            runs[name].append(run)
            print(
                f"  {name:16} run {r + 1}/{repeat}: {run.result['total']:7.2f} s, "
                f"peak RSS {_peak_mb(run):6.0f} MB",
                flush=True,
            )
    if not args.skip_peer:
        runs[PEER] = []
        for r in range(args.peer_repeat):
            run = run_peer(data, args, k, rundir / PEER)
            runs[PEER].append(run)
            print(
                f"  {PEER:16} run {r + 1}/{args.peer_repeat}: {run.result['total']:7.2f} s, "
                f"peak RSS {_peak_mb(run):6.0f} MB (process tree)",
                flush=True,
            )

    summaries = {name: summarize(name, rs) for name, rs in runs.items()}
    checks: list[str] = []
    print("evaluating selections...", flush=True)
    evaluate(summaries, data, thresher_raw, positive, checks)
    info = _info(load_at_start, build_at_start)
    text = comparison_markdown(args, data, k, n_pos, thresher_raw, summaries, checks, info, repeat)
    name = "dsir.md" if args.subset is None else f"dsir-subset{args.subset}.md"
    common.publish(text, args.out or RESULTS / name)
    shutil.rmtree(rundir, ignore_errors=True)


PHASE_NAMES = {"fit": "fit", "select": "weights + select", "write": "write"}


def comparison_markdown(
    args: argparse.Namespace,
    data: Data,
    k: int,
    n_pos: int,
    thresher_raw: Path,
    summaries: dict[str, ToolSummary],
    checks: list[str],
    info: dict[str, Any],
    repeat: int,
) -> str:
    f = common.fmt
    mb = data.bytes / 1e6
    best = min(n_pos, k) / k
    threads = {n: s.runs[-1].result["threads"] for n, s in summaries.items()}
    header = [
        "tool",
        "fit s",
        "weights+select s",
        "write s",
        "total s",
        "MB/s",
        "peak RSS MB",
        f"{DOMAIN} selected",
        "precision",
        "AUC",
        "KL red. (xxh3)",
        "KL red. (sha256)",
    ]
    rows = []
    for name, s in summaries.items():
        rows.append(
            [
                f"{name} ({len(s.runs)} run{'s' if len(s.runs) > 1 else ''})",
                f(s.phases["fit"]),
                f(s.phases["select"]),
                f(s.phases["write"]),
                f(s.total),
                f(mb / s.total, 1),
                f(s.rss_mb, 0),
                f"{s.positives:,} / {s.selected:,}",
                f"{s.precision:.1%}",
                f(s.auc, 4),
                f(s.kl_xxh3, 4),
                f(s.kl_sha256, 4),
            ]
        )
    table = common.markdown_table(header, rows)

    ratio_text = ""
    if PEER in summaries:
        peer = summaries[PEER]
        rheader = ["thresher mode", "end to end", "fit", "weights+select", "write", "peak RSS"]
        rrows = []
        for name in (THRESHER, COMPAT):
            s = summaries[name]
            rrows.append(
                [
                    name,
                    f"{peer.total / s.total:.1f}x faster",
                    *(f"{peer.phases[p] / s.phases[p]:.1f}x" for p in ("fit", "select", "write")),
                    f"{s.rss_mb / peer.rss_mb:.2f}x of the peer's",
                ]
            )
        ratio_text = (
            "\n### Ratios (data-selection time / thresher time; medians)\n\n"
            + common.markdown_table(rheader, rrows)
            + "\n"
        )

    details = []
    for name, s in summaries.items():
        totals = ", ".join(f"{r.result['total']:.2f}" for r in s.runs)
        rss = ", ".join(f"{_peak_mb(r):.0f}" for r in s.runs)
        procs = max(r.processes for r in s.runs)
        extra = s.runs[-1].result
        details.append(
            f"- {name}: totals {totals} s; peak RSS per run {rss} MB ({procs} "
            f"process{'es' if procs > 1 else ''} at the sampled peak); "
            f"import {extra['import']:.2f} s (not counted); {threads[name]} "
            f"{'processes' if name == PEER else 'threads'}"
            + (
                f"; decoded raw copy on disk {extra['spill_mb']:,.0f} MB"
                if extra.get("spill_mb")
                else ""
            )
        )

    reads = (
        "plain" if thresher_raw.suffix == ".jsonl" else "zstd-compressed, decompressed on the fly"
    )
    spills = {n: s.runs[-1].result.get("spill_mb", 0.0) for n, s in summaries.items()}
    if any(spills.values()):
        reads += (
            "; its `fit` also writes a decoded copy of the raw corpus to the temporary "
            "directory, which `select` reads instead (counted in its times)"
        )
    elif args.no_cache_raw:
        reads += "; `fit(cache_raw=False)`"
    command = "python benches/bench_dsir.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f"""# DSIR benchmark: thresher vs data-selection

{common.machine_markdown(info)}- Command: `{command.strip()}`

Corpus: {data.label}, {data.docs:,} documents, {mb:,.1f} MB uncompressed
(`{RAW.name}`{"" if args.subset is None else " prefix"}); target `{TARGET.name}`
(1,000 documents). k = {k:,} (10%), min_length = {MIN_LENGTH} tokens, seed {args.seed}.
{n_pos:,} raw documents are `{DOMAIN}`: the best possible precision is {best:.1%}.
thresher reads `{thresher_raw.name}` ({reads});
data-selection reads the plain `.jsonl` (it reads nothing else; decompressing is not counted).

## Results (medians; thresher {repeat} runs per mode)

{table}

- Phases: thresher `fit` = `DSIR(...).fit(target, raw)`, `weights+select` = `select()` (one
  pass: weights and Gumbel top-k), `write` = `Selection.write(.jsonl)`. data-selection
  `fit` = constructor + `fit_importance_estimator()`, `weights+select` =
  `compute_importance_weights()`, `write` = `resample()` (Gumbel top-k over saved
  weights, then a second pass over the raw file to copy the chosen lines).
- MB/s = uncompressed raw corpus size / end-to-end time (both tools read the raw corpus
  twice: once to fit, once to weight).
- Peak RSS: the larger of the process's own `ru_maxrss` and the sampled RSS sum of its
  process tree (data-selection's joblib workers; the sum counts shared pages once per
  process, so it is an upper bound for multi-process runs).
- Precision: share of selected documents whose `domain` is `{DOMAIN}`. AUC: {DOMAIN} vs
  the rest ranked by log weight, over all {data.docs:,} documents (thresher:
  `DSIR.log_weights`; data-selection: its saved `log_importance_weights`).
- KL red.: `KL(target || raw) - KL(target || selected)` on hashed unigram+bigram counts
  (10,000 buckets), computed by thresher's `DSIR.kl_reduction(selected file)` in two feature
  spaces: thresher's default (xxh3) and data-selection's (sha256). Higher is better.
{ratio_text}
### Runs

{chr(10).join(details)}

### Checks

{chr(10).join("- " + c for c in checks) if checks else "- none"}

Machines are noisy: compare ratios and medians, not single numbers.
"""


# =========================================================================== memory demo
def replicate(args: argparse.Namespace) -> None:
    load_at_start, build_at_start = common.load_average(), _build()
    workdir = args.workdir
    data = prepare(workdir, args.subset)
    copies = max(1, round(args.replicate * 1e9 / data.bytes))
    big = workdir / f"{data.raw_jsonl.stem}-x{copies}.jsonl.zst"
    if big.exists() and _fresh(big, data.raw_jsonl):
        print(f"reusing {big}", flush=True)
    else:
        print(
            f"writing {big}: {copies} copies of {data.raw_jsonl.name} "
            f"({copies * data.bytes / 1e9:.2f} GB uncompressed, zstd level 1)...",
            flush=True,
        )
        t = time.perf_counter()
        _compress([data.raw_jsonl] * copies, big, level=1)
        print(
            f"  done in {time.perf_counter() - t:.1f} s, {big.stat().st_size / 1e6:,.0f} MB",
            flush=True,
        )
    k = int(data.docs * FRACTION)
    repeat = args.repeat if args.repeat is not None else 1
    rows, results = [], []
    try:
        for label, n, path in (("1x", 1, data.raw_zst), (f"{copies}x", copies, big)):
            runs = []
            for r in range(repeat):
                run = run_thresher(
                    data, args, k, False, workdir / "runs" / f"replicate-{label}", path
                )
                runs.append(run)
                print(
                    f"  {label:>4} run {r + 1}/{repeat}: {run.result['total']:7.2f} s, "
                    f"peak RSS {_peak_mb(run):6.0f} MB",
                    flush=True,
                )
            s = summarize(label, runs)
            size = n * data.bytes
            results.append((label, s))
            rows.append(
                [
                    label,
                    f"{n * data.docs:,}",
                    f"{size / 1e9:.2f}",
                    f"{k:,}",
                    common.fmt(s.phases["fit"]),
                    common.fmt(s.phases["select"]),
                    common.fmt(s.phases["write"]),
                    common.fmt(s.total),
                    common.fmt(size / 1e6 / s.total, 1),
                    common.fmt(s.rss_mb, 0),
                ]
            )
    finally:
        shutil.rmtree(workdir / "runs", ignore_errors=True)
        if not args.keep:
            big.unlink(missing_ok=True)
    (l1, s1), (ln, sn) = results
    info = _info(load_at_start, build_at_start)
    command = "python benches/bench_dsir.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    table = common.markdown_table(
        [
            "corpus",
            "documents",
            "GB",
            "k",
            "fit s",
            "weights+select s",
            "write s",
            "total s",
            "MB/s",
            "peak RSS MB",
        ],
        rows,
    )
    text = f"""# DSIR peak memory: thresher on a corpus {copies} times larger

{common.machine_markdown(info)}- Command: `{command.strip()}`

thresher (default mode) end to end (fit, select k, write) on {data.label} (1x, the
original `.jsonl.zst`) and on it concatenated {copies} times (a zstd level-1 `.jsonl.zst`,
{copies * data.bytes / 1e9:.2f} GB uncompressed). k is the same for both ({k:,}): selection
memory is O(k + buckets), never O(corpus). Medians of {repeat} run(s) each.

{table}

Peak RSS {ln} / {l1}: {sn.rss_mb / s1.rss_mb:.2f}x for {copies}x the data;
throughput {ln} / {l1}: {(copies * data.bytes / sn.total) / (data.bytes / s1.total):.2f}x.

Machines are noisy: compare ratios, not single numbers.
"""
    name = "dsir-memory.md" if args.subset is None else f"dsir-memory-subset{args.subset}.md"
    common.publish(text, args.out or RESULTS / name)


# =========================================================================== main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--subset", type=int, metavar="N", help="use only the first N raw documents")
    p.add_argument("--skip-peer", action="store_true", help="do not run data-selection")
    p.add_argument(
        "--replicate",
        type=float,
        metavar="GB",
        help="instead of the comparison, run the peak-memory demo on the raw corpus "
        "concatenated to ~GB uncompressed",
    )
    p.add_argument("--keep", action="store_true", help="keep the replicated corpus for reuse")
    p.add_argument(
        "--repeat", type=int, help="thresher runs per mode (default 3; 1 with --replicate)"
    )
    p.add_argument("--peer-repeat", type=int, default=1, help="data-selection runs (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="thresher threads and data-selection num_proc (default: all cores)",
    )
    p.add_argument(
        "--plain-input",
        action="store_true",
        help="give thresher the plain .jsonl too (default: it reads the .jsonl.zst)",
    )
    p.add_argument(
        "--no-cache-raw",
        action="store_true",
        help="pass cache_raw=False to thresher's fit (no decoded copy of the raw "
        "corpus between its two passes)",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help=f"temporary files (default {DEFAULT_WORKDIR})",
    )
    p.add_argument("--out", type=Path, help="results markdown (default benches/results/dsir*.md)")
    p.add_argument("--clean", action="store_true", help="delete the work directory at the end")
    args = p.parse_args(argv)
    if args.subset is not None and args.subset < 10:
        p.error("--subset must be at least 10")
    if args.replicate is not None and args.replicate <= 0:
        p.error("--replicate must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        if args.replicate is not None:
            replicate(args)
        else:
            comparison(args)
    finally:
        if args.clean:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_worker":
        _worker_main(sys.argv[2:])
    else:
        main()
