"""A small progress bar for long work: documents, bytes, rate and ETA on stderr.

It draws only when stderr is a terminal (and ``quiet`` is false), so logs and CI
output stay clean. The Rust kernels call it after every batch with the rows and
bytes just processed.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


def _si(value: float, unit: str) -> str:
    for prefix in ("", "k", "M", "G", "T"):
        if abs(value) < 1000 or prefix == "T":
            return f"{value:.1f} {prefix}{unit}" if prefix else f"{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class ProgressBar:
    """Progress of one phase of work, drawn at most ten times a second.

    Parameters
    ----------
    description
        What is being done ("fit raw", "select", ...).
    total_bytes
        Bytes of text expected, for the bar and the ETA; ``None`` if unknown.
    quiet
        Draw nothing.
    stream
        Where to draw (default: stderr, only if it is a terminal).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar("demo", total_bytes=2_000, stream=out)
    >>> bar(10, 1_000); bar(10, 1_000); bar.close()
    >>> bar.rows, bar.bytes
    (20, 2000)
    >>> "20 docs" in out.getvalue()
    True
    """

    def __init__(
        self,
        description: str,
        total_bytes: int | None = None,
        *,
        quiet: bool = False,
        stream: TextIO | None = None,
    ) -> None:
        self.description = description
        self.total_bytes = total_bytes
        self.rows = 0
        self.bytes = 0
        self._start = time.monotonic()
        self._last_draw = 0.0
        if stream is None:
            stream = sys.stderr
            enabled = not quiet and stream.isatty()
        else:
            enabled = not quiet
        self._stream: TextIO | None = stream if enabled else None

    def __call__(self, rows: int, nbytes: int) -> None:
        """Record ``rows`` more documents holding ``nbytes`` bytes of text."""
        self.rows += rows
        self.bytes += nbytes
        now = time.monotonic()
        if self._stream is not None and now - self._last_draw >= 0.1:
            self._last_draw = now
            self._draw(now, final=False)

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self._stream is not None:
            self._draw(time.monotonic(), final=True)

    def _draw(self, now: float, *, final: bool) -> None:
        assert self._stream is not None
        elapsed = max(now - self._start, 1e-9)
        rate = self.bytes / elapsed
        parts = [
            f"{self.description}:",
            f"{self.rows:,} docs",
            _si(self.bytes, "B"),
            f"{_si(rate, 'B/s')}",
            f"{elapsed:.1f}s",
        ]
        if self.total_bytes and not final:
            done = min(self.bytes / self.total_bytes, 1.0)
            eta = (self.total_bytes - self.bytes) / rate if rate > 0 else float("inf")
            parts.insert(1, f"{done:6.1%}")
            if eta != float("inf"):
                parts.append(f"ETA {eta:.0f}s")
        line = " ".join(parts)
        self._stream.write("\r" + line.ljust(79) + ("\n" if final else ""))
        self._stream.flush()
