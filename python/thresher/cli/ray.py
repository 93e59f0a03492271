"""``--ray ADDRESS`` for ``thresher dsir|sample|dedup``: the same subcommand on Ray.

``ADDRESS`` is ``local`` (start a Ray instance on this machine), ``auto`` (join the
cluster this machine belongs to, as ``ray.init(address="auto")``) or a cluster
address (``ray://head:10001``, ``head:6379``). ray is imported only when the flag
is given: the core package never imports it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from thresher.exceptions import InvalidParameterError

__all__ = ["add_flag", "run"]


def add_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--ray ADDRESS`` to a subcommand's parser."""
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run on Ray: 'local' (a new local instance), 'auto' (this machine's cluster) "
        "or a cluster address; needs thresher[ray]. Results equal the local run's "
        "(without --by, sample draws as thresher.sample.uniform/weighted do)",
    )


def _connect(address: str, quiet: bool) -> None:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the install
        raise InvalidParameterError("--ray needs ray: pip install 'thresher[ray]'") from e
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, include_dashboard=False)
    import ray.data
    from ray.data.context import ShuffleStrategy

    # Datasets copy the DataContext when they are made: set it before any. Task-based
    # sort shuffles start no aggregator actors (dedup: 11 s instead of 100 s on 2 CPUs).
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = not quiet  # Ray Data's own per-operator bars
    context.print_on_execution_start = False
    context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED


def _unsupported(args: argparse.Namespace, names: dict[str, Any]) -> None:
    for flag, default in names.items():
        if getattr(args, flag.lstrip("-").replace("-", "_")) != default:
            raise InvalidParameterError(f"{flag} is not available with --ray")


def run(args: argparse.Namespace) -> str | None:
    """Run ``args.command`` on Ray if ``--ray`` was given; ``None`` otherwise."""
    address = getattr(args, "ray", None)
    if address is None:
        return None
    _connect(address, args.quiet)
    started = time.perf_counter()
    if args.command == "dsir":
        report = _dsir(args)
    elif args.command == "sample":
        report = _sample(args)
    else:
        report = _dedup(args)
    return f"{report} in {time.perf_counter() - started:.1f} s (on Ray)"


def _dsir(args: argparse.Namespace) -> str:
    import thresher.ray as tr
    from thresher.cli import _targets
    from thresher.dsir import DSIR

    _unsupported(args, {"--chunk-words": None, "--num-tokens-to-fit": None})
    raw = tr.read(args.raw, text_column=args.text_column)
    if args.load_model:
        dsir = DSIR.load(args.load_model)
    else:
        dsir = DSIR(args.ngrams, args.num_buckets, compat=args.compat, text_column=args.text_column)
        tr.fit(dsir, _targets(args.target), raw, quiet=args.quiet)
        if args.save_model:
            dsir.save(args.save_model)
    selection = tr.select(
        dsir,
        raw,
        args.k,
        seed=args.seed,
        method=args.method,
        temperature=args.temperature,
        normalize=args.normalize,
        min_length=args.min_length,
        columns="text" if args.ids_only else "all",
        quiet=args.quiet,
    )
    table = selection.table
    if args.ids_only:
        table = table.drop_columns([dsir.text_column])
    from thresher.writers import write_table

    write_table(table, args.out)
    return f"{selection.summary()}\nwrote {args.out}"


def _sample(args: argparse.Namespace) -> str:
    import thresher.ray as tr
    from thresher.writers import write_table

    ds = tr.read(args.source, text_column=None)
    if args.by is not None:
        table = tr.stratified(
            ds,
            args.by,
            args.k,
            frac=args.frac,
            allocation=args.allocation,
            weight_column=args.weight_column,
            seed=args.seed,
            row_number=args.row_number,
        )
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


def _dedup(args: argparse.Namespace) -> str:
    import thresher.ray as tr

    if args.method != "minhash":
        raise InvalidParameterError("--method exact is not available with --ray")
    ds = tr.read(args.source, text_column=args.text_column)
    from thresher.cli import dedup_options

    result = tr.dedup(ds, args.threshold, args.num_perm, args.ngram, **dedup_options(args))
    result.write(args.out)
    return f"{result.summary}\nwrote {args.out}"
