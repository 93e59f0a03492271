"""Numbers written for people: ``1.2 GB``, ``3.4 M``, ``2 min 05 s``, ``12.5%``.

Sizes use decimal (SI) units, as the CLI's ``--memory 4GB`` does. Counts below ten
thousand keep every digit (``8,000``); larger ones are shortened to three significant
digits with ``k``, ``M``, ``G`` or ``T``.

Examples
--------
>>> from thresher.report.units import size, count, duration, share
>>> size(1_234_567_890), count(3_400_000), duration(125), share(1, 8)
('1.23 GB', '3.4 M', '2 min 05 s', '12.5%')
"""

from __future__ import annotations

__all__ = ["count", "duration", "number", "share", "size"]

_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")
_COUNT_UNITS = ("", " k", " M", " G", " T", " P", " E")


def _digits(value: float) -> int:
    """Decimals that give three significant digits."""
    return 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0


def _short(value: float, base: float, units: tuple[str, ...]) -> tuple[str, str]:
    """``value`` scaled into ``[1, base)`` with three significant digits, and its unit."""
    index = 0
    # Compared after rounding, so that 999.96 kB is written 1 MB, not 1000 kB.
    while index < len(units) - 1 and round(abs(value), _digits(value)) >= base:
        value /= base
        index += 1
    text = f"{value:.{_digits(value)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text, units[index]


def size(num_bytes: int | float) -> str:
    """A number of bytes in decimal units.

    Examples
    --------
    >>> [size(n) for n in (0, 999, 1000, 1_640, 999_960, 2_000_000_000)]
    ['0 B', '999 B', '1 kB', '1.64 kB', '1 MB', '2 GB']
    """
    if abs(num_bytes) < 1000:
        return f"{int(num_bytes)} B"
    text, unit = _short(float(num_bytes), 1000.0, _SIZE_UNITS)
    return f"{text} {unit}"


def count(n: int | float) -> str:
    """A count: every digit below ten thousand, else three significant digits.

    Examples
    --------
    >>> [count(n) for n in (0, 7, 8_000, 12_345, 3_400_000, 1_000_000_000)]
    ['0', '7', '8,000', '12.3 k', '3.4 M', '1 G']
    """
    if abs(n) < 10_000:
        return f"{int(n):,}"
    text, unit = _short(float(n), 1000.0, _COUNT_UNITS)
    return f"{text}{unit}"


def number(x: float) -> str:
    """A real number (a histogram edge, a log weight) with at most three significant
    digits after the point, no trailing zeros.

    Examples
    --------
    >>> [number(x) for x in (-2.0, 0.125, 3.14159, -12.5, 1234.5)]
    ['-2', '0.125', '3.14', '-12.5', '1,234']
    """
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def duration(seconds: float) -> str:
    """A duration: seconds, then minutes and seconds, then hours and minutes.

    Examples
    --------
    >>> [duration(s) for s in (0.0042, 0.5, 12.25, 59.96, 125, 3_600 * 7 + 65)]
    ['4.2 ms', '0.5 s', '12.2 s', '1 min 00 s', '2 min 05 s', '7 h 01 min']
    """
    if seconds < 0.1:
        return f"{seconds * 1000:.2g} ms"
    if seconds < 59.95:
        return f"{seconds:.3g} s" if seconds < 10 else f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def share(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole`` (a dash when ``whole`` is zero).

    Examples
    --------
    >>> [share(1, 3), share(0, 5), share(1, 2000), share(3, 0)]
    ['33.3%', '0%', '0.05%', '—']
    """
    if not whole:
        return "—"
    pct = 100.0 * part / whole
    if pct == 0:
        return "0%"
    if pct < 0.1:
        return f"{pct:.2g}%"
    return f"{pct:.1f}%" if pct < 99.95 or pct >= 100 else "99.9%"
