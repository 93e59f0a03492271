"""Options that several ``thresher`` subcommands share, declared once.

Each ``add_*`` adds one option with the same name, type, default and help wherever it
appears; :func:`set_threads` applies ``--threads`` for every local run, :func:`write_out`
streams a verb's output to ``--out`` (a file, or shards and a manifest), and
:func:`wrote` is the last line of every report.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

import thresher
from thresher.exceptions import InvalidParameterError

__all__ = [
    "CORPUS_OUT",
    "add_inputs",
    "add_labelled_input",
    "add_out",
    "add_quiet",
    "add_seed",
    "add_threads",
    "add_token_budget",
    "check_out",
    "set_threads",
    "token_source",
    "write_out",
    "wrote",
]

CORPUS_OUT = (
    "output file (.parquet, .jsonl, .jsonl.gz, .jsonl.zst) or directory DIR/ of shards "
    "and a manifest.json; local or a URL (s3://..., gs://..., any fsspec protocol)"
)


def add_inputs(
    parser: argparse.ArgumentParser, name: str = "source", help: str = "files, globs or directories"
) -> None:
    """The positional input files, globs or directories (one or more)."""
    parser.add_argument(name, nargs="+", help=help)


def add_out(parser: argparse.ArgumentParser, shards: bool = True, help: str | None = None) -> None:
    """``--out PATH|DIR/`` (required); with ``shards``, also ``--shard-size`` and
    ``--format`` for a directory output (see :func:`thresher.io.writers.open_output`).

    A file's format comes from its extension; ``--out DIR/`` writes
    ``part-00000.parquet``... of at most ``--shard-size`` Arrow bytes each and a
    ``manifest.json``.
    """
    default = CORPUS_OUT if shards else "output .parquet, .jsonl, .jsonl.zst"
    metavar = "PATH|DIR/" if shards else "PATH"
    parser.add_argument("--out", required=True, metavar=metavar, help=help or default)
    parser.add_argument(
        "--overwrite-input",
        action="store_true",
        help="allow --out to replace an input file (or to be a directory holding inputs)",
    )
    if shards:
        parser.add_argument(
            "--shard-size",
            default=None,
            metavar="SIZE",
            help="most Arrow bytes per shard of a DIR/ output, e.g. 512MB (default 256MiB)",
        )
        parser.add_argument(
            "--format",
            choices=["parquet", "jsonl", "jsonl.gz", "jsonl.zst"],
            default=None,
            help="shard format of a DIR/ output (default parquet)",
        )


def write_out(
    args: argparse.Namespace,
    data: Any,
    *,
    kind: str,
    parameters: Mapping[str, Any] | None = None,
    inputs: Sequence[str | os.PathLike[str]] | None = None,
    schema: pa.Schema | None = None,
) -> Path | str:
    """Stream ``data`` to ``args.out`` through :func:`thresher.io.writers.open_output`.

    ``data`` is a result with a ``batches()`` method (streamed), a ``pyarrow.Table`` or
    ``RecordBatch``, or an iterable of record batches. ``kind``, ``parameters`` (JSON
    values) and ``inputs`` (the input files, globs or directories, expanded as
    :func:`thresher.read` expands them) go into a directory output's manifest;
    ``schema`` is that of an output that receives no batch (by default the result's).
    """
    from thresher.io.sources import expand_paths, is_paths
    from thresher.io.writers import open_output

    batches: Iterable[pa.RecordBatch | pa.Table]
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        batches, schema = [data], schema or data.schema
    elif hasattr(data, "batches"):
        batches = data.batches()
        schema = schema or getattr(data, "schema", None)
    else:
        batches = data
    writer = open_output(
        args.out,
        format=getattr(args, "format", None),
        shard_size=getattr(args, "shard_size", None),
        kind=kind,
        parameters=dict(parameters or {}),
        inputs=expand_paths(list(inputs)) if inputs and is_paths(list(inputs)) else None,
        schema=schema if isinstance(schema, pa.Schema) else None,
    )
    with writer:
        for batch in batches:
            writer.write(batch)
    return writer.close()


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


def _tokens(value: str) -> int:
    """``--tokens`` as a whole number of tokens (``2e9``, ``2000000000``)."""
    try:
        number = float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of tokens: {value!r}") from None
    if isinstance(number, float) and not number.is_integer():
        raise argparse.ArgumentTypeError(f"not a whole number of tokens: {value!r}")
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 token, got {value!r}")
    return int(number)


def add_token_budget(
    parser: argparse.ArgumentParser, size: argparse._MutuallyExclusiveGroup
) -> None:
    """``--tokens N`` in the size group ``size`` (so ``-k`` and ``--tokens`` exclude each
    other), and where the counts come from: ``--tokenizer tokenizer.json`` or
    ``--token-column NAME`` (one of them with ``--tokens``; see :func:`token_source`)."""
    size.add_argument(
        "--tokens",
        type=_tokens,
        default=None,
        metavar="N",
        help="a budget in tokens instead of -k (2e9 is accepted): documents are taken in "
        "the selection's order while the total stays at most N",
    )
    counts = parser.add_mutually_exclusive_group()
    counts.add_argument(
        "--tokenizer", default=None, metavar="JSON", help="a Hugging Face tokenizer.json"
    )
    counts.add_argument(
        "--token-column", default=None, help="an integer column of precomputed token counts"
    )


def token_source(args: argparse.Namespace) -> dict[str, Any]:
    """The ``tokens``, ``tokenizer`` and ``token_column`` keywords of a library call
    (empty without ``--tokens``); a usage error when they do not go together."""
    if args.tokens is None:
        if args.tokenizer is not None or args.token_column is not None:
            raise InvalidParameterError("--tokenizer and --token-column go with --tokens")
        return {}
    if args.tokenizer is None and args.token_column is None:
        raise InvalidParameterError("--tokens needs --tokenizer JSON or --token-column NAME")
    return {"tokens": args.tokens, "tokenizer": args.tokenizer, "token_column": args.token_column}


def set_threads(args: argparse.Namespace) -> None:
    """Size thresher's pool from ``--threads`` if the subcommand has it."""
    threads = getattr(args, "threads", None)
    if threads is not None:
        thresher.set_num_threads(threads)


def _path_values(args: argparse.Namespace) -> list[str]:
    """Every string (or list of strings) argument but ``--out``: the paths among them
    are the run's inputs (corpora, targets, models, tokenizers)."""
    values: list[str] = []
    for name, value in vars(args).items():
        if name == "out" or callable(value):
            continue
        items = value if isinstance(value, list) else [value]
        values.extend(item for item in items if isinstance(item, str))
    return values


def check_out(args: argparse.Namespace) -> None:
    """Refuse, before any input is read, an ``--out`` that is one of the inputs or a
    directory holding one, unless ``--overwrite-input`` was given."""
    from thresher.io.overwrite import refuse_output_over_inputs

    out = getattr(args, "out", None)
    if isinstance(out, str) and not getattr(args, "overwrite_input", False):
        refuse_output_over_inputs(out, _path_values(args), "--overwrite-input")


def wrote(out: object, started: float) -> str:
    """``"wrote OUT in 1.2 s"``, the time counted from ``started`` (``perf_counter``)."""
    return f"wrote {out} in {time.perf_counter() - started:.1f} s"
