"""Memory budgets: sizes written as ``"4GB"``, ``"512MiB"`` or a number of bytes.

Decimal units are powers of 1000 (``kB``, ``MB``, ``GB``, ``TB``), binary units powers
of 1024 (``KiB``, ``MiB``, ``GiB``, ``TiB``); ``K``, ``M``, ``G`` and ``T`` alone are
binary, as in ``ulimit`` and ``sort -S``. Units are case-insensitive.

Examples
--------
>>> parse_memory("4GB"), parse_memory("512MiB"), parse_memory("1.5k"), parse_memory(10)
(4000000000, 536870912, 1536, 10)
>>> 0 < default_memory() <= 4 * 2**30
True
"""

from __future__ import annotations

import os
import re
from typing import Any

from thresher import _validation as check

__all__ = ["DEFAULT_MEMORY_CAP", "default_memory", "parse_memory"]

#: The default budget is a quarter of physical memory, at most this.
DEFAULT_MEMORY_CAP = 4 * 2**30

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 2**10,
    "m": 2**20,
    "g": 2**30,
    "t": 2**40,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*")


def parse_memory(value: Any, name: str = "memory") -> int:
    """Bytes of a memory size: an integer (bytes) or a string such as ``"4GB"``.

    Raises :class:`~thresher.exceptions.InvalidParameterError` naming ``name`` for a
    negative, zero, unparsable or non-integral size.
    """
    must = "a positive size such as 4GB, 512MiB or a number of bytes"
    if check.is_integer(value):
        if value <= 0:
            check.fail(name, must, value)
        return int(value)
    if not isinstance(value, str):
        check.fail(name, must, value)
    match = _SIZE.fullmatch(value)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        check.fail(name, must, value)
    bytes_ = int(float(match.group(1)) * _UNITS[unit])
    if bytes_ <= 0:
        check.fail(name, must, value)
    return bytes_


def default_memory() -> int:
    """A quarter of physical memory (``os.sysconf``), at most 4 GiB; 4 GiB where the
    platform does not report its memory."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return DEFAULT_MEMORY_CAP
    if physical <= 0:
        return DEFAULT_MEMORY_CAP
    return min(physical // 4, DEFAULT_MEMORY_CAP)
