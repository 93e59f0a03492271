"""Shared helpers of thresher's benchmarks: machine description, child-process runs
with peak-memory measurement, AUC, and markdown tables.

Standard library and numpy only (psutil is not needed: the process tree's memory is
read from ``/proc``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# --------------------------------------------------------------------------- machine
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """The 1-minute load average, or "n/a"."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


def machine_info(packages: Sequence[str] = (), load_at_start: str | None = None) -> dict[str, Any]:
    """Date, host facts and package versions, for the header of a results file."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    mem = mem_total_gb()
    return {
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": affinity or os.cpu_count(),
        "cpu": cpu_model(),
        "memory": f"{mem:.0f} GB" if mem else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {p: version(p) for p in packages},
        "load": f"{load_at_start or 'n/a'} at the start, {load_average()} at the end",
        "notes": [],
    }


def machine_markdown(info: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    return (
        f"- Date: {info['date']}\n"
        f"- Machine: {info['nproc']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"{info['os']}, shared and noisy\n"
        f"- Load average (1 min): {info['load']}\n"
        f"- Python {info['python']}; {versions}\n"
        + "".join(f"- {note}\n" for note in info["notes"])
    )


# --------------------------------------------------------------------------- memory
def _children_map() -> dict[int, list[int]]:
    """ppid -> pids, from one scan of /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        rest = stat[stat.rfind(b")") + 2 :].split()
        tree.setdefault(int(rest[1]), []).append(int(entry.name))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid`` in bytes (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


class TreeRssMonitor:
    """Samples the summed RSS of a process and all its descendants in a thread.

    The sum over-counts pages shared between processes (e.g. forked or spawned workers
    that map the same libraries), so for multi-process tools it is an upper bound.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRssMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        scans = 0
        tree: dict[int, list[int]] = {}
        while not self._stop.is_set():
            # Rescanning /proc for new children costs ~ms; do it every 4th sample.
            if scans % 4 == 0:
                tree = _children_map()
            scans += 1
            pids, stack = [], [self.pid]
            while stack:
                p = stack.pop()
                pids.append(p)
                stack.extend(tree.get(p, ()))
            total = sum(rss_bytes(p) for p in pids)
            if total > self.peak:
                self.peak, self.peak_processes = total, len(pids)
            self._stop.wait(self.interval)


def max_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS in MB of 10^6 bytes (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(who).ru_maxrss * 1024 / 1e6


@dataclass
class ChildRun:
    """The outcome of :func:`run_child`."""

    result: dict[str, Any]
    wall: float
    tree_peak_mb: float
    processes: int
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)


def run_child(
    script: Path,
    kind: str,
    spec: dict[str, Any],
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
) -> ChildRun:
    """Run ``script --_worker KIND SPEC OUT`` in a fresh interpreter and collect its JSON.

    The child writes its result (timings, its own ``ru_maxrss``...) to OUT; stdout and
    stderr go to a log file in ``workdir`` (progress bars would scramble the table).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = f"{kind}-{os.getpid()}-{time.monotonic_ns()}"
    spec_path, out_path, log = (workdir / f"{stamp}.{x}" for x in ("spec.json", "out.json", "log"))
    spec_path.write_text(json.dumps(spec))
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env.setdefault("TQDM_DISABLE", "1")
    t0 = time.perf_counter()
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [sys.executable, str(script), "--_worker", kind, str(spec_path), str(out_path)],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env=child_env,
        )
        with TreeRssMonitor(proc.pid) as monitor:
            code = proc.wait()
    wall = time.perf_counter() - t0
    if code != 0 or not out_path.exists():
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"worker {kind} failed with exit code {code}; log {log}:\n{tail}")
    result = json.loads(out_path.read_text())
    spec_path.unlink()
    out_path.unlink()
    return ChildRun(result, wall, monitor.peak / 1e6, monitor.peak_processes, log)


# --------------------------------------------------------------------------- metrics
def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for the boolean labels ``positive``
    (Mann-Whitney U with average ranks for ties).

    >>> round(auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])), 3)
    0.75
    """
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average rank of each run of equal scores.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    avg = (starts + ends - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, ends - starts)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def median(values: Iterable[float]) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- tables
def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def publish(text: str, out: Path) -> None:
    """Print the results and write them to ``out`` (markdown)."""
    print()
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")


# --------------------------------------------------------------------------- data and timing
EMBEDDINGS = Path("/work/shared/corpora/embeddings")


def minilm_30k() -> tuple[np.ndarray, np.ndarray] | None:
    """The MiniLM embeddings of 30,000 documentation sections as float32 ``(30000, 384)``
    and their domains (34 strings), or ``None`` when the shared corpus is absent."""
    path = EMBEDDINGS / "minilm-30k.f16.npy"
    meta = EMBEDDINGS / "minilm-30k.meta.jsonl.zst"
    if not path.exists() or not meta.exists():
        return None
    import io

    import zstandard

    with open(meta, "rb") as f:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        domains = np.array([json.loads(line)["domain"] for line in text])
    return np.load(path).astype(np.float32), domains


def median_time(fn: Any, repeats: int, echo: bool = False) -> tuple[float, Any]:
    """``(median seconds, last result)`` of ``repeats`` calls of ``fn()``."""
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
        if echo:
            print(f"    {times[-1]:.2f} s", flush=True)
    return statistics.median(times), out
