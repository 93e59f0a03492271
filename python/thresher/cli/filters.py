"""The ``thresher filter`` subcommand: the Gopher, C4 and FineWeb quality rules."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from thresher.cli import options

__all__ = ["add_parsers"]

_RULES = ("gopher_quality", "gopher_repetition", "c4", "fineweb")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    parser = sub.add_parser(
        "filter",
        help="heuristic quality filters (Gopher quality and repetition, C4, FineWeb)",
        description="Apply datatrove's Gopher quality, Gopher repetition, C4 and FineWeb "
        "rules (its defaults, overridable with --set) to every document; write the kept "
        "documents (C4's cleaned text when c4 runs) to --out and, with --stats, one row "
        "per document: keep, reason, per rule set <rule>_keep/<rule>_reason and the "
        "statistics the thresholds compare.",
    )
    options.add_inputs(parser)
    options.add_out(parser)
    parser.add_argument(
        "--rules",
        default=",".join(_RULES),
        metavar="R1,R2",
        help=f"comma-separated rule sets among {', '.join(_RULES)} (default all)",
    )
    parser.add_argument("--language", default="en", help="word splitter language (en)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="RULE.PARAM=VALUE",
        help="override a threshold, e.g. gopher_quality.min_doc_words=30 (JSON values; repeatable)",
    )
    parser.add_argument("--stats", metavar="PATH", help="per-document columns (.parquet, .jsonl)")
    parser.add_argument("--text-column", default="text")
    options.add_threads(parser)
    options.add_quiet(parser)
    parser.set_defaults(func=_run)


def _overrides(pairs: list[str]) -> dict[str, Any]:
    from thresher.exceptions import invalid_parameter

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or "." not in key:
            raise invalid_parameter("--set", f"must be RULE.PARAM=VALUE, got {pair!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key] = value
    return out


def _run(args: argparse.Namespace) -> str:
    from thresher import filters
    from thresher.io.sources import read
    from thresher.io.writers import write_table
    from thresher.pipeline.steps.quality import rule_objects

    started = time.perf_counter()
    names = [r.strip() for r in args.rules.split(",") if r.strip()]
    rules = rule_objects(names, _overrides(args.set))
    source = read(args.source, text_column=args.text_column)
    result = filters.apply(
        source, rules=rules, text_column=args.text_column, language=args.language, quiet=args.quiet
    )
    if args.stats:
        write_table(result.table, args.stats)
    options.write_out(
        args,
        result.kept(),
        kind="filter",
        parameters={"rules": names, "language": args.language, "set": args.set},
        inputs=args.source,
        schema=result.kept_schema(),
    )
    kept = int(result.keep.sum())
    n = int(result.keep.size)
    return f"kept {kept:,} of {n:,} documents\n{options.wrote(args.out, started)}"
