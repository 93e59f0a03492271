"""The ``thresher`` command line: one module per family of subcommands.

``thresher demo`` runs DSIR on the bundled demo corpus (:mod:`.demo`); ``thresher run``
runs a declared curation pipeline with resume (:mod:`.run`); ``thresher
dsir`` selects documents of any corpus toward a target (:mod:`.dsir`); ``thresher
sample`` draws a uniform, weighted or stratified sample of rows (:mod:`.sample`);
``thresher tokens`` counts every document's tokens with a tokenizer.json
(:mod:`.tokens`; ``--tokens N`` on ``dsir`` and ``sample`` takes a budget in tokens);
``thresher dedup`` removes near-duplicate or exact duplicate documents (:mod:`.dedup`);
``thresher cluster`` and ``thresher gme`` cluster embeddings and rank items by
diversity (:mod:`.diversity`); ``thresher quadmix`` samples a mixture (:mod:`.mixing`);
``thresher smote`` rebalances classes (:mod:`.rebalance`); ``thresher value`` values
training points (:mod:`.value`); ``thresher filter`` applies the Gopher, C4 and
FineWeb quality rules (:mod:`.filters`); ``thresher langid`` and ``thresher score``
run fastText classifiers (:mod:`.quality`); ``thresher train-classifier`` trains one
(:mod:`.train`).

Each module's ``add_parsers(sub)`` registers its subcommands with
``set_defaults(func=run)`` (and, for those taking ``--ray``, the Ray runner through
:func:`.ray.add_flag`); options shared by several are declared in :mod:`.options`.
The library never imports this package.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from thresher import _core
from thresher.cli import (
    dedup,
    demo,
    diversity,
    dsir,
    filters,
    mixing,
    options,
    quality,
    rebalance,
    run,
    sample,
    tokens,
    train,
    value,
)
from thresher.cli import ray as cli_ray
from thresher.exceptions import ThresherError

__all__ = ["main"]

# In the order ``thresher --help`` lists them.
_FAMILIES = (
    demo,
    run,
    dsir,
    sample,
    tokens,
    filters,
    quality,
    train,
    dedup,
    diversity,
    mixing,
    rebalance,
    value,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thresher", description="Choose the data a model trains on."
    )
    parser.add_argument("--version", action="version", version=f"thresher {_core.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for family in _FAMILIES:
        family.add_parsers(sub)
    return parser


def _run(args: argparse.Namespace) -> str:
    options.check_out(args)
    if getattr(args, "ray", None) is not None:
        return cli_ray.run(args)
    options.set_threads(args)
    report: str = args.func(args)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thresher`` console script."""
    args = _parser().parse_args(argv)
    try:
        print(_run(args))
    except ThresherError as e:
        print(f"thresher: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thresher: interrupted", file=sys.stderr)
        return 130
    return 0
