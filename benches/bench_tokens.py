#!/usr/bin/env python
"""Token counting: thresher's TokenCounter against the Python ``tokenizers`` package's
``encode_batch`` on the same texts, in one process.

The texts are the first ``--docs`` documents of the shared docs corpus
(``$THRESHER_CORPORA/docs/raw.jsonl.zst``, default ``/work/shared/corpora``) or, when
it is absent, the test fixture repeated. A byte-level BPE (GPT-2-style pre-tokenizer,
``--vocab`` merges) is trained on them with ``tokenizers`` and saved; both sides load
the same ``tokenizer.json``. The peer's counts are ``len(e.ids)`` of
``encode_batch(texts, add_special_tokens=False)`` (its own rayon pool, on every core)
and, when the package has it, of ``encode_batch_fast``; thresher's are
``TokenCounter.count`` on a pyarrow array (its pool, every core). Both must agree
exactly. Median of ``--repeat`` runs.

Usage::

    python benches/bench_tokens.py --docs 20000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import thresher
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora")) / "docs" / "raw.jsonl.zst"


def _texts(n: int) -> list[str]:
    if CORPUS.exists():
        out: list[str] = []
        for batch in thresher.read(str(CORPUS)).to_reader():
            out.extend(batch.column("text").to_pylist())
            if len(out) >= n:
                break
        return out[:n]
    lines = (ROOT / "tests" / "data" / "raw_small.jsonl").read_text("utf-8").splitlines()
    base = [json.loads(line)["text"] for line in lines]
    return (base * (n // len(base) + 1))[:n]


def _median(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--vocab", type=int, default=8_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    texts = _texts(args.docs)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts[:5_000],
        trainers.BpeTrainer(
            vocab_size=args.vocab,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    path = Path(tempfile.mkdtemp()) / "tokenizer.json"
    tok.save(str(path))
    peer = Tokenizer.from_file(str(path))
    counter = thresher.TokenCounter(path)
    array = pa.array(texts, pa.string())

    rows = []
    t_ours, ours = _median(lambda: counter.count(array), args.repeat)
    rows.append(("thresher TokenCounter.count", t_ours))
    t_peer, theirs = _median(
        lambda: np.array(
            [len(e.ids) for e in peer.encode_batch(texts, add_special_tokens=False)], np.uint32
        ),
        args.repeat,
    )
    rows.append(("tokenizers encode_batch", t_peer))
    assert np.array_equal(ours, theirs), "counts differ"
    if hasattr(peer, "encode_batch_fast"):
        t_fast, fast = _median(
            lambda: np.array(
                [len(e.ids) for e in peer.encode_batch_fast(texts, add_special_tokens=False)],
                np.uint32,
            ),
            args.repeat,
        )
        assert np.array_equal(ours, fast)
        rows.append(("tokenizers encode_batch_fast", t_fast))

    total = int(np.asarray(ours).sum())
    print(
        f"{len(texts):,} documents, {megabytes:.1f} MB, {total:,} tokens, vocab {args.vocab}, "
        f"{thresher.get_num_threads()} threads, python {sys.version.split()[0]}"
    )
    print("| tool | median s | MB/s | tokens/s | vs thresher |")
    print("| --- | --- | --- | --- | --- |")
    for name, seconds in rows:
        print(
            f"| {name} | {seconds:.3f} | {megabytes / seconds:.1f} | "
            f"{total / seconds / 1e6:.2f}M | {seconds / t_ours:.2f}x |"
        )


if __name__ == "__main__":
    main()
