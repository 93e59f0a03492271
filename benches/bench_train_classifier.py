#!/usr/bin/env python
"""Training a quality classifier: thresher.quality.train versus fasttext.train_supervised.

Task: PostgreSQL documentation versus everything else in the docs corpus. Positive =
the 1,000 documents of ``target-postgresql.jsonl.zst`` plus the 2,285 rows of
``raw.jsonl.zst`` whose ``domain`` is ``postgresql`` (the same documentation, the
corpus's ground truth); negative = the other 164,708 raw rows. Both tools train on the
same documents with the same hyperparameters (softmax, ``dim``, ``epoch``, ``lr``,
``wordNgrams``, ``minCount``, ``bucket``; fastText with 2 threads), in this one
process, and are measured on the same held-out documents (thresher's split for the
seed): wall time of training (fastText's includes reading its training file, which is
written before the clock starts; thresher's includes tokenising the in-memory texts
and predicting the held-out part) and held-out ROC AUC of P(positive), computed with
sklearn for both.

Usage::

    python benches/bench_train_classifier.py                 # full corpus
    python benches/bench_train_classifier.py --subset 20000  # quick run
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
RAW = CORPORA / "docs" / "raw.jsonl.zst"
TARGET = CORPORA / "docs" / "target-postgresql.jsonl.zst"
RESULTS = HERE / "results" / "train-classifier.md"


def read_jsonl_zst(path: Path) -> list[dict]:
    import zstandard

    with open(path, "rb") as f:
        text = zstandard.ZstdDecompressor().stream_reader(f).read().decode("utf-8")
    return [json.loads(line) for line in io.StringIO(text)]


def load(subset: int | None) -> tuple[list[str], np.ndarray]:
    """Texts (newlines as spaces) and labels (1 = PostgreSQL)."""
    raw = read_jsonl_zst(RAW)
    if subset:
        raw = raw[:subset]
    target = read_jsonl_zst(TARGET)
    texts = [r["text"] for r in target] + [r["text"] for r in raw]
    y = np.array([1] * len(target) + [int(r["domain"] == "postgresql") for r in raw])
    return [t.replace("\n", " ") for t in texts], y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subset", type=int, default=None, help="first N raw rows only")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--word-ngrams", type=int, default=2)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--buckets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    load_start = common.load_average()

    import fasttext
    import pyarrow as pa
    import thresher
    from sklearn.metrics import roc_auc_score
    from thresher.quality import train

    thresher.set_num_threads(args.threads)
    texts, y = load(args.subset)
    print(f"{len(texts)} documents, {int(y.sum())} positive", flush=True)
    pos = pa.table({"text": [t for t, v in zip(texts, y, strict=True) if v]})
    neg = pa.table({"text": [t for t, v in zip(texts, y, strict=True) if not v]})
    # thresher's rows: positives first, then negatives.
    order = np.concatenate([np.flatnonzero(y == 1), np.flatnonzero(y == 0)])

    t0 = time.perf_counter()
    clf = train(
        pos,
        neg,
        dim=args.dim,
        epochs=args.epochs,
        lr=args.lr,
        word_ngrams=args.word_ngrams,
        min_count=args.min_count,
        buckets=args.buckets,
        holdout=0.1,
        seed=args.seed,
    )
    t_thresher = time.perf_counter() - t0
    held = order[clf.holdout_rows]
    y_held = y[held]
    auc_thresher = roc_auc_score(y_held, clf.holdout_scores[:, 0])
    assert clf.auc is not None and abs(auc_thresher - clf.auc) < 1e-12
    print(f"thresher: {t_thresher:.1f} s, held-out AUC {auc_thresher:.4f}", flush=True)

    is_held = np.zeros(len(texts), bool)
    is_held[held] = True
    work = Path(tempfile.mkdtemp(prefix="thresher-bench-train-"))
    train_file = work / "train.txt"
    with open(train_file, "w", encoding="utf-8") as f:
        for i in np.flatnonzero(~is_held):
            f.write(f"__label__{'positive' if y[i] else 'negative'} {texts[i]}\n")
    t0 = time.perf_counter()
    ft = fasttext.train_supervised(
        str(train_file),
        dim=args.dim,
        epoch=args.epochs,
        lr=args.lr,
        wordNgrams=args.word_ngrams,
        minCount=args.min_count,
        bucket=args.buckets,
        thread=2,
        seed=args.seed,
        verbose=0,
    )
    t_fasttext = time.perf_counter() - t0
    labels, probs = ft.predict([texts[i] for i in held], k=-1)
    pairs = zip(labels, probs, strict=True)
    p_ft = np.array([dict(zip(a, p, strict=True)).get("__label__positive", 0.0) for a, p in pairs])
    auc_fasttext = roc_auc_score(y_held, p_ft)
    print(f"fasttext: {t_fasttext:.1f} s, held-out AUC {auc_fasttext:.4f}", flush=True)
    train_file.unlink()

    info = common.machine_info(("thresher", "fasttext-numpy2-wheel", "numpy"), load_start)
    rows = [
        [
            "thresher.quality.train",
            f"{t_thresher:.1f}",
            f"{auc_thresher:.4f}",
            "1 (SGD), deterministic",
        ],
        ["fasttext.train_supervised", f"{t_fasttext:.1f}", f"{auc_fasttext:.4f}", "2 (Hogwild)"],
    ]
    text = (
        "# Training a quality classifier: thresher versus fastText\n\n"
        "Command: `python benches/bench_train_classifier.py"
        + (f" --subset {args.subset}" if args.subset else "")
        + "`\n\n"
        + common.machine_markdown(info)
        + f"\nPostgreSQL (target + raw domain postgresql, {int(y.sum())} documents) versus "
        f"the rest of the docs corpus ({int((y == 0).sum())}); {len(held)} held out "
        f"(seed {args.seed}). dim {args.dim}, epoch {args.epochs}, lr {args.lr}, "
        f"wordNgrams {args.word_ngrams}, minCount {args.min_count}, bucket {args.buckets}, "
        "softmax.\n\n"
        + common.markdown_table(["tool", "train s", "held-out AUC", "SGD threads"], rows)
        + f"\n\nTime ratio fastText / thresher: {t_fasttext / t_thresher:.2f}x "
        f"(above 1: thresher faster). AUC difference thresher - fastText: "
        f"{auc_thresher - auc_fasttext:+.4f}.\n"
    )
    marker = "\n## DSIR versus the classifier"
    if args.out.exists() and marker in args.out.read_text():
        text += marker + args.out.read_text().split(marker, 1)[1]
    common.publish(text, args.out)


if __name__ == "__main__":
    main()
