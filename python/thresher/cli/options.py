"""Options that several ``thresher`` subcommands share, declared once.

Each ``add_*`` adds one option with the same name, type, default and help wherever it
appears; :func:`set_threads` applies ``--threads`` for every local run, and
:func:`wrote` is the last line of every report.
"""

from __future__ import annotations

import argparse
import time

from thresher import _core

__all__ = [
    "CORPUS_OUT",
    "add_inputs",
    "add_labelled_input",
    "add_out",
    "add_quiet",
    "add_seed",
    "add_threads",
    "set_threads",
    "wrote",
]

CORPUS_OUT = "output .parquet, .jsonl, .jsonl.zst"


def add_inputs(
    parser: argparse.ArgumentParser, name: str = "source", help: str = "files, globs or directories"
) -> None:
    """The positional input files, globs or directories (one or more)."""
    parser.add_argument(name, nargs="+", help=help)


def add_out(parser: argparse.ArgumentParser, help: str = CORPUS_OUT) -> None:
    """``--out PATH`` (required); the format comes from the extension."""
    parser.add_argument("--out", required=True, help=help)


def add_seed(parser: argparse.ArgumentParser, default: int = 0) -> None:
    """``--seed N``."""
    parser.add_argument("--seed", type=int, default=default)


def add_threads(parser: argparse.ArgumentParser) -> None:
    """``--threads N`` (0: all cores), applied by :func:`set_threads`."""
    parser.add_argument("--threads", type=int, default=0, help="worker threads (default: all)")


def add_quiet(parser: argparse.ArgumentParser, help: str = "no progress bars") -> None:
    """``--quiet``: no progress bars."""
    parser.add_argument("--quiet", action="store_true", help=help)


def add_labelled_input(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """How to find features and labels in an input (see :func:`thresher.io.load_labelled`);
    ``prefix`` names a second input (``--val-labels``...)."""
    dash = f"--{prefix}-" if prefix else "--"
    parser.add_argument(f"{dash}labels", default=None, help="a .npy of labels (with a .npy input)")
    parser.add_argument(
        f"{dash}label-column", default="label", help="label column of a Parquet input"
    )
    parser.add_argument(f"{dash}x-key", default="x", help="features array of a .npz input")
    parser.add_argument(f"{dash}y-key", default="y", help="labels array of a .npz input")


def set_threads(args: argparse.Namespace) -> None:
    """Size thresher's pool from ``--threads`` if the subcommand has it."""
    threads = getattr(args, "threads", None)
    if threads is not None:
        _core.set_num_threads(threads)


def wrote(out: object, started: float) -> str:
    """``"wrote OUT in 1.2 s"``, the time counted from ``started`` (``perf_counter``)."""
    return f"wrote {out} in {time.perf_counter() - started:.1f} s"
