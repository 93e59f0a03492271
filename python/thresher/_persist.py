"""One convention for thresher's fitted objects: ``save(path) -> Path``,
``Class.load(path)`` and pickling, all through one safe, versioned format.

The format is a NumPy ``.npz`` archive read with ``allow_pickle=False``: a ``header``
entry holding JSON (with ``format`` and ``version`` fields, checked on load) and one
plain array per named state array. Pickling (process pools, Ray) ships the same bytes
as :meth:`Persistent.save` writes, so a model crosses a process exactly as it would
cross a file, and nothing unpickles code from a model file.
"""

from __future__ import annotations

import io
import json
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from thresher.exceptions import ModelFileError, ReadError, located

__all__ = ["Persistent", "State"]

#: The header (JSON-serialisable values) and the named arrays of an object.
State = tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]

_P = TypeVar("_P", bound="Persistent")


def _model_error(where: str, message: str) -> ModelFileError:
    return located(ModelFileError, f"{where}: {message}", path=where)


def dumps(fmt: str, version: int, state: State) -> bytes:
    """The bytes of ``state`` in the format ``fmt`` at ``version``."""
    header, arrays = state
    if "header" in arrays:
        raise ValueError("'header' is reserved for the JSON header")
    full = {"format": fmt, "version": version, **header}
    buffer = io.BytesIO()
    entries: dict[str, Any] = {"header": np.array(json.dumps(full)), **arrays}
    np.savez(buffer, **entries)
    return buffer.getvalue()


def read_arrays(file: Any, where: str) -> dict[str, npt.NDArray[Any]]:
    """Every entry of the archive ``file`` (a path or a binary file), without pickle."""
    try:
        data = np.load(file, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with data:
            return {name: np.asarray(data[name]) for name in data.files}
    except Exception as e:
        raise _model_error(where, f"cannot read it as a thresher model ({e})") from e


def parse(arrays: dict[str, npt.NDArray[Any]], fmt: str, version: int, where: str) -> State:
    """The header and arrays of an archive of format ``fmt``, its version checked."""
    try:
        header = json.loads(str(arrays.pop("header")))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (KeyError, ValueError) as e:
        raise _model_error(where, f"cannot read it as a thresher model ({e})") from e
    if header.get("format") != fmt:
        raise _model_error(where, f"format is {header.get('format')!r}, expected {fmt!r}")
    if header.get("version") != version:
        raise _model_error(
            where,
            f"format version {header.get('version')} is not supported "
            f"(this thresher reads version {version})",
        )
    return header, arrays


def open_model(path: str | os.PathLike[str]) -> Any:
    """``path`` opened for reading, or the :class:`ReadError` naming it."""
    try:
        return open(path, "rb")
    except OSError as e:
        raise located(ReadError, f"{path}: {e.strerror}", path=str(path)) from e


class Persistent(ABC):
    """Save, load and pickle from two methods: ``_to_state`` and ``_from_state``.

    A subclass names its ``FORMAT`` and ``FORMAT_VERSION`` and implements
    ``_to_state() -> (header, arrays)`` and the classmethod ``_from_state(header,
    arrays, where)``, which raises :class:`~thresher.exceptions.ModelFileError`
    (naming ``where``) for a state it cannot use.
    """

    FORMAT: ClassVar[str]
    FORMAT_VERSION: ClassVar[int]

    @abstractmethod
    def _to_state(self) -> State:
        """The header (JSON values) and named arrays that rebuild the object."""

    @classmethod
    @abstractmethod
    def _from_state(
        cls: type[_P], header: dict[str, Any], arrays: dict[str, Any], where: str
    ) -> _P:
        """The object of ``header`` and ``arrays`` read from ``where``."""

    @classmethod
    def _upgrade(cls, arrays: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        """The arrays of an older layout in today's (the default: unchanged)."""
        return arrays

    def to_bytes(self) -> bytes:
        """The bytes :meth:`save` writes (also what pickling ships)."""
        return dumps(self.FORMAT, self.FORMAT_VERSION, self._to_state())

    @classmethod
    def from_bytes(cls: type[_P], data: bytes, where: str = "<bytes>") -> _P:
        """The object whose :meth:`to_bytes` gave ``data``."""
        arrays = cls._upgrade(read_arrays(io.BytesIO(data), where))
        return cls._rebuild(arrays, where)

    @classmethod
    def _rebuild(cls: type[_P], arrays: dict[str, npt.NDArray[Any]], where: str) -> _P:
        header, arrays = parse(arrays, cls.FORMAT, cls.FORMAT_VERSION, where)
        try:
            return cls._from_state(header, arrays, where)
        except ModelFileError:
            raise
        except Exception as e:  # a missing field or a value the class rejects
            raise _model_error(where, f"cannot read it as a thresher model ({e!r})") from e

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the object to ``path`` (an ``.npz`` archive, no pickle); returns it."""
        from thresher.io.writers import atomic_path

        path = Path(path)
        data = self.to_bytes()
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            f.write(data)
        return path

    @classmethod
    def load(cls: type[_P], path: str | os.PathLike[str]) -> _P:
        """The object :meth:`save` wrote to ``path``; the format and its version are
        checked (a :class:`~thresher.exceptions.ModelFileError` names the file)."""
        where = str(path)
        with open_model(path) as file:
            arrays = cls._upgrade(read_arrays(file, where))
        return cls._rebuild(arrays, where)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_restore, (type(self), self.to_bytes()))


def _restore(cls: type[_P], data: bytes) -> _P:
    """Unpickle: the object of class ``cls`` saved as ``data``."""
    return cls.from_bytes(data, f"<pickled {cls.__name__}>")
