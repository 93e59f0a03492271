"""The ``thresher sample`` subcommand, locally and with ``--ray``."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from thresher.cli import options
from thresher.cli import ray as cli_ray
from thresher.exceptions import InvalidParameterError

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    sample = sub.add_parser(
        "sample",
        help="sample rows: uniform, weighted (--weight-column) or stratified (--by)",
        description="Without --by: one streaming pass (Algorithm L, or A-ExpJ with "
        "--weight-column) holding only the sampled rows. With --by: two passes, exact "
        "per-group counts.",
    )
    options.add_inputs(sample)
    size = sample.add_mutually_exclusive_group(required=True)
    size.add_argument("-k", type=int, help="rows to sample")
    size.add_argument("--frac", type=float, help="fraction of the rows to sample")
    options.add_token_budget(sample, size)
    sample.add_argument("--text-column", default="text", help="text column counted by --tokenizer")
    sample.add_argument(
        "--mixture",
        default=None,
        metavar="G=W,...",
        help="with --by: mixture weights of the groups (en=0.7,fr=0.3): -k or --tokens is "
        "split in proportion to them instead of by --allocation",
    )
    options.add_out(sample)
    sample.add_argument("--weight-column", help="numeric column of sampling weights")
    sample.add_argument("--by", help="group column for a stratified sample")
    sample.add_argument(
        "--allocation",
        choices=["proportional", "equal"],
        default="proportional",
        help="per-group counts with --by (default proportional)",
    )
    options.add_seed(sample)
    sample.add_argument("--row-number", default="row", help="name of the added position column")
    options.add_threads(sample)
    options.add_quiet(sample)
    cli_ray.add_flag(sample, _run_on_ray)
    sample.set_defaults(func=_run)


def mixture(value: str | None) -> dict[str, float] | None:
    """``--mixture en=0.7,fr=0.3`` as ``{"en": 0.7, "fr": 0.3}``."""
    if value is None:
        return None
    weights = {}
    for part in value.split(","):
        name, sep, weight = part.partition("=")
        try:
            weights[name.strip()] = float(weight)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InvalidParameterError(
                f"--mixture {value!r}: expected GROUP=WEIGHT pairs separated by commas"
            )
    return weights


def _stratified_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of a stratified sample common to the local and the ``--ray`` run."""
    return {
        "frac": args.frac,
        "allocation": args.allocation,
        "weight_column": args.weight_column,
        "seed": args.seed,
        "row_number": args.row_number,
    }


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    """What a sharded output's manifest records of the run's settings."""
    return {
        "k": args.k,
        "by": args.by,
        **{n: v for n, v in _stratified_options(args).items()},
    }


def _run(args: argparse.Namespace) -> str:
    from thresher import sample

    started = time.perf_counter()
    budget = options.token_source(args)
    if args.mixture is not None and args.by is None:
        raise InvalidParameterError("--mixture needs --by (the group column)")
    if args.by is not None:
        rows = sample.stratified_stream(
            args.source,
            args.by,
            args.k,
            quiet=args.quiet,
            mixture=mixture(args.mixture),
            text_column=args.text_column,
            **budget,
            **_stratified_options(args),
        )
        counts: Counter[Any] = Counter()
        written = [0, 0]  # rows, tokens
        token_column = (args.token_column or "tokens") if budget else None

        def counted() -> Iterator[pa.RecordBatch]:
            for batch in rows.batches():
                counts.update(batch.column(args.by).to_pylist())
                written[0] += batch.num_rows
                if token_column is not None:
                    written[1] += int(pc.sum(batch.column(token_column)).as_py() or 0)
                yield batch

        options.write_out(
            args,
            counted(),
            kind="sample",
            parameters=_parameters(args),
            inputs=args.source,
            schema=rows.schema,
        )
        ordered = list(counts.items())  # in order of first appearance
        shown = ", ".join(f"{value}: {count}" for value, count in ordered[:10])
        more = f" and {len(ordered) - 10} more groups" if len(ordered) > 10 else ""
        num_rows, detail = written[0], f" ({shown}{more})"
    else:
        written = [0, 0]
        if args.frac is not None:
            raise InvalidParameterError("--frac needs --by (use -k for a reservoir sample)")
        # A reservoir holds its k rows by nature: they are the sample.
        table = sample.reservoir(
            args.source,
            args.k,
            text_column=args.text_column,
            **budget,
            weight_column=args.weight_column,
            seed=args.seed,
            row_number=args.row_number,
            quiet=args.quiet,
        )
        options.write_out(
            args, table, kind="sample", parameters=_parameters(args), inputs=args.source
        )
        num_rows, detail = table.num_rows, ""
        if budget:
            column = args.token_column or "tokens"
            written[1] = sum(table.column(column).to_pylist())
    if budget:
        detail = f" holding {written[1]:,} tokens{detail}"
    return f"sampled {num_rows} rows{detail}\n{options.wrote(args.out, started)}"


def _run_on_ray(args: argparse.Namespace) -> str:
    import thresher.ray as tr

    cli_ray.unsupported(args, {"--tokens": None, "--mixture": None})
    ds = tr.read(args.source, text_column=None)
    if args.by is not None:
        table = tr.stratified(ds, args.by, args.k, **_stratified_options(args))
    elif args.frac is not None:
        raise InvalidParameterError("--frac needs --by (use -k)")
    elif args.weight_column is not None:
        table = tr.weighted(
            ds, args.k, args.weight_column, seed=args.seed, row_number=args.row_number
        )
    else:
        table = tr.uniform(ds, args.k, seed=args.seed, row_number=args.row_number)
    options.write_out(args, table, kind="sample", parameters=_parameters(args), inputs=args.source)
    return f"sampled {table.num_rows} rows\nwrote {args.out}"
