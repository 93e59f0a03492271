#!/usr/bin/env python
"""thresher on a local Ray instance versus the local thresher run, on the same data.

A slice of the real docs corpus (``../shared/corpora/docs/raw.jsonl.zst``, the first
``--docs`` documents, written as ``--files`` JSONL files) is processed both ways:

- DSIR: fit (target: the PostgreSQL sections) and select 10% (Gumbel top-k);
- weighted sampling without replacement (k = 1%, weights = text length);
- near-duplicate dedup (threshold 0.8, exact verification).

The local run is thresher's own multi-threaded kernels in this process; the Ray run
is ``thresher.ray`` on ``ray.init(num_cpus=2)`` (started once, its ~7 s start-up
reported apart; each Ray job runs once untimed first, as its worker processes
start and import thresher on first use), reading the files itself
(``thresher.ray.read``, counted in each Ray figure, as the local run reads the
files in each call). Both results are
checked equal. Throughput = MB of JSONL / wall time; overhead ratio = Ray time /
local time (medians of ``--repeat`` runs).

Usage::

    python benches/bench_ray.py                # 20,000 documents, 8 files
    python benches/bench_ray.py --docs 5000    # quicker
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pytest --import-mode=importlib does not add it
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

RESULTS = HERE / "results"
CORPUS = HERE.parent.parent / "shared" / "corpora" / "docs"
PACKAGES = ("thresher", "ray", "pyarrow", "numpy")


def slice_corpus(docs: int, files: int, folder: Path) -> tuple[list[str], int]:
    """The first ``docs`` documents of the docs corpus as ``files`` JSONL files."""
    import zstandard

    lines: list[bytes] = []
    with open(CORPUS / "raw.jsonl.zst", "rb") as f:
        reader = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(f))
        for line in reader:
            if line.strip():
                lines.append(line if line.endswith(b"\n") else line + b"\n")
            if len(lines) == docs:
                break
    paths = []
    per = -(-len(lines) // files)
    for n in range(files):
        path = folder / f"part-{n:03d}.jsonl"
        path.write_bytes(b"".join(lines[n * per : (n + 1) * per]))
        paths.append(str(path))
    return paths, sum(len(x) for x in lines)


def target(folder: Path) -> str:
    import zstandard

    data = (
        zstandard.ZstdDecompressor()
        .decompressobj()
        .decompress((CORPUS / "target-postgresql.jsonl.zst").read_bytes())
    )
    path = folder / "target.jsonl"
    path.write_bytes(data)
    return str(path)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return common.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "ray.md")
    args = parser.parse_args()
    load_start = common.load_average()

    import numpy as np
    import pyarrow as pa
    import ray
    import ray.data
    import thresher
    import thresher.ray as tr
    from thresher import sample

    folder = Path(tempfile.mkdtemp(prefix="thresher-bench-ray-"))
    paths, nbytes = slice_corpus(args.docs, args.files, folder)
    tgt = target(folder)
    mb = nbytes / 1e6
    k = max(1, args.docs // 10)
    k_w = max(1, args.docs // 100)
    rows: list[list[Any]] = []

    def lengths() -> Any:
        table = thresher.read(paths, text_column=None).to_reader().read_all()
        return pa.compute.utf8_length(table.column("text")).cast(pa.float64())

    def local_dsir() -> Any:
        d = thresher.DSIR().fit(tgt, paths, cache_raw=False)
        return d.select(paths, k, seed=0)

    def local_weighted() -> Any:
        return sample.weighted(lengths(), k_w, seed=0)

    def local_dedup() -> Any:
        return thresher.dedup(paths, threshold=0.8)

    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_init = time.perf_counter() - start
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED

    def ray_dsir() -> Any:
        ds = tr.read(paths)
        d = tr.fit(thresher.DSIR(), tgt, ds)
        return tr.select(d, ds, k, seed=0)

    def ray_weighted() -> Any:
        ds = tr.read(paths, text_column=None)
        ds = ds.map_batches(
            lambda b: b.append_column(
                "length", pa.compute.utf8_length(b.column("text")).cast(pa.float64())
            ),
            batch_format="pyarrow",
        )
        return tr.weighted(ds, k_w, "length", seed=0)

    def ray_dedup() -> Any:
        return tr.dedup(tr.read(paths), threshold=0.8).to_arrow()

    for name, local_fn, ray_fn, same in [
        (
            "DSIR fit + select 10%",
            local_dsir,
            ray_dsir,
            lambda a, b: a.table.equals(b.table),
        ),
        (
            "weighted sample 1%",
            local_weighted,
            ray_weighted,
            lambda a, b: a.tolist() == b.column("row").to_pylist(),
        ),
        (
            "dedup (0.8, exact verification)",
            local_dedup,
            ray_dedup,
            lambda a, b: (
                a.cluster_id.tolist() == b.column("cluster_id").to_pylist()
                and a.is_duplicate.tolist() == b.column("is_duplicate").to_pylist()
            ),
        ),
    ]:
        t_local, out_local = timed(local_fn, args.repeat)
        ray_fn()  # warm-up: Ray's worker processes start and import thresher on first use
        t_ray, out_ray = timed(ray_fn, args.repeat)
        equal = bool(same(out_local, out_ray))
        print(f"{name}: local {t_local:.2f} s, ray {t_ray:.2f} s, equal {equal}", flush=True)
        rows.append(
            [
                name,
                f"{t_local:.2f} s",
                f"{mb / t_local:.1f}",
                f"{t_ray:.2f} s",
                f"{mb / t_ray:.1f}",
                f"{t_ray / t_local:.1f}x",
                "yes" if equal else "**NO**",
            ]
        )
    ray.shutdown()
    info = common.machine_info(PACKAGES, load_at_start=load_start)
    info["notes"].append(
        f"ray.init(num_cpus=2) took {ray_init:.1f} s (not counted); "
        f"{os.getloadavg()[0]:.1f} load at the end"
    )
    text = (
        "# thresher on a local Ray instance vs the local run\n\n"
        f"{args.docs:,} documents of the docs corpus ({mb:.1f} MB of JSONL) in "
        f"{args.files} files; medians of {args.repeat} runs; MB/s = JSONL MB / wall time.\n\n"
        + common.markdown_table(
            ["job", "local", "local MB/s", "Ray", "Ray MB/s", "overhead (Ray/local)", "equal"],
            rows,
        )
        + "\n\n"
        + common.machine_markdown(info)
    )
    common.publish(text, args.out)
    json.dumps(info)
    del np


if __name__ == "__main__":
    main()
