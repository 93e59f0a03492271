"""The ``thresher sample`` subcommand, locally and with ``--ray``."""

from __future__ import annotations

import argparse
import time
from typing import Any

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


def _run(args: argparse.Namespace) -> str:
    from thresher import sample
    from thresher.io.writers import write_table

    started = time.perf_counter()
    if args.by is not None:
        table = sample.stratified_rows(
            args.source, args.by, args.k, quiet=args.quiet, **_stratified_options(args)
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
    return f"sampled {table.num_rows} rows{detail}\n{options.wrote(args.out, started)}"


def _run_on_ray(args: argparse.Namespace) -> str:
    import thresher.ray as tr
    from thresher.io.writers import write_table

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
    write_table(table, args.out)
    return f"sampled {table.num_rows} rows\nwrote {args.out}"
