"""Refusing an output that would replace one of its own inputs.

``thresher sample data.jsonl --out data.jsonl`` used to replace the corpus with its
sample. :func:`refuse_output_over_inputs` runs before any input is read: an output file
that is one of the inputs (the same path, or the same file through a symbolic or hard
link: same device and inode), or a directory output that contains an input, is an
:class:`~thresher.exceptions.InvalidParameterError` unless the caller allows it. When
allowed, the input is still read completely before it is replaced: every output is
written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from thresher.exceptions import InvalidParameterError

__all__ = ["refuse_output_over_inputs"]


def _local_files(paths: Iterable[str]) -> list[Path]:
    """The existing local files named by ``paths`` (globs and directories expanded;
    URLs, which cannot be the local output, skipped)."""
    files: list[Path] = []
    for path in paths:
        if "://" in path:
            continue
        for match in sorted(glob.glob(path)) if glob.has_magic(path) else [path]:
            candidate = Path(match)
            if candidate.is_dir():
                files.extend(p for p in candidate.rglob("*") if p.is_file())
            elif candidate.exists():
                files.append(candidate)
    return files


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_output_over_inputs(out: str, inputs: Iterable[str], option: str) -> None:
    """Raise if the output ``out`` would replace or contain one of ``inputs``.

    ``option`` names the switch that allows it (``--overwrite-input``) in the message.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> corpus = pathlib.Path(tempfile.mkdtemp()) / "data.jsonl"
    >>> _ = corpus.write_text('{"text": "a"}\\n')
    >>> refuse_output_over_inputs(str(corpus), [str(corpus)], "--overwrite-input")
    Traceback (most recent call last):
    ...
    thresher.exceptions.InvalidParameterError: ...data.jsonl: the output is the input ...
    >>> refuse_output_over_inputs(str(corpus.with_name("sample.jsonl")), [str(corpus)], "x")
    """
    if "://" in out:
        return
    target = Path(out)
    directory = out.endswith(("/", os.sep)) or target.is_dir()
    for file in _local_files(inputs):
        if directory:
            try:
                inside = file.resolve().is_relative_to(target.resolve())
            except OSError:
                inside = False
            if inside:
                raise InvalidParameterError(
                    f"{out}: the output directory contains the input {file}; "
                    f"choose another directory (or pass {option})"
                )
        elif target.exists() and _same_file(file, target):
            raise InvalidParameterError(
                f"{file}: the output is the input (it would be replaced); "
                f"choose another --out (or pass {option})"
            )
