"""What the pipeline benchmarks share: a measured command (wall time, peak RSS of its
process tree and of its largest process), pipeline files written as TOML, ``thresher
run`` as a separate process, and reading ids and checksums of outputs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

REPO = HERE.parent
CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))


def measure(
    cmd: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    kill_after: float | None = None,
) -> dict[str, Any]:
    """Run ``cmd`` in a new process group; its output goes to ``log``.

    Returns ``wall`` (seconds), ``code`` (the exit status; ``-9`` when killed),
    ``tree_peak_mb`` (the largest sampled sum of RSS over the process and its
    descendants, every 50 ms: an upper bound for pools of worker processes, whose
    shared pages count once per process), ``maxrss_mb`` (the kernel's peak RSS of the
    largest single process of the tree, ``ru_maxrss`` of ``wait4``) and ``processes``.
    With ``kill_after``, the whole process group is sent SIGKILL after that many
    seconds.
    """
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env.setdefault("TQDM_DISABLE", "1")
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(map(str, cmd))}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            list(map(str, cmd)),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env,
            start_new_session=True,
        )
        with common.TreeRssMonitor(proc.pid) as monitor:
            killed = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if kill_after is not None and time.perf_counter() - started >= kill_after:
                    os.killpg(proc.pid, 9)
                    killed = True
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if killed:
        # Workers of the group may outlive the leader for a moment.
        time.sleep(0.2)
    return {
        "wall": wall,
        "code": proc.returncode,
        "killed": killed,
        "tree_peak_mb": monitor.peak / 1e6,
        "maxrss_mb": usage.ru_maxrss * 1024 / 1e6,
        "processes": monitor.peak_processes,
    }


def thresher_env() -> dict[str, str]:
    """The environment that runs this checkout's ``thresher`` (``python/`` first)."""
    path = str(REPO / "python")
    old = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": path if not old else f"{path}{os.pathsep}{old}"}


def thresher_run(toml: Path, threads: int, *extra: str) -> list[str]:
    """The command line of ``thresher run TOML`` in a fresh interpreter."""
    return [
        sys.executable,
        "-m",
        "thresher.cli",
        "run",
        str(toml),
        "--threads",
        str(threads),
        "--quiet",
        *extra,
    ]


# --------------------------------------------------------------------------- TOML
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_pipeline(path: Path, config: Mapping[str, Any]) -> Path:
    """Write a pipeline (the dict form of ``thresher.Pipeline``) as a TOML file."""
    lines = []
    for key, value in config.items():
        if not isinstance(value, (Mapping, list)):
            lines.append(f"{key} = {_toml_value(value)}")
    for key in ("input", "output", "run"):
        if key in config:
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in config[key].items())
    for step in config.get("step", []):
        lines.append("\n[[step]]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in step.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- outputs
def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".zst"):
        import zstandard

        file = open(path, "rb")  # noqa: SIM115 (closed with the reader: closefd)
        raw = zstandard.ZstdDecompressor().stream_reader(
            file, read_across_frames=True, closefd=True
        )
        return io.TextIOWrapper(raw, encoding="utf-8")
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def jsonl_files(path: Path, pattern: str = "*") -> list[Path]:
    """The JSONL files (plain, .gz or .zst) of a file or directory (those whose name
    matches ``pattern``), in name order."""
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob(pattern)
        if p.is_file() and p.name.split(".", 1)[-1] in ("jsonl", "jsonl.gz", "jsonl.zst")
    )


def iter_rows(path: Path, fields: Sequence[str], pattern: str = "*") -> Iterator[tuple[Any, ...]]:
    """``fields`` of every row of the JSONL file(s) at ``path`` (see :func:`jsonl_files`)."""
    import orjson

    for file in jsonl_files(path, pattern):
        with _open_text(file) as f:
            for line in f:
                row = orjson.loads(line)
                yield tuple(row.get(k) for k in fields)


def ids_of(path: Path) -> list[str]:
    """The ``id`` of every row of the JSONL or Parquet output at ``path``."""
    parquet = sorted(path.rglob("*.parquet")) if path.is_dir() else []
    if parquet or path.suffix == ".parquet":
        import pyarrow.parquet as pq

        files = parquet or [path]
        return [i for f in files for i in pq.read_table(f, columns=["id"]).column(0).to_pylist()]
    return [str(r[0]) for r in iter_rows(path, ["id"])]


def checksums(path: Path) -> dict[str, str]:
    """sha256 of every data file of an output (shards or one file), by name; the run
    report and statistics, which hold timings, are left out."""
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    out = {}
    for file in files:
        if file.name in ("report.html", "stats.json") or file.name.startswith("."):
            continue
        h = hashlib.sha256()
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        out[file.name] = h.hexdigest()
    return out


def combined(sums: Mapping[str, str]) -> str:
    """One sha256 over the per-file checksums (name order)."""
    return hashlib.sha256(json.dumps(sorted(sums.items())).encode()).hexdigest()[:16]


CORPUS_SHARDS = "part-*.jsonl.zst"
"""The data files of a corpus from ``build_corpus.py`` (beside planted.jsonl)."""


def corpus_info(corpus: Path) -> dict[str, Any]:
    """``corpus.json`` of a corpus made by ``build_corpus.py``."""
    info: dict[str, Any] = json.loads((corpus / "corpus.json").read_text())
    return info


def ensure_corpus(corpus: Path, gb: float, shard_mb: float = 256.0, seed: int = 0) -> Path:
    """A corpus from ``build_corpus.py`` at ``corpus``, built when missing (or when its
    size or seed differ)."""
    meta = corpus / "corpus.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if info["gb"] == gb and info["shard_mb"] == shard_mb and info["seed"] == seed:
            return corpus
    cmd = [
        sys.executable,
        str(HERE / "build_corpus.py"),
        "--gb",
        str(gb),
        "--shard-mb",
        str(shard_mb),
        "--seed",
        str(seed),
        "--out",
        str(corpus),
    ]
    print("building the corpus:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return corpus
