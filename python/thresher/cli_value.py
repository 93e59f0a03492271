"""Deprecated home of :func:`thresher.io.load_labelled` (library code that lived in
the CLI); the name keeps working, with a ``DeprecationWarning``, for one release."""

from __future__ import annotations

import warnings
from typing import Any

from thresher.io.labelled import load_labelled as _load_labelled

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    if name == "load_labelled":
        warnings.warn(
            "thresher.cli_value.load_labelled is deprecated: use thresher.io.load_labelled",
            DeprecationWarning,
            stacklevel=2,
        )
        return _load_labelled
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
