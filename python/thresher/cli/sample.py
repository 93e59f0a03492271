"""The ``thresher sample`` subcommand, locally and with ``--ray``."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

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
    if args.by is not None:
        rows = sample.stratified_stream(
            args.source, args.by, args.k, quiet=args.quiet, **_stratified_options(args)
        )
        counts: Counter[Any] = Counter()
        written = [0]

        def counted() -> Iterator[pa.RecordBatch]:
            for batch in rows.batches():
                counts.update(batch.column(args.by).to_pylist())
                written[0] += batch.num_rows
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
        if args.frac is not None:
            raise InvalidParameterError("--frac needs --by (use -k for a reservoir sample)")
        # A reservoir holds its k rows by nature: they are the sample.
        table = sample.reservoir(
            args.source,
            args.k,
            weight_column=args.weight_column,
            seed=args.seed,
            row_number=args.row_number,
            quiet=args.quiet,
        )
        options.write_out(
            args, table, kind="sample", parameters=_parameters(args), inputs=args.source
        )
        num_rows, detail = table.num_rows, ""
    return f"sampled {num_rows} rows{detail}\n{options.wrote(args.out, started)}"


def _run_on_ray(args: argparse.Namespace) -> str:
    import thresher.ray as tr

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
