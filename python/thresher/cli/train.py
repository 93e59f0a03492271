"""The ``thresher train-classifier`` subcommand: train a fastText-style quality
classifier and save it as a ``.bin``."""

from __future__ import annotations

import argparse
import time

from thresher.cli import options
from thresher.quality import train

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    p = sub.add_parser(
        "train-classifier",
        help="train a fastText-style quality classifier (positive vs negative)",
        description="Train a hashed n-gram linear classifier (fastText's supervised "
        "model) of --positive versus --negative documents (or of the classes of "
        "--label-column), deterministically for --seed, write it as a fastText .bin and "
        "print its held-out AUC.",
    )
    p.add_argument(
        "--positive", nargs="+", required=True, help="positive corpus (or all, with --label-column)"
    )
    p.add_argument("--negative", nargs="+", default=None, help="negative corpus")
    p.add_argument("--label-column", default=None, help="column of --positive giving each class")
    p.add_argument("--out", required=True, help="the model file to write (.bin)")
    p.add_argument("--text-column", default="text")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--word-ngrams", type=int, default=2)
    p.add_argument("--min-count", type=int, default=1)
    p.add_argument("--buckets", type=int, default=2_000_000)
    p.add_argument("--minn", type=int, default=0)
    p.add_argument("--maxn", type=int, default=0)
    p.add_argument("--loss", choices=["softmax", "ova"], default="softmax")
    p.add_argument("--holdout", type=float, default=0.1, help="share held out (default 0.1)")
    options.add_seed(p)
    options.add_threads(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> str:
    started = time.perf_counter()
    clf = train(
        args.positive,
        args.negative,
        label_column=args.label_column,
        text_column=args.text_column,
        dim=args.dim,
        epochs=args.epochs,
        lr=args.lr,
        word_ngrams=args.word_ngrams,
        min_count=args.min_count,
        buckets=args.buckets,
        minn=args.minn,
        maxn=args.maxn,
        loss=args.loss,
        holdout=args.holdout,
        seed=args.seed,
    )
    clf.save(args.out)
    held = clf.report["holdout_documents"]
    auc = "n/a (no held-out document of some class)" if clf.auc is None else f"{clf.auc:.4f}"
    counts = ", ".join(f"{n} {c}" for n, c in held.items())
    return f"held-out AUC {auc} ({counts})\n{options.wrote(args.out, started)}"
