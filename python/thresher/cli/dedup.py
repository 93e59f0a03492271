"""The ``thresher dedup`` subcommand, locally and with ``--ray``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from thresher.cli import options
from thresher.cli import ray as cli_ray
from thresher.exceptions import InvalidParameterError

__all__ = ["add_parsers", "dedup_options"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    dedup = sub.add_parser(
        "dedup",
        help="remove near-duplicate (MinHash LSH) or exact duplicate documents",
        description="Find duplicate documents (MinHash signatures, LSH candidates verified "
        "against the threshold, union-find clusters) and write the kept documents, or "
        "every document annotated with cluster_id, is_duplicate and similarity.",
    )
    options.add_inputs(dedup, help="corpus: files, globs, directories")
    options.add_out(dedup)
    dedup.add_argument("--threshold", type=float, default=0.8, help="Jaccard (default 0.8)")
    dedup.add_argument("--num-perm", type=int, default=128)
    dedup.add_argument("--ngram", type=int, default=5)
    dedup.add_argument("--unit", choices=["word", "char"], default="word")
    dedup.add_argument("--method", choices=["minhash", "exact"], default="minhash")
    dedup.add_argument("--keep", choices=["first", "longest", "score"], default="first")
    dedup.add_argument("--score-column", default=None, help="column for --keep score")
    dedup.add_argument(
        "--verify",
        choices=["signature", "exact"],
        default="exact",
        help="confirm candidates by exact Jaccard (default; reads the corpus twice) or "
        "by signature agreement",
    )
    dedup.add_argument("--bands", type=int, default=None)
    dedup.add_argument("--rows", type=int, default=None)
    dedup.add_argument("--scheme", choices=["thresher", "affine32", "legacy"], default="thresher")
    options.add_seed(dedup, default=1)
    dedup.add_argument("--no-lowercase", action="store_true")
    dedup.add_argument("--keep-punctuation", action="store_true")
    dedup.add_argument("--digits", action="store_true", help="map digits to 0")
    dedup.add_argument("--nfkc", action="store_true", help="Unicode NFKC first (slow)")
    dedup.add_argument(
        "--annotate", action="store_true", help="write every row with the dedup columns"
    )
    dedup.add_argument("--text-column", default="text")
    dedup.add_argument(
        "--memory",
        default=None,
        help="budget of the signatures and band keys, e.g. 4GB or 512MiB (default: a "
        "quarter of RAM, at most 4 GiB); past it they are sorted on disk, same results",
    )
    dedup.add_argument(
        "--spill-dir",
        default=None,
        help="directory of the spill files (default: the temporary directory); they "
        "are removed at the end",
    )
    options.add_threads(dedup)
    options.add_quiet(dedup, help="no progress bar")
    cli_ray.add_flag(dedup, _run_on_ray)
    dedup.set_defaults(func=_run)


def dedup_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``thresher dedup`` common to the local and the ``--ray`` run."""
    return {
        "keep": args.keep,
        "score": args.score_column,
        "verify": args.verify,
        "bands": args.bands,
        "rows": args.rows,
        "scheme": args.scheme,
        "seed": args.seed,
        "unit": args.unit,
        "lowercase": not args.no_lowercase,
        "punctuation": not args.keep_punctuation,
        "digits": args.digits,
        "nfkc": args.nfkc,
        "text_column": args.text_column,
        "output": "annotate" if args.annotate else "keep",
    }


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    """What a sharded output's manifest records of the run's settings."""
    return {
        "threshold": args.threshold,
        "num_perm": args.num_perm,
        "ngram": args.ngram,
        "method": args.method,
        **dedup_options(args),
    }


def _run(args: argparse.Namespace) -> str:
    from thresher.dedup import dedup

    started = time.perf_counter()
    result = dedup(
        args.source,
        args.threshold,
        args.num_perm,
        args.ngram,
        method=args.method,
        quiet=args.quiet,
        memory=args.memory,
        spill_dir=args.spill_dir,
        **dedup_options(args),
    )
    options.write_out(args, result, kind="dedup", parameters=_parameters(args), inputs=args.source)
    return f"{result.summary}\n{options.wrote(args.out, started)}"


def _run_on_ray(args: argparse.Namespace) -> str:
    import thresher.ray as tr

    if args.method != "minhash":
        raise InvalidParameterError("--method exact is not available with --ray")
    if args.memory is not None or args.spill_dir is not None:
        raise InvalidParameterError("--memory and --spill-dir are for local runs, not --ray")
    ds = tr.read(args.source, text_column=args.text_column)
    result = tr.dedup(ds, args.threshold, args.num_perm, args.ngram, **dedup_options(args))
    options.write_out(args, result, kind="dedup", parameters=_parameters(args), inputs=args.source)
    return f"{result.summary}\nwrote {args.out}"
