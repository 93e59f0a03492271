"""The ``thresher run`` subcommand: a declared pipeline over a corpus."""

from __future__ import annotations

import argparse

from thresher.cli import options

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommand on ``sub``."""
    run = sub.add_parser(
        "run",
        help="run a curation pipeline declared in a TOML file (resumes after a crash)",
        description="Run the steps of PIPELINE (a TOML file: [input], [output], [run] and "
        "[[step]] tables) over its corpus: per-document steps in one read of the corpus, "
        "global steps on the annotations, the kept rows written in a second read. A run "
        "killed at any point continues from its last completed unit when started again.",
    )
    run.add_argument("pipeline", help="the pipeline file (.toml)")
    run.add_argument(
        "--force", action="store_true", help="start again, discarding an interrupted run"
    )
    run.add_argument("--check", action="store_true", help="check the pipeline and stop")
    options.add_threads(run)
    options.add_quiet(run)
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> str:
    from thresher.pipeline import Pipeline

    pipeline = Pipeline.from_file(args.pipeline)
    if args.check:
        steps = ", ".join(s.name for s in pipeline.config.steps)
        return f"{args.pipeline}: valid ({len(pipeline.plan.files)} input files; steps {steps})"
    return pipeline.run(force=args.force, quiet=args.quiet).summary
