"""A decoded copy of the raw corpus on local disk, kept between DSIR's two passes.

DSIR reads the raw corpus twice: once to fit, once to select. For compressed JSON
Lines, decompressing and parsing dominate both passes; with a spill the first pass
also writes the decoded batches to an uncompressed Arrow IPC file, and the second
reads that instead (several times faster, and memory stays O(batch)). The file lives
in the temporary directory (or ``cache_dir``) and is removed when the :class:`DSIR`
object is garbage-collected, or at exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from typing import Any, Literal

from thresher import _core
from thresher.io import remote
from thresher.io.manifest import describe_inputs
from thresher.io.sources import ArrowStreamExportable, FileSource, Source

__all__ = ["CachePolicy", "RawCache"]

CachePolicy = Literal["auto"] | bool

# Decoded text is at most this many times its compressed size, for the space check.
_EXPANSION = 8
_HEADROOM = 1 << 30


def _key(source: Source) -> tuple[Any, ...] | None:
    """What identifies a file corpus (paths, sizes, modification times), or None."""
    if not isinstance(source, FileSource):
        return None
    return (
        tuple(source.paths),
        tuple(_stamp(p) for p in source.paths),
        source.text_column,
        source.batch_size,
    )


def _stamp(path: str) -> tuple[int, int | str]:
    """A file's size and what changes when it is rewritten: the modification time of a
    local file, the content fingerprint of a remote one (object stores' times vary)."""
    if remote.is_url(path):
        (described,) = describe_inputs([path])
        return described.size, described.fingerprint
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


class RawCache:
    """Decides whether to spill a raw corpus, and hands the spill out for re-reads."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._spilled: _core.SpilledCorpus | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None

    def plan(self, source: Source, policy: CachePolicy, cache_dir: str | None) -> str | None:
        """A fresh spill path for ``source``, or None if it should not be spilled."""
        self.release()
        if policy is False or _key(source) is None:
            return None
        assert isinstance(source, FileSource)
        directory = cache_dir or tempfile.gettempdir()
        if policy == "auto":
            needed = _EXPANSION * sum(_stamp(p)[0] for p in source.paths) + _HEADROOM
            if shutil.disk_usage(directory).free < needed:
                return None
        fd, path = tempfile.mkstemp(prefix="thresher-raw-", suffix=".arrow", dir=directory)
        os.close(fd)
        self._cleanup = weakref.finalize(self, _remove, path)
        return path

    def keep(self, source: Source, spilled: _core.SpilledCorpus | None) -> None:
        """Remember a complete spill of ``source`` (None: the spill was abandoned)."""
        if spilled is None:
            self.release()
            return
        self._key, self._spilled = _key(source), spilled

    def stream(self, source: Source) -> ArrowStreamExportable | _core.SpilledCorpus:
        """The spill if it is a copy of ``source`` as it is now, else a new stream."""
        if self._spilled is not None and _key(source) == self._key:
            return self._spilled
        return source.stream()

    @property
    def path(self) -> str | None:
        """The spill file in use, if any."""
        return str(self._spilled.path) if self._spilled is not None else None

    def release(self) -> None:
        """Delete the spill now."""
        self._key = self._spilled = None
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
