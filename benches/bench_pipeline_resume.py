#!/usr/bin/env python
"""Resume after SIGKILL: what a crash costs a ``thresher run``.

The pipeline (``length`` >= 50 words, near-duplicate ``dedup``, ``dsir`` toward the
held-out PostgreSQL pages keeping a fraction, uniform ``sample`` of a fraction) runs over
a corpus from ``build_corpus.py`` (default 0.3 GB) with sharded zstd JSONL output:

1. once uninterrupted, timed (the reference output and its checksums);
2. then, for each of 25%, 50% and 75% of that wall time, from an empty work directory:
   started, killed with SIGKILL (its whole process group) at that moment, and started
   again with the same command, which resumes from the last completed unit.

Printed for each: the sha256 of every output file (must equal the uninterrupted run's,
byte for byte) and (time until the kill + time of the resumed run) / uninterrupted time
(the issue's goal: <= 1.3x). ``--units N,M`` kills at unit counts instead, through the
test hook ``THRESHER_TEST_KILL_AFTER_UNITS`` (``python/thresher/pipeline/context.py``).

Usage::

    python benches/bench_pipeline_resume.py --gb 0.05     # smoke test
    python benches/bench_pipeline_resume.py               # 0.3 GB

Results: ``benches/results/pipeline-resume.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402
import pipeline_common as pc  # noqa: E402

RESULTS = HERE / "results"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "thresher-bench-pipeline-resume"
TARGET = pc.CORPORA / "docs" / "target-postgresql.jsonl.zst"


STEPS = [
    {"type": "length", "min_words": 50},
    {"type": "dedup", "threshold": 0.8},
    {"type": "dsir", "target": str(TARGET), "fraction": 0.2, "seed": 0},
    {"type": "sample", "fraction": 0.5, "seed": 1},
]


def pipeline(corpus: Path, run_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    run: dict[str, Any] = {"work_dir": str(run_dir / "work")}
    if args.block_size:
        run["block_size"] = args.block_size
    return {
        "title": "bench: resume after SIGKILL (length, dedup, dsir, sample)",
        "input": {"paths": [str(corpus / "part-*.jsonl.zst")], "label_column": "domain"},
        "output": {
            "path": str(run_dir / "output") + "/",
            "format": "jsonl.zst",
            "shard_size": args.shard_size,
            "columns": ["dsir_log_weight"],
        },
        "run": run,
        "step": [s for s in STEPS if s["type"] in args.steps.split(",")],
    }


def one_run(
    corpus: Path, run_dir: Path, args: argparse.Namespace, **measure: Any
) -> dict[str, Any]:
    """Run the pipeline in ``run_dir`` (kept between calls: a second call resumes)."""
    toml = pc.write_pipeline(run_dir / "pipeline.toml", pipeline(corpus, run_dir, args))
    env = pc.thresher_env()
    env.update(measure.pop("env", {}))
    return pc.measure(pc.thresher_run(toml, args.threads), run_dir / "log.txt", env=env, **measure)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gb", type=float, default=0.3, help="corpus size to build (10^9 bytes)")
    p.add_argument("--shard-mb", type=float, default=128.0, help="shard size of the corpus")
    p.add_argument("--corpus", type=Path, help="a corpus from build_corpus.py (else built)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--at", default="0.25,0.5,0.75", help="kill times, shares of the wall time")
    p.add_argument("--units", default="", help="kill after these unit counts instead (hook)")
    p.add_argument("--shard-size", default="32MB", help="output shard size")
    p.add_argument("--block-size", default=None, help="the run's block_size (default: its own)")
    p.add_argument("--steps", default="length,dedup,dsir,sample", help="steps to run (of these)")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--out", type=Path, default=RESULTS / "pipeline-resume.md")
    args = p.parse_args(argv)

    load_start = common.load_average()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or pc.ensure_corpus(work / f"corpus-{args.gb}", args.gb, args.shard_mb)
    info = pc.corpus_info(corpus)

    # One directory for every run: the manifest names the output's path.
    ref_dir = run_dir = work / "run"
    shutil.rmtree(ref_dir, ignore_errors=True)
    ref = one_run(corpus, ref_dir, args)
    if ref["code"] != 0:
        print((ref_dir / "log.txt").read_text()[-3000:])
        raise SystemExit(f"the uninterrupted run failed with exit code {ref['code']}")
    ref_sums = pc.checksums(ref_dir / "output")
    print(
        f"uninterrupted: {ref['wall']:.1f} s, {len(ref_sums)} output files, "
        f"checksum {pc.combined(ref_sums)}",
        flush=True,
    )

    cases: list[tuple[str, dict[str, Any]]] = []
    if args.units:
        for n in args.units.split(","):
            cases.append((f"after {int(n)} units", {"env": {pc_kill(): n.strip()}}))
    else:
        for share in (float(x) for x in args.at.split(",")):
            cases.append((f"{share:.0%} of the time", {"kill_after": share * ref["wall"]}))

    rows = []
    all_equal = True
    for label, how in cases:
        shutil.rmtree(run_dir, ignore_errors=True)
        killed = one_run(corpus, run_dir, args, **how)
        if killed["code"] == 0:
            note = "finished before the kill"
        elif killed["code"] == -9:
            note = "killed (SIGKILL)"
        else:
            print((run_dir / "log.txt").read_text()[-3000:])
            raise SystemExit(f"the run to kill failed with exit code {killed['code']}")
        resumed = one_run(corpus, run_dir, args)
        if resumed["code"] != 0:
            print((run_dir / "log.txt").read_text()[-3000:])
            raise SystemExit(f"the resumed run failed with exit code {resumed['code']}")
        sums = pc.checksums(run_dir / "output")
        equal = sums == ref_sums
        all_equal &= equal
        total = killed["wall"] + resumed["wall"]
        rows.append(
            [
                label,
                note,
                common.fmt(killed["wall"], 1),
                common.fmt(resumed["wall"], 1),
                common.fmt(total, 1),
                f"{total / ref['wall']:.2f}x",
                pc.combined(sums),
                "yes" if equal else "NO",
            ]
        )
        print(" | ".join(map(str, rows[-1])), flush=True)

    files = "\n".join(f"  - `{name}` {digest[:16]}" for name, digest in ref_sums.items())
    lines = [
        f"# Resume after SIGKILL: thresher run ({args.steps.replace(',', ', ')})",
        "",
        common.machine_markdown(common.machine_info(("thresher", "numpy", "pyarrow"), load_start)),
        f"Corpus: `{corpus}` from `build_corpus.py`: {info['rows']:,} documents, "
        f"{info['bytes'] / 1e6:,.0f} MB of JSONL in {len(info['shards'])} shards. Steps of "
        "length >= 50 words, dedup (threshold 0.8, 128 permutations, 5-grams), DSIR toward "
        "docs/target-postgresql (fraction 0.2), uniform sample (fraction 0.5): "
        f"{args.steps}; output "
        f"jsonl.zst shards of {args.shard_size} with a manifest; {args.threads} threads. "
        "Each run is a fresh `thresher run` process; a killed run gets SIGKILL (process "
        "group) at the given moment, then the same command runs to completion.",
        "",
        f"Uninterrupted: **{ref['wall']:.1f} s**, peak RSS {ref['maxrss_mb']:,.0f} MB; "
        f"{len(ref_sums)} output files, combined checksum `{pc.combined(ref_sums)}`:",
        files,
        "",
        common.markdown_table(
            [
                "killed at",
                "",
                "until kill s",
                "resumed s",
                "total s",
                "total / uninterrupted",
                "checksum",
                "identical",
            ],
            rows,
        ),
        "",
        f"- every resumed output byte-identical to the uninterrupted one: "
        f"**{'yes' if all_equal else 'NO'}**",
        "- the issue's goal: total / uninterrupted <= 1.3x",
        "",
    ]
    common.publish("\n".join(lines), args.out)
    return 0 if all_equal else 1


def pc_kill() -> str:
    """The name of the test hook's environment variable."""
    sys.path.insert(0, str(pc.REPO / "python"))
    from thresher.pipeline.context import KILL_AFTER_ENV

    return KILL_AFTER_ENV


if __name__ == "__main__":
    sys.exit(main())
