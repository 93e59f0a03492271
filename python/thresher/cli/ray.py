"""``--ray ADDRESS`` for ``thresher dsir|sample|dedup``: the same subcommand on Ray.

``ADDRESS`` is ``local`` (start a Ray instance on this machine), ``auto`` (join the
cluster this machine belongs to, as ``ray.init(address="auto")``) or a cluster
address (``ray://head:10001``, ``head:6379``). ray is imported only when the flag
is given: the core package never imports it. Each subcommand's module holds its own
Ray runner and registers it with :func:`add_flag`; :func:`run` connects and calls it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from thresher.exceptions import InvalidParameterError

__all__ = ["add_flag", "run", "unsupported"]


def add_flag(parser: argparse.ArgumentParser, on_ray: Callable[[argparse.Namespace], str]) -> None:
    """Add ``--ray ADDRESS`` to a subcommand's parser; ``on_ray`` runs it on Ray."""
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run on Ray: 'local' (a new local instance), 'auto' (this machine's cluster) "
        "or a cluster address; needs thresher[ray]. Results equal the local run's "
        "(without --by, sample draws as thresher.sample.uniform/weighted do)",
    )
    parser.set_defaults(on_ray=on_ray)


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


def unsupported(args: argparse.Namespace, names: dict[str, Any]) -> None:
    """Refuse the flags of ``names`` (flag: default) given with ``--ray``."""
    for flag, default in names.items():
        if getattr(args, flag.lstrip("-").replace("-", "_")) != default:
            raise InvalidParameterError(f"{flag} is not available with --ray")


def run(args: argparse.Namespace) -> str:
    """Connect to ``args.ray`` and run the subcommand's Ray runner."""
    _connect(args.ray, args.quiet)
    started = time.perf_counter()
    report: str = args.on_ray(args)
    return f"{report} in {time.perf_counter() - started:.1f} s (on Ray)"
