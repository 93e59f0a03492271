"""The ``thresher dsir`` subcommand, locally and with ``--ray``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from thresher.cli import options
from thresher.cli import ray as cli_ray
from thresher.dsir import DSIR
from thresher.exceptions import InvalidParameterError

__all__ = ["add_parsers", "targets"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    dsir = sub.add_parser(
        "dsir",
        help="select documents like a target corpus (importance resampling)",
        description="Fit hashed n-gram models of the target and raw corpora, then select k "
        "raw documents (or --tokens N tokens, counted with --tokenizer or read from "
        "--token-column) by importance resampling and write them with their log weights.",
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
    size = dsir.add_mutually_exclusive_group(required=True)
    size.add_argument("-k", type=int, help="documents to select")
    options.add_token_budget(dsir, size)
    options.add_out(dsir)
    options.add_seed(dsir)
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
    options.add_threads(dsir)
    options.add_quiet(dsir)
    cli_ray.add_flag(dsir, _run_on_ray)
    dsir.set_defaults(func=_run)


def targets(values: list[str]) -> dict[str, str]:
    """The ``--target`` values as ``{name: path}`` (one unnamed target is ``"target"``)."""
    if len(values) == 1 and "=" not in values[0]:
        return {"target": values[0]}
    found = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name:
            raise InvalidParameterError(f"--target {value!r}: with several targets use NAME=PATH")
        found[name] = path
    return found


def _model(args: argparse.Namespace, fit: Callable[[DSIR], object]) -> DSIR:
    """The ``--load-model`` model, or a new one fitted by ``fit`` (and ``--save-model``)."""
    if args.load_model:
        return DSIR.load(args.load_model)
    dsir = DSIR(args.ngrams, args.num_buckets, compat=args.compat, text_column=args.text_column)
    fit(dsir)
    if args.save_model:
        dsir.save(args.save_model)
    return dsir


def _select_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``DSIR.select`` common to the local and the ``--ray`` run."""
    return {
        "seed": args.seed,
        "method": args.method,
        "temperature": args.temperature,
        "normalize": args.normalize,
        "min_length": args.min_length,
        "columns": "text" if args.ids_only else "all",
        "quiet": args.quiet,
    }


def _write(selection: Any, dsir: DSIR, args: argparse.Namespace) -> None:
    table = selection.table  # the k selected rows, already held by the selection
    if args.ids_only:
        table = table.drop_columns([dsir.text_column])
    parameters = {
        "k": args.k,
        "target": args.target,
        "ngrams": args.ngrams,
        "num_buckets": args.num_buckets,
        "compat": args.compat,
        "chunk_words": args.chunk_words,
        "load_model": args.load_model,
        **{n: v for n, v in _select_options(args).items() if n != "quiet"},
    }
    options.write_out(args, table, kind="dsir", parameters=parameters, inputs=args.raw)


def _run(args: argparse.Namespace) -> str:
    started = time.perf_counter()
    dsir = _model(
        args,
        lambda model: model.fit(
            targets(args.target),
            args.raw,
            num_tokens_to_fit=args.num_tokens_to_fit,
            cache_raw=False if args.no_cache else "auto",
            cache_dir=args.cache_dir,
            quiet=args.quiet,
        ),
    )
    selection = dsir.select(
        args.raw,
        args.k,
        chunk_words=args.chunk_words,
        **options.token_source(args),
        **_select_options(args),
    )
    _write(selection, dsir, args)
    dsir.release_cache()
    return f"{selection.summary()}\n{options.wrote(args.out, started)}"


def _run_on_ray(args: argparse.Namespace) -> str:
    import thresher.ray as tr

    cli_ray.unsupported(
        args, {"--chunk-words": None, "--num-tokens-to-fit": None, "--tokens": None}
    )
    raw = tr.read(args.raw, text_column=args.text_column)
    dsir = _model(args, lambda model: tr.fit(model, targets(args.target), raw, quiet=args.quiet))
    selection = tr.select(dsir, raw, args.k, **_select_options(args))
    _write(selection, dsir, args)
    return f"{selection.summary()}\nwrote {args.out}"
