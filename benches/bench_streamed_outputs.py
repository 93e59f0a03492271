"""Peak memory of ``thresher dedup --annotate``: the output streamed, or held whole.

Runs ``thresher dedup CORPUS --annotate --out OUT --quiet`` in a fresh process on the
docs corpus decompressed to plain JSON Lines (283 MB) and reads that process's peak RSS
from ``wait4``; then, in another fresh process, the same dedup through the library
with the peak reset (``/proc/self/clear_refs``) between the dedup kernel and the
output, so the output phase's own peak shows. ``--compare LABEL=PYTHONPATH`` runs the
same for another checkout of thresher (e.g. the commit before streamed outputs, its
``python/`` folder with a built ``_core`` copied in), for a before/after table::

    python benches/bench_streamed_outputs.py --compare before=/tmp/before/python

Results go to ``benches/results/streamed-outputs.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import machine_info, machine_markdown, markdown_table, publish

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
RESULTS = Path(__file__).parent / "results" / "streamed-outputs.md"


def _corpus(workdir: Path) -> Path:
    """``docs/raw.jsonl.zst`` decompressed once into ``workdir``."""
    import zstandard

    plain = workdir / "raw.jsonl"
    if not plain.exists():
        tmp = plain.with_suffix(".tmp")
        with open(CORPORA / "docs" / "raw.jsonl.zst", "rb") as src, open(tmp, "wb") as dst:
            zstandard.ZstdDecompressor().copy_stream(src, dst)
        tmp.rename(plain)
    return plain


def _run(argv: list[str], pythonpath: str | None) -> tuple[float, float, str]:
    """Peak RSS (MB of 10^6 bytes), wall seconds and stdout of a child process."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode:
        raise RuntimeError(f"{argv} failed ({proc.returncode}):\n{text[-3000:]}")
    return usage.ru_maxrss * 1024 / 1e6, time.perf_counter() - started, text


def _phases_worker(corpus: str, out: str, mode: str) -> None:
    """In this process: the dedup kernel, the peak reset, then the output."""
    import thresher

    def status() -> dict[str, float]:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return {k: int(fields[k].split()[0]) * 1024 / 1e6 for k in ("VmHWM", "VmRSS")}

    t0 = time.perf_counter()
    result = thresher.dedup(corpus, output="annotate")
    kernel = status()
    t1 = time.perf_counter()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    base = status()["VmRSS"]
    if mode == "table":  # what verbs did before: the whole output table, then write it
        from thresher.io.writers import write_table

        write_table(result.table, out)
    else:
        result.write(out)
    after = status()
    print(
        json.dumps(
            {
                "kernel_peak": kernel["VmHWM"],
                "kernel_s": t1 - t0,
                "output_base": base,
                "output_peak": after["VmHWM"],
                "output_s": time.perf_counter() - t1,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL=PYTHONPATH")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "thr-so")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--_phases", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._phases:
        _phases_worker(*args._phases)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = _corpus(args.workdir)
    # This checkout's python/ when its extension is built there (a worktree), else the
    # installed thresher.
    here = Path(__file__).resolve().parents[1] / "python"
    mine = str(here) if list((here / "thresher").glob("_core*.so")) else None
    versions: list[tuple[str, str | None, bool]] = [("this checkout", mine, True)]
    versions += [(*c.split("=", 1), False) for c in args.compare]  # type: ignore[misc]
    cli_rows, phase_rows = [], []
    for label, path, streamed in versions:
        outs = [("out.parquet", "file")]
        if streamed:  # shards exist only in the streamed version
            outs.append(("out/", "shards"))
        for name, kind in outs:
            target = args.workdir / name
            if target.is_dir():
                shutil.rmtree(target)
            argv = [sys.executable, "-m", "thresher.cli", "dedup", str(corpus), "--annotate"]
            peak, wall, _ = _run([*argv, "--out", str(target), "--quiet"], path)
            cli_rows.append([label, f"`--out {name}` ({kind})", f"{peak:,.0f}", f"{wall:.1f}"])
            print(cli_rows[-1], flush=True)
        mode = "stream" if streamed else "table"
        me = [sys.executable, str(Path(__file__).resolve()), "--_phases"]
        _, _, text = _run([*me, str(corpus), str(args.workdir / "p.parquet"), mode], path)
        p: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
        phase_rows.append(
            [
                label,
                mode,
                f"{p['kernel_peak']:,.0f}",
                f"{p['output_base']:,.0f}",
                f"{p['output_peak']:,.0f}",
                f"{p['output_peak'] - p['output_base']:+,.0f}",
                f"{p['output_s']:.1f}",
            ]
        )
        print(phase_rows[-1], flush=True)
    size = corpus.stat().st_size / 1e6
    text = "\n".join(
        [
            "# Streamed outputs: peak memory of `thresher dedup --annotate`",
            "",
            machine_markdown(machine_info(["pyarrow"])),
            "",
            f"Corpus: `docs/raw.jsonl.zst` decompressed to plain JSON Lines ({size:,.0f} MB, "
            "166,993 documents); default settings (threshold 0.8, 128 permutations, exact "
            "verification). Command: `python benches/bench_streamed_outputs.py "
            + " ".join(f"--compare {c}" for c in args.compare)
            + "`.",
            "",
            "Whole process, `thresher dedup CORPUS --annotate --out OUT --quiet`, peak RSS "
            "from `wait4` (MB of 10^6 bytes):",
            "",
            markdown_table(["thresher", "output", "peak RSS MB", "wall s"], cli_rows),
            "",
            "The output phase alone: `dedup()` in a fresh process, the peak reset "
            "(`/proc/self/clear_refs`), then the output written (`table`: build "
            "`result.table` and `write_table` it, as the verbs did before; `stream`: "
            "`result.write(path)`, batch by batch):",
            "",
            markdown_table(
                [
                    "thresher",
                    "output",
                    "kernel peak MB",
                    "RSS before output MB",
                    "output peak MB",
                    "output adds MB",
                    "output s",
                ],
                phase_rows,
            ),
            "",
        ]
    )
    publish(text, args.out)


if __name__ == "__main__":
    main()
