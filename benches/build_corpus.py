#!/usr/bin/env python
"""Build a large corpus of unique documents, with planted exact and near copies, from
the real technical documentation in ``docs/raw.jsonl.zst``.

Each document is made by recombining segments (sentences and paragraphs) of source
documents of one domain: the domain is drawn in proportion to its bytes in the source,
the length (characters) is that of a random source document of the domain (500 to 5,120
bytes, ~1.6 KB on average), and segments of random source documents of that domain are
concatenated until the length is reached. The corpus keeps the source's composition and
vocabulary (so DSIR toward a PostgreSQL target still means something) while its
documents are new: two of them share a 5-gram only where their segments do.

Planted copies (ground truth for dedup): each new document is, with probability
``--exact-rate``, an exact copy of an earlier original of the same shard, and with
``--near-rate`` a near copy: 1 to 3 words replaced by words of the same domain, fewer
for short documents so that the word 5-gram Jaccard similarity with the original stays
about 0.85 or more. A copy always comes after its original (same shard, later row), so a
keep-first dedup removes the copy. ``planted.jsonl`` lists ``{"id", "original", "kind",
"edits", "jaccard"}`` (``jaccard``: exact word 5-gram Jaccard similarity after
thresher's default normalisation, for near copies).

Output (``--out``, a directory): ``part-NNNNN.jsonl.zst`` shards of about
``--shard-mb`` MB of uncompressed JSONL each, one ``{"id", "text", "domain"}`` object a
line (ids ``NNNNN-RRRRRRR``: shard and row), ``planted.jsonl``, and ``corpus.json``
(parameters, sizes, counts). Every file is written under a temporary name and renamed.
The output depends only on ``--seed``, ``--gb`` and ``--shard-mb`` (each shard has its
own random stream), not on ``--processes``.

Usage::

    python benches/build_corpus.py --gb 0.2 --out /tmp/corpus-0.2
    python benches/build_corpus.py --gb 10 --out /work/bigcorpus --processes 2
"""

from __future__ import annotations

import argparse
import io
import json
import math
import multiprocessing as mp
import os
import re
import sys
import tempfile
import time
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
RAW = CORPORA / "docs" / "raw.jsonl.zst"

# A segment is a paragraph or a sentence; the separator after it is kept (as a blank
# line or a space) so that recombined documents look like the source.
_SPLIT = re.compile(r"(\n\s*\n|(?<=[.!?])\s+)")
_NORMALISE = re.compile(r"[^\w\s]")

# Filled in the parent before the workers fork (shared copy-on-write).
_SOURCE: dict[str, Any] = {}
# Longer segments are cut (at line breaks, then at spaces) so that no segment makes up
# most of a short document: two documents sharing one segment stay dissimilar.
_MAX_SEGMENT = 240


def _cut(segment: str) -> list[str]:
    if len(segment) <= _MAX_SEGMENT:
        return [segment]
    out: list[str] = []
    for line in segment.split("\n"):
        while len(line) > _MAX_SEGMENT:
            at = line.rfind(" ", _MAX_SEGMENT // 2, _MAX_SEGMENT)
            at = at if at > 0 else _MAX_SEGMENT
            out.append(line[:at])
            line = line[at:].lstrip()
        if line.strip():
            out.append(line)
    return out


def _parse_source(path: Path) -> dict[str, Any]:
    import zstandard

    segments: dict[str, list[str]] = {}
    doc_lengths: dict[str, list[int]] = {}
    with open(path, "rb") as f:
        lines = io.TextIOWrapper(
            zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True), encoding="utf-8"
        )
        for line in lines:
            row = json.loads(line)
            text, domain = row["text"].strip(), row["domain"]
            parts = _SPLIT.split(text)
            out = segments.setdefault(domain, [])
            for i in range(0, len(parts), 2):
                sep = parts[i + 1] if i + 1 < len(parts) else "\n\n"
                sep = "\n\n" if "\n" in sep else " "
                pieces = [s.strip() for s in _cut(parts[i].strip())]
                out.extend(
                    s + (sep if j == len(pieces) - 1 else "\n") for j, s in enumerate(pieces) if s
                )
            doc_lengths.setdefault(domain, []).append(len(text))
    domains = sorted(segments)
    return {
        "domains": domains,
        "segments": [s for d in domains for s in segments[d]],
        "seg_count": np.array([len(segments[d]) for d in domains], dtype=np.int64),
        "doc_len": np.concatenate([np.array(doc_lengths[d], dtype=np.int64) for d in domains]),
        "doc_count": np.array([len(doc_lengths[d]) for d in domains], dtype=np.int64),
    }


def load_source(path: Path, cache_dir: Path | None) -> dict[str, Any]:
    """Segments (sentences and paragraphs, with their separators) of every domain, in
    domain order, and the source documents' lengths; parsed once, then read from a
    pickle in ``cache_dir`` (keyed by the source's size and modification time)."""
    import pickle

    st = path.stat()
    cache = (
        cache_dir / f"source-{st.st_size}-{st.st_mtime_ns}-{_MAX_SEGMENT}.pickle"
        if cache_dir
        else None
    )
    if cache is not None and cache.exists():
        with open(cache, "rb") as f:
            src: dict[str, Any] = pickle.load(f)
    else:
        src = _parse_source(path)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump(src, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
    src["seg_len"] = np.array([len(s) for s in src["segments"]], dtype=np.int64)
    src["seg_off"] = np.concatenate([[0], np.cumsum(src["seg_count"])[:-1]])
    src["doc_off"] = np.concatenate([[0], np.cumsum(src["doc_count"])[:-1]])
    size = np.add.reduceat(src["doc_len"], src["doc_off"]).astype(np.float64)
    src["share"] = size / size.sum()
    return src


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """Word n-grams after thresher's default normalisation (lowercase, punctuation to
    space, whitespace collapsed)."""
    words = _NORMALISE.sub(" ", text.lower()).split()
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 1.0


_BATCH = 2048  # documents drawn at once (fixed: the output depends on it)
_WIDTH = 48  # segments drawn per document at once


def make_documents(rng: np.random.Generator) -> tuple[npt.NDArray[np.int64], list[str]]:
    """A batch of new documents: their domains and texts."""
    src = _SOURCE
    d = rng.choice(len(src["domains"]), size=_BATCH, p=src["share"])
    pick = (rng.random(_BATCH) * src["doc_count"][d]).astype(np.int64)
    target = src["doc_len"][src["doc_off"][d] + pick]
    count = src["seg_count"][d][:, None]
    picks = src["seg_off"][d][:, None] + (rng.random((_BATCH, _WIDTH)) * count).astype(np.int64)
    ends = np.cumsum(src["seg_len"][picks], axis=1)
    stop = (ends < target[:, None]).sum(axis=1) + 1  # the first segment reaching the target
    segs = src["segments"]
    texts = []
    for i in range(_BATCH):
        idx = picks[i, : stop[i]].tolist()
        total = int(ends[i, -1])
        while stop[i] > _WIDTH and total < target[i]:  # rare: many short segments
            more = int(src["seg_off"][d[i]]) + int(rng.integers(int(count[i, 0])))
            idx.append(more)
            total += int(src["seg_len"][more])
        texts.append("".join(itemgetter(*idx)(segs)).rstrip())
    return d, texts


def near_copy(rng: np.random.Generator, text: str, d: int) -> tuple[str, int]:
    """``text`` with 1 to 3 words replaced by words of domain ``d`` (fewer when short)."""
    words = text.split(" ")
    # Each edit changes at most 5 word 5-grams: keep (n - 5c) / (n + 5c) >= ~0.85.
    most = max(1, min(3, int(len(words) * 0.15 / (1.85 * 5))))
    edits = int(rng.integers(1, most + 1))
    src = _SOURCE
    for at in rng.choice(len(words), size=min(edits, len(words)), replace=False).tolist():
        seg = int(src["seg_off"][d]) + int(rng.integers(int(src["seg_count"][d])))
        donor = src["segments"][seg].split()
        word = donor[int(rng.integers(len(donor)))] if donor else "word"
        if word == words[at]:
            word = word + "s"
        words[at] = word
    return " ".join(words), edits


def build_shard(job: dict[str, Any]) -> dict[str, Any]:
    """Write shard ``job["shard"]`` (about ``job["bytes"]`` bytes of JSONL)."""
    import orjson
    import zstandard

    shard, budget, out = job["shard"], job["bytes"], Path(job["out"])
    rng = np.random.default_rng([job["seed"], shard])
    src = _SOURCE
    domains = src["domains"]
    originals: list[tuple[str, str, int]] = []  # (id, text, domain index): copy sources
    planted: list[dict[str, Any]] = []
    written = rows = 0
    final = out / f"part-{shard:05d}.jsonl.zst"
    tmp = out / f".part-{shard:05d}.jsonl.zst.{os.getpid()}.tmp"
    cctx = zstandard.ZstdCompressor(level=job["level"])
    with open(tmp, "wb") as raw, cctx.stream_writer(raw) as w:
        while written < budget:
            fresh_d, fresh = make_documents(rng)
            copy_u = rng.random(_BATCH)
            batch: list[bytes] = []
            for i in range(_BATCH):
                if written >= budget:
                    break
                doc_id = f"{shard:05d}-{rows:07d}"
                u = copy_u[i]
                if originals and u < job["exact_rate"]:
                    orig = originals[int(rng.integers(len(originals)))]
                    text, d = orig[1], orig[2]
                    planted.append({"id": doc_id, "original": orig[0], "kind": "exact", "edits": 0})
                elif originals and u < job["exact_rate"] + job["near_rate"]:
                    orig = originals[int(rng.integers(len(originals)))]
                    d = orig[2]
                    text, edits = near_copy(rng, orig[1], d)
                    planted.append(
                        {
                            "id": doc_id,
                            "original": orig[0],
                            "kind": "near",
                            "edits": edits,
                            "jaccard": round(jaccard(orig[1], text), 4),
                        }
                    )
                else:
                    d, text = int(fresh_d[i]), fresh[i]
                    # A bounded pool of copy sources: the last originals, replaced at random.
                    if len(originals) < 20_000:
                        originals.append((doc_id, text, d))
                    else:
                        originals[int(rng.integers(len(originals)))] = (doc_id, text, d)
                line = orjson.dumps({"id": doc_id, "text": text, "domain": domains[d]}) + b"\n"
                batch.append(line)
                written += len(line)
                rows += 1
            w.write(b"".join(batch))
    os.replace(tmp, final)
    return {
        "shard": shard,
        "file": final.name,
        "rows": rows,
        "bytes": written,
        "compressed": final.stat().st_size,
        "planted": planted,
    }


def write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gb", type=float, required=True, help="uncompressed JSONL size, 10^9 bytes")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--shard-mb", type=float, default=256.0, help="uncompressed MB per shard")
    p.add_argument("--exact-rate", type=float, default=0.01, help="share of exact copies")
    p.add_argument("--near-rate", type=float, default=0.02, help="share of near copies")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--level", type=int, default=3, help="zstd level")
    p.add_argument("--source", type=Path, default=RAW)
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "thresher-build-corpus",
        help="where the parsed source is kept for the next run",
    )
    p.add_argument("--no-cache", action="store_true", help="parse the source, keep nothing")
    args = p.parse_args(argv)
    if args.gb <= 0 or args.shard_mb <= 0:
        p.error("--gb and --shard-mb must be > 0")
    if not 0 <= args.exact_rate + args.near_rate < 1:
        p.error("--exact-rate + --near-rate must be in [0, 1)")

    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("part-*.jsonl.zst"):
        stale.unlink()
    _SOURCE.update(load_source(args.source, None if args.no_cache else args.cache_dir))
    loaded = time.perf_counter() - started
    total = int(args.gb * 1e9)
    shard_bytes = int(args.shard_mb * 1e6)
    shards = max(1, math.ceil(total / shard_bytes))
    jobs = [
        {
            "shard": i,
            "bytes": min(shard_bytes, total - i * shard_bytes),
            "out": str(args.out),
            "seed": args.seed,
            "exact_rate": args.exact_rate,
            "near_rate": args.near_rate,
            "level": args.level,
        }
        for i in range(shards)
    ]
    if args.processes > 1 and shards > 1:
        with mp.get_context("fork").Pool(min(args.processes, shards)) as pool:
            results = pool.map(build_shard, jobs, chunksize=1)
    else:
        results = [build_shard(j) for j in jobs]
    results.sort(key=lambda r: r["shard"])
    planted = [row for r in results for row in r["planted"]]
    write_atomic(args.out / "planted.jsonl", "".join(json.dumps(row) + "\n" for row in planted))
    seconds = time.perf_counter() - started
    info = {
        "source": str(args.source),
        "seed": args.seed,
        "gb": args.gb,
        "shard_mb": args.shard_mb,
        "exact_rate": args.exact_rate,
        "near_rate": args.near_rate,
        "rows": sum(r["rows"] for r in results),
        "bytes": sum(r["bytes"] for r in results),
        "compressed": sum(r["compressed"] for r in results),
        "planted_exact": sum(row["kind"] == "exact" for row in planted),
        "planted_near": sum(row["kind"] == "near" for row in planted),
        "shards": [{k: r[k] for k in ("file", "rows", "bytes", "compressed")} for r in results],
        "seconds": round(seconds, 1),
        "processes": args.processes,
    }
    write_atomic(args.out / "corpus.json", json.dumps(info, indent=1))
    print(
        f"{args.out}: {info['rows']:,} documents, {info['bytes'] / 1e9:.2f} GB JSONL "
        f"({info['compressed'] / 1e9:.2f} GB zstd) in {shards} shards; planted "
        f"{info['planted_exact']:,} exact + {info['planted_near']:,} near copies; "
        f"{seconds:.1f} s ({loaded:.1f} s loading the source, "
        f"{info['bytes'] / 1e6 / max(seconds - loaded, 1e-9):.0f} MB/s after)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
