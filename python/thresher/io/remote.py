"""Remote storage through fsspec: ``s3://``, ``gs://``, ``memory://``, any protocol.

A *URL* here is a string with a ``protocol://`` prefix; anything else is a local path.
fsspec is optional: the first use of a URL imports it, and a missing package (fsspec
itself, or the protocol's implementation such as ``s3fs`` or ``gcsfs``) raises
:class:`~thresher.exceptions.MissingDependencyError` saying what to install.

Examples
--------
>>> is_url("s3://bucket/corpus/*.parquet"), is_url("data/corpus.jsonl")
(True, False)
>>> join("s3://bucket/out/", "part-00000.parquet")
's3://bucket/out/part-00000.parquet'
"""

from __future__ import annotations

import glob
import re
from typing import Any

from thresher.exceptions import MissingDependencyError, ReadError, located

__all__ = ["basename", "expand_url", "filesystem", "is_url", "join"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(path: object) -> bool:
    """Whether ``path`` is a string naming a remote location (``protocol://...``)."""
    return isinstance(path, str) and _URL.match(path) is not None


def join(url: str, name: str) -> str:
    """``name`` inside the directory ``url`` (one ``/`` between them)."""
    return url.rstrip("/") + "/" + name


def basename(url: str) -> str:
    """The last component of ``url`` (ignoring a trailing ``/``)."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path inside it (protocol stripped).

    Raises :class:`~thresher.exceptions.MissingDependencyError` when fsspec, or the
    package implementing the protocol, is not installed.
    """
    protocol = url.split("://", 1)[0]
    try:
        import fsspec
    except ImportError as e:
        raise _missing(url, protocol, "fsspec") from e
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as e:  # fsspec knows the protocol but its package is missing
        raise _missing(url, protocol, str(e)) from e
    except ValueError as e:  # an unknown protocol
        raise located(ReadError, f"{url}: {e}", path=url) from e
    return fs, path


def _missing(url: str, protocol: str, detail: str) -> MissingDependencyError:
    hint = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}
    package = hint.get(protocol)
    install = f"pip install fsspec {package}" if package else "pip install fsspec"
    message = (
        f"{url}: {protocol}:// URLs need fsspec and its {protocol} backend ({install}): {detail}"
    )
    error = MissingDependencyError(message)
    error.path = url
    return error


def expand_url(url: str, known: Any) -> list[str]:
    """The files a remote file, glob or directory names, as full URLs, sorted.

    ``known(name)`` says whether a file name has a corpus extension (a directory
    lists only those, like a local directory).
    """
    fs, path = filesystem(url)
    try:
        if glob.has_magic(path):
            found = [p for p in fs.glob(path) if fs.isfile(p)]
            if not found:
                raise located(ReadError, f"{url}: no file matches this pattern", path=url)
        elif fs.isdir(path):
            found = [
                p for p in fs.find(path) if not basename(p).startswith(".") and known(basename(p))
            ]
            if not found:
                message = f"{url}: directory holds no .jsonl(.gz/.zst) or .parquet file"
                raise located(ReadError, message, path=url)
        elif fs.exists(path):
            found = [path]
        else:
            raise located(ReadError, f"{url}: no such file or directory", path=url)
    except OSError as e:
        if isinstance(e, ReadError):
            raise
        raise located(ReadError, f"{url}: {e}", path=url) from e
    return [_full(fs, p) for p in sorted(found)]


def _full(fs: Any, path: str) -> str:
    full: str = fs.unstrip_protocol(path)
    return full
