"""The ``thresher quadmix`` subcommand (see :mod:`thresher.cli`)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from thresher.cli import options
from thresher.exceptions import ReadError, invalid_parameter, located

__all__ = ["add_parsers"]

_FIELDS = ("threshold", "steepness", "rate", "weights")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommands on ``sub``."""
    quadmix = sub.add_parser(
        "quadmix",
        help="QuaDMix sampling: copies of each document from its quality rank in its domain",
        description="Sample a corpus (Parquet or JSON Lines) with QuaDMix's sampling function: "
        "quality scores are ranked within each domain, merged by per-domain weights, and each "
        "document gets floor(S) or floor(S)+1 copies of S = rate * 2 / (1 + exp(steepness * "
        "(rank - threshold))) if its rank is within the threshold. Writes the sampled corpus "
        "atomically.",
    )
    options.add_inputs(quadmix, "input", help="Parquet or JSON Lines files, globs or dirs")
    quadmix.add_argument(
        "--score", action="append", required=True, help="a quality score column (repeatable)"
    )
    quadmix.add_argument("--domain", required=True, help="the domain label column")
    quadmix.add_argument(
        "--params",
        required=True,
        help='a JSON file {"domain": {"threshold": .., "steepness": .., "rate": .., '
        '"weights": {"score column": w}}, ...}; the key "*" gives the default',
    )
    quadmix.add_argument(
        "--normalize",
        choices=["domain", "corpus", "none"],
        default="domain",
        help="how scores are normalised before merging (default: ranks within the domain)",
    )
    options.add_seed(quadmix)
    options.add_out(quadmix)
    quadmix.add_argument(
        "--no-repeat", action="store_true", help="write each kept row once with a copies column"
    )
    options.add_threads(quadmix)
    quadmix.set_defaults(func=_run)


def _load_params(path: str) -> tuple[dict[Any, Any], Any]:
    from thresher.mixing.quadmix import DomainParams

    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise located(ReadError, f"{path}: no such file", path=path) from None
    except json.JSONDecodeError as e:
        raise invalid_parameter("params", f"{path} is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise invalid_parameter("params", f"{path} must hold a JSON object of domains")
    params: dict[Any, Any] = {}
    default = None
    for domain, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) - set(_FIELDS):
            raise invalid_parameter(
                "params", f"domain {domain!r}: expected an object with keys among {_FIELDS}"
            )
        p = DomainParams(**spec)
        if domain == "*":
            default = p
        else:
            params[domain] = p
    return params, default


def _run(args: argparse.Namespace) -> str:
    from thresher.mixing.quadmix import sample_stream

    started = time.perf_counter()
    params, default = _load_params(args.params)
    rows = sample_stream(
        args.input,
        args.score,
        args.domain,
        params,
        seed=args.seed,
        default=default,
        normalize=args.normalize,
        repeat=not args.no_repeat,
    )
    parameters = {
        "score": args.score,
        "domain": args.domain,
        "params": args.params,
        "seed": args.seed,
        "normalize": args.normalize,
        "repeat": not args.no_repeat,
    }
    written = [0]

    def counted() -> Iterator[pa.RecordBatch]:
        for batch in rows.batches():
            written[0] += batch.num_rows
            yield batch

    options.write_out(
        args,
        counted(),
        kind="quadmix",
        parameters=parameters,
        inputs=args.input,
        schema=rows.schema,
    )
    elapsed = time.perf_counter() - started
    return f"wrote {written[0]:,} rows to {args.out} in {elapsed:.1f} s"
