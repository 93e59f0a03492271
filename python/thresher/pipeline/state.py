"""Whether a run starts afresh, resumes, or must refuse: the work directory's manifest
records the inputs (sizes and fingerprints) and the parameters of the run that made
it, and whether it completed.

* no manifest, or ``force``: a new run (``force`` first deletes the work directory
  and the output);
* an interrupted run with the same inputs and parameters: resume from its last
  completed unit;
* an interrupted run whose inputs or parameters differ: :class:`ResumeError` saying
  what changed;
* a completed run: a new run that reuses every side file whose key still matches (a
  changed downstream step recomputes only itself and what follows).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from thresher import _core
from thresher.exceptions import ManifestError, ResumeError, located
from thresher.io.manifest import InputFile, Manifest
from thresher.pipeline.config import PipelineConfig

__all__ = ["begin", "finish"]

KIND = "thresher run state"


def _remove_output(config: PipelineConfig) -> None:
    path = Path(config.output_path.rstrip("/"))
    if "://" in config.output_path:
        return
    if path.is_dir():
        for child in [*path.glob("part-*"), path / "manifest.json", path / "report.html"]:
            child.unlink(missing_ok=True)
    elif path.exists():
        path.unlink()


def begin(config: PipelineConfig, inputs: list[InputFile], *, force: bool) -> tuple[Manifest, bool]:
    """Prepare the work directory; return the run's state and whether it resumes."""
    work = config.work_dir
    if force:
        shutil.rmtree(work, ignore_errors=True)
        _remove_output(config)
    work.mkdir(parents=True, exist_ok=True)
    current = Manifest(KIND, config.parameters(), inputs, [], False, _core.__version__)
    resuming = False
    if (work / "manifest.json").exists():
        try:
            previous = Manifest.load(work)
        except ManifestError as e:
            raise located(
                ResumeError,
                f"{work}: the state of the previous run is unreadable "
                f"({e}); run with --force to start again",
                path=str(work),
            ) from e
        if not previous.complete:
            changes = previous.differences(current)
            if changes:
                listed = "; ".join(changes)
                raise located(
                    ResumeError,
                    f"cannot resume the interrupted run in {work}: {listed}. Restore them, or "
                    "run with --force (force=True) to start again",
                    path=str(work),
                )
            resuming = True
    current.save(work)
    return current, resuming


def finish(config: PipelineConfig, state: Manifest) -> None:
    """Mark the run complete."""
    state.complete = True
    state.save(config.work_dir)
