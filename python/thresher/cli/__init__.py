"""The ``thresher`` command line.

``thresher demo`` runs DSIR on the bundled demo corpus; ``thresher dsir`` selects
documents of any corpus toward a target and writes them out; ``thresher sample``
draws a uniform, weighted or stratified sample of rows; ``thresher dedup`` removes
near-duplicate or exact duplicate documents; ``thresher cluster`` and ``thresher gme``
cluster embeddings and rank items by diversity (:mod:`cli_diversity`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import pyarrow.compute as pc

from thresher import _core, cli_diversity, cli_mixing, cli_ray, cli_value
from thresher.dsir import DSIR
from thresher.exceptions import InvalidParameterError, ThresherError

__all__ = ["main"]

# Modules that add subcommands: each has ``add_parsers(sub)`` and ``run(args) -> str | None``
# (``None`` when the command is not one of its own).
_SUBCOMMAND_MODULES = (cli_diversity, cli_mixing, cli_value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thresher", description="Choose the data a model trains on."
    )
    parser.add_argument("--version", action="version", version=f"thresher {_core.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run DSIR on the small real corpus bundled with thresher")
    demo.add_argument("-k", type=int, default=400, help="documents to select (default 400)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bars")

    dsir = sub.add_parser(
        "dsir",
        help="select documents like a target corpus (importance resampling)",
        description="Fit hashed n-gram models of the target and raw corpora, then select k "
        "raw documents by importance resampling and write them with their log weights.",
    )
    dsir.add_argument(
        "--target",
        action="append",
        required=True,
        metavar="[NAME=]PATH",
        help="target corpus (file, glob or directory); repeat with NAME=PATH for several "
        "targets, each with its share of k",
    )
    dsir.add_argument("--raw", nargs="+", required=True, help="raw corpus: files, globs, dirs")
    dsir.add_argument("-k", type=int, required=True, help="documents to select")
    dsir.add_argument("--out", required=True, help="output .parquet, .jsonl, .jsonl.zst")
    dsir.add_argument("--seed", type=int, default=0)
    dsir.add_argument("--method", choices=["gumbel", "top_k"], default="gumbel")
    dsir.add_argument("--temperature", type=float, default=1.0)
    dsir.add_argument("--normalize", choices=["none", "per_token"], default="none")
    dsir.add_argument("--min-length", type=int, default=0, help="minimum tokens (default 0)")
    dsir.add_argument(
        "--chunk-words", type=int, default=None, help="select chunks of at most N words"
    )
    dsir.add_argument("--ngrams", type=int, default=2)
    dsir.add_argument("--num-buckets", type=int, default=10_000)
    dsir.add_argument("--num-tokens-to-fit", type=int, default=None)
    dsir.add_argument("--compat", choices=["data-selection"], default=None)
    dsir.add_argument("--text-column", default="text")
    dsir.add_argument("--ids-only", action="store_true", help="write only row ids and weights")
    dsir.add_argument("--save-model", help="save the fitted model (.npz)")
    dsir.add_argument("--load-model", help="use a saved model instead of fitting")
    dsir.add_argument(
        "--no-cache",
        action="store_true",
        help="read the raw files twice instead of keeping a decoded copy between passes",
    )
    dsir.add_argument("--cache-dir", default=None, help="where the decoded copy goes")
    dsir.add_argument("--threads", type=int, default=0, help="worker threads (default: all)")
    dsir.add_argument("--quiet", action="store_true", help="no progress bars")
    cli_ray.add_flag(dsir)
    _add_sample(sub)
    _add_dedup_parser(sub)
    for module in _SUBCOMMAND_MODULES:
        module.add_parsers(sub)
    return parser


def _add_sample(sub: Any) -> None:
    sample = sub.add_parser(
        "sample",
        help="sample rows: uniform, weighted (--weight-column) or stratified (--by)",
        description="Without --by: one streaming pass (Algorithm L, or A-ExpJ with "
        "--weight-column) holding only the sampled rows. With --by: two passes, exact "
        "per-group counts.",
    )
    sample.add_argument("source", nargs="+", help="files, globs or directories")
    size = sample.add_mutually_exclusive_group(required=True)
    size.add_argument("-k", type=int, help="rows to sample")
    size.add_argument("--frac", type=float, help="fraction of the rows to sample")
    sample.add_argument("--out", required=True, help="output .parquet, .jsonl, .jsonl.zst")
    sample.add_argument("--weight-column", help="numeric column of sampling weights")
    sample.add_argument("--by", help="group column for a stratified sample")
    sample.add_argument(
        "--allocation",
        choices=["proportional", "equal"],
        default="proportional",
        help="per-group counts with --by (default proportional)",
    )
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--row-number", default="row", help="name of the added position column")
    sample.add_argument("--threads", type=int, default=0, help="worker threads (default: all)")
    sample.add_argument("--quiet", action="store_true", help="no progress bars")
    cli_ray.add_flag(sample)


def _run_sample(args: argparse.Namespace) -> str:
    from thresher import sample
    from thresher.writers import write_table

    _core.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.by is not None:
        table = sample.stratified_rows(
            args.source,
            args.by,
            args.k,
            frac=args.frac,
            allocation=args.allocation,
            weight_column=args.weight_column,
            seed=args.seed,
            row_number=args.row_number,
            quiet=args.quiet,
        )
        counts = pc.value_counts(table.column(args.by)).to_pylist()
        shown = ", ".join(f"{c['values']}: {c['counts']}" for c in counts[:10])
        more = f" and {len(counts) - 10} more groups" if len(counts) > 10 else ""
        detail = f" ({shown}{more})"
    else:
        if args.frac is not None:
            raise InvalidParameterError("--frac needs --by (use -k for a reservoir sample)")
        table = sample.reservoir(
            args.source,
            args.k,
            weight_column=args.weight_column,
            seed=args.seed,
            row_number=args.row_number,
            quiet=args.quiet,
        )
        detail = ""
    write_table(table, args.out)
    elapsed = time.perf_counter() - started
    return f"sampled {table.num_rows} rows{detail}\nwrote {args.out} in {elapsed:.1f} s"


def _add_dedup_parser(sub: Any) -> None:
    dedup = sub.add_parser(
        "dedup",
        help="remove near-duplicate (MinHash LSH) or exact duplicate documents",
        description="Find duplicate documents (MinHash signatures, LSH candidates verified "
        "against the threshold, union-find clusters) and write the kept documents, or "
        "every document annotated with cluster_id, is_duplicate and similarity.",
    )
    dedup.add_argument("source", nargs="+", help="corpus: files, globs, directories")
    dedup.add_argument("--out", required=True, help="output .parquet, .jsonl, .jsonl.zst")
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
    dedup.add_argument("--seed", type=int, default=1)
    dedup.add_argument("--no-lowercase", action="store_true")
    dedup.add_argument("--keep-punctuation", action="store_true")
    dedup.add_argument("--digits", action="store_true", help="map digits to 0")
    dedup.add_argument("--nfkc", action="store_true", help="Unicode NFKC first (slow)")
    dedup.add_argument(
        "--annotate", action="store_true", help="write every row with the dedup columns"
    )
    dedup.add_argument("--text-column", default="text")
    dedup.add_argument("--threads", type=int, default=0, help="worker threads (default: all)")
    dedup.add_argument("--quiet", action="store_true", help="no progress bar")
    cli_ray.add_flag(dedup)


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


def _run_dedup(args: argparse.Namespace) -> str:
    from thresher.dedup import dedup
    from thresher.writers import write_table

    _core.set_num_threads(args.threads)
    started = time.perf_counter()
    result = dedup(
        args.source,
        args.threshold,
        args.num_perm,
        args.ngram,
        method=args.method,
        quiet=args.quiet,
        **dedup_options(args),
    )
    write_table(result.table, args.out)
    return f"{result.summary}\nwrote {args.out} in {time.perf_counter() - started:.1f} s"


def _targets(values: list[str]) -> dict[str, str]:
    if len(values) == 1 and "=" not in values[0]:
        return {"target": values[0]}
    targets = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name:
            raise InvalidParameterError(f"--target {value!r}: with several targets use NAME=PATH")
        targets[name] = path
    return targets


def _run_dsir(args: argparse.Namespace) -> str:
    _core.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.load_model:
        dsir = DSIR.load(args.load_model)
    else:
        dsir = DSIR(args.ngrams, args.num_buckets, compat=args.compat, text_column=args.text_column)
        dsir.fit(
            _targets(args.target),
            args.raw,
            num_tokens_to_fit=args.num_tokens_to_fit,
            cache_raw=False if args.no_cache else "auto",
            cache_dir=args.cache_dir,
            quiet=args.quiet,
        )
        if args.save_model:
            dsir.save(args.save_model)
    selection = dsir.select(
        args.raw,
        args.k,
        seed=args.seed,
        method=args.method,
        temperature=args.temperature,
        normalize=args.normalize,
        min_length=args.min_length,
        columns="text" if args.ids_only else "all",
        chunk_words=args.chunk_words,
        quiet=args.quiet,
    )
    table = selection.table
    if args.ids_only:
        table = table.drop_columns([dsir.text_column])
    from thresher.writers import write_table

    write_table(table, args.out)
    dsir.release_cache()
    return f"{selection.summary()}\nwrote {args.out} in {time.perf_counter() - started:.1f} s"


def _run_module_command(args: argparse.Namespace) -> str:
    for module in _SUBCOMMAND_MODULES:
        report: str | None = module.run(args)
        if report is not None:
            return report
    raise AssertionError(f"no module runs the command {args.command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thresher`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from thresher.demo import run_demo

            print(run_demo(k=args.k, seed=args.seed, quiet=args.quiet))
        elif getattr(args, "ray", None) is not None:
            print(cli_ray.run(args))
        elif args.command == "dsir":
            print(_run_dsir(args))
        elif args.command == "sample":
            print(_run_sample(args))
        elif args.command == "dedup":
            print(_run_dedup(args))
        else:
            print(_run_module_command(args))
    except ThresherError as e:
        print(f"thresher: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thresher: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
