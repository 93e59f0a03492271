"""The ``thresher tokens`` subcommand: per-document token counts of a corpus."""

from __future__ import annotations

import argparse
import time

from thresher.cli import options

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    tokens = sub.add_parser(
        "tokens",
        help="count the tokens of every document with a Hugging Face tokenizer.json",
        description="Count the tokens of every document (in corpus order) with a "
        "tokenizer.json, in parallel, and write one row per document: its position "
        "(row) and its count (tokens), as Parquet, JSON Lines or a .npy of uint32.",
    )
    options.add_inputs(tokens)
    tokens.add_argument("--tokenizer", required=True, metavar="JSON", help="a tokenizer.json")
    options.add_out(tokens, help="output .parquet, .jsonl, .jsonl.zst or .npy")
    tokens.add_argument("--text-column", default="text")
    tokens.add_argument(
        "--add-special-tokens",
        action="store_true",
        help="count the special tokens the tokenizer's post-processor adds (BOS, EOS...)",
    )
    options.add_threads(tokens)
    options.add_quiet(tokens)
    tokens.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> str:
    import numpy as np
    import pyarrow as pa

    from thresher.io.sources import read
    from thresher.io.writers import atomic_path, write_table
    from thresher.tokens import TokenCounter

    started = time.perf_counter()
    counter = TokenCounter(args.tokenizer, add_special_tokens=args.add_special_tokens)
    source = read(args.source, text_column=args.text_column)  # paths, not texts
    counts = counter.count(source, args.text_column, quiet=args.quiet)
    if str(args.out).endswith(".npy"):
        with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
            np.save(f, counts)
    else:
        rows = pa.array(np.arange(counts.size, dtype=np.int64))
        write_table(pa.table({"row": rows, "tokens": pa.array(counts)}), args.out)
    total = int(counts.sum(dtype=np.uint64))
    return (
        f"counted {total:,} tokens in {counts.size:,} documents\n{options.wrote(args.out, started)}"
    )
