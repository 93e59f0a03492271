"""Sizes in bytes as people write them (``"4GB"``, ``"512MiB"``), and the default budget.

Examples
--------
>>> parse_memory("4GB"), parse_memory("512 MiB"), parse_memory(1_000)
(4000000000, 536870912, 1000)
>>> 0 < default_memory() <= 4 * 2**30
True
"""

from __future__ import annotations

import os
import re

from thresher.exceptions import invalid_parameter

__all__ = ["default_memory", "parse_memory"]

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
    "K": 2**10,
    "M": 2**20,
    "G": 2**30,
    "T": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?(?:[eE]\d+)?)\s*([A-Za-z]*)\s*$")


def parse_memory(value: object, parameter: str = "memory") -> int:
    """Bytes from an integer or a string such as ``"4GB"`` (powers of ten), ``"4GiB"``
    or ``"4G"`` (powers of two); raises InvalidParameterError naming ``parameter``."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise invalid_parameter(parameter, f"must be a positive size, got {value}")
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match and match.group(2).upper() in _UNITS:
            size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
            if size > 0:
                return size
    raise invalid_parameter(
        parameter, f"must be a size such as 4GB, 512MiB or a number of bytes, got {value!r}"
    )


def default_memory() -> int:
    """A quarter of the machine's physical memory, at most 4 GiB (1 GiB if unknown)."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 2**30
    return int(min(physical // 4, 4 * 2**30))
