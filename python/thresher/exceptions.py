"""Exceptions raised by thresher.

Every error thresher raises derives from :class:`ThresherError`. Errors about the
data also derive from :class:`ValueError` (or :class:`OSError` for files that cannot be
read), so existing ``except ValueError`` handlers keep working. Attributes name what
was at fault: ``path`` and ``line`` for a line of a file, ``row`` for a row of an
in-memory table, ``field`` for a column, ``parameter`` for an argument.

Examples
--------
>>> import thresher
>>> try:
...     thresher.DSIR(num_buckets=0)
... except thresher.exceptions.InvalidParameterError as e:
...     print(e.parameter)
num_buckets
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = [
    "DecompressionError",
    "EmptyInputError",
    "FieldTypeError",
    "InputError",
    "InternalError",
    "InvalidParameterError",
    "ManifestError",
    "MissingDependencyError",
    "MissingFieldError",
    "ModelFileError",
    "ParseError",
    "PipelineError",
    "ReadError",
    "ResumeError",
    "SchemaMismatchError",
    "ThresherError",
    "TokenizerError",
    "WriteError",
]


class ThresherError(Exception):
    """Base class of every exception raised by thresher."""

    path: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    parameter: str | None = None


class InputError(ThresherError, ValueError):
    """The input data is unusable; ``path``/``line`` or ``row`` say where."""


class ParseError(InputError):
    """A record is not valid JSON, not a JSON object, or not valid UTF-8."""


class MissingFieldError(InputError, KeyError):
    """A required field or column (usually the text column) is missing or null."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FieldTypeError(InputError, TypeError):
    """A field or column has the wrong type (for example a number as the text)."""


class DecompressionError(InputError):
    """A ``.gz`` or ``.zst`` file is truncated or corrupt."""


class EmptyInputError(InputError):
    """A corpus holds no usable document."""


class ReadError(ThresherError, OSError):
    """A file cannot be opened, read or written."""


class WriteError(ThresherError, OSError):
    """An output cannot be written where it was asked for (its directory is missing)."""


class SchemaMismatchError(FieldTypeError):
    """A batch written to an output has another schema than the output's first batch."""


class InvalidParameterError(ThresherError, ValueError):
    """An argument is out of range or inconsistent with the input; see ``parameter``."""


class ModelFileError(ThresherError, ValueError):
    """A saved model file is not valid (wrong format, version or contents)."""


class ManifestError(ThresherError, ValueError):
    """An output's ``manifest.json`` is missing or invalid; ``path`` and ``field`` say
    which file and which entry."""


class MissingDependencyError(ThresherError, ImportError):
    """An optional package is needed (``fsspec`` and its protocol's package, such as
    ``s3fs``, for remote URLs)."""


class PipelineError(ThresherError, ValueError):
    """A pipeline file is invalid: an unknown step, a parameter of the wrong type, a
    column no earlier step makes, a missing input. ``path`` and ``line`` name the place
    in the pipeline file; raised before any work starts."""


class ResumeError(ThresherError):
    """A run cannot resume: its inputs or parameters changed since the interrupted run.
    The message lists what changed; ``--force`` (``force=True``) starts again."""


class TokenizerError(ModelFileError):
    """A ``tokenizer.json`` cannot be loaded (not JSON, or not a tokenizer); ``path``
    names it."""


class InternalError(ThresherError, RuntimeError):
    """A bug in thresher; please report it with the message."""


_E = TypeVar("_E", bound=ThresherError)


def located(cls: type[_E], message: str, **where: Any) -> _E:
    """An exception of class ``cls`` with attributes (``path``, ``line``, ``row``,
    ``field``, ``parameter``) saying where the fault is."""
    error = cls(message)
    for name, value in where.items():
        setattr(error, name, value)
    return error


def invalid_parameter(parameter: str, message: str) -> InvalidParameterError:
    """An :class:`InvalidParameterError` for ``parameter``."""
    return located(InvalidParameterError, f"invalid {parameter}: {message}", parameter=parameter)
