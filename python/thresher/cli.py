"""The ``thresher`` command line.

``thresher demo`` runs DSIR on the bundled demo corpus; ``thresher dsir`` selects
documents of any corpus toward a target and writes them out; ``thresher cluster`` and
``thresher gme`` cluster embeddings and rank items by diversity (:mod:`cli_diversity`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from thresher import _core, cli_diversity
from thresher.dsir import DSIR
from thresher.exceptions import InvalidParameterError, ThresherError

__all__ = ["main"]


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
    cli_diversity.add_parsers(sub)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thresher`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from thresher.demo import run_demo

            print(run_demo(k=args.k, seed=args.seed, quiet=args.quiet))
        elif args.command == "dsir":
            print(_run_dsir(args))
        else:
            print(cli_diversity.run(args))
    except ThresherError as e:
        print(f"thresher: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thresher: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
