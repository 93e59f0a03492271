"""The ``thresher demo`` subcommand (see :mod:`thresher.demo`)."""

from __future__ import annotations

import argparse

from thresher.cli import options

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    demo = sub.add_parser("demo", help="run DSIR on the small real corpus bundled with thresher")
    demo.add_argument("-k", type=int, default=400, help="documents to select (default 400)")
    options.add_seed(demo)
    options.add_quiet(demo)
    demo.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> str:
    from thresher.demo import run_demo

    return run_demo(k=args.k, seed=args.seed, quiet=args.quiet)
