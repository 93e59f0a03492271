"""The run report: one self-contained ``report.html`` a curator opens after a run.

:func:`render` turns a run-statistics dict into HTML; :func:`write_report` writes it
(under a temporary name, renamed when complete). The page has its CSS inline and its
charts as inline SVG drawn in Python: no script, no font, no CDN, so it works offline.
It shows documents, bytes and tokens through each step (a table and a funnel), the
composition by a label column before and after, each histogram (such as the DSIR log
weights), the near-duplicate cluster sizes (log-scale counts) and the output shards.

The run statistics
------------------
The pipeline (``thresher run``, :class:`thresher.Pipeline`) writes them as
``stats.json`` beside the report. All counts are integers >= 0; a field marked
"or null" may be ``null`` when the run did not measure it. Keys not listed here are
ignored. ``render`` and ``write_report`` validate the dict first (see
:func:`thresher.report.schema.validate`): a missing or wrong field raises
:class:`~thresher.exceptions.InvalidParameterError` whose ``parameter`` is the
field's path, e.g. ``stats.steps[1].documents_out``.

``title`` (str)
    What the run was, shown as the page's heading.
``thresher_version`` (str)
    ``thresher.__version__`` of the run.
``started``, ``finished`` (str)
    ISO 8601 times (``2026-12-03T14:22:23Z``, ``2026-12-03T14:22:23+00:00``).
``seconds`` (number)
    Wall time of the run.
``input`` (object)
    ``files``: a list of paths, or of objects with ``path`` and optional ``documents``
    (or ``rows``), ``bytes`` and ``tokens``; ``documents``, ``bytes``, ``tokens``
    (or null): the totals read.
``steps`` (list of objects)
    In order, each with ``name`` (str), ``kind`` (str: ``filter``, ``dedup``,
    ``dsir``, ``sample``, ...), ``documents_in``, ``documents_out``, ``bytes_in``,
    ``bytes_out``, ``tokens_in`` (or null), ``tokens_out`` (or null) and ``seconds``.
``composition`` (object or null)
    ``column`` (str: the label column, e.g. ``domain``), ``before`` and ``after``:
    objects mapping each label to its number of documents in the input and the output.
``histograms`` (list of objects)
    Each with ``name`` (str, e.g. ``DSIR log weight``), ``edges`` (increasing finite
    numbers, one more than the counts) and ``counts``: ``counts[i]`` values fell in
    ``[edges[i], edges[i + 1])``. May be empty.
``cluster_sizes`` (object or null)
    Number of near-duplicate clusters of each size, keyed by the size as a string:
    ``{"2": 1520, "3": 85, ...}``. Null when the run did no deduplication.
``output`` (object)
    ``documents``, ``bytes``, ``tokens`` (or null): the totals written; ``shards``: a
    list of paths or of objects with ``path`` and optional ``documents`` (or ``rows``),
    ``bytes`` and ``tokens``.

Examples
--------
>>> import tempfile, pathlib
>>> from thresher.report import write_report
>>> stats = {
...     "title": "filter then dedup", "thresher_version": "0.1.0",
...     "started": "2026-12-03T14:00:00Z", "finished": "2026-12-03T14:02:05Z",
...     "seconds": 125.0,
...     "input": {"files": ["crawl.jsonl.zst"], "documents": 8000, "bytes": 13_100_000,
...               "tokens": None},
...     "steps": [{"name": "length", "kind": "filter", "documents_in": 8000,
...                "documents_out": 7400, "bytes_in": 13_100_000, "bytes_out": 12_900_000,
...                "tokens_in": None, "tokens_out": None, "seconds": 1.5}],
...     "composition": None, "histograms": [], "cluster_sizes": None,
...     "output": {"documents": 7400, "bytes": 12_900_000, "tokens": None,
...                "shards": [{"path": "out/part-00000.parquet", "documents": 7400}]},
... }
>>> path = write_report(stats, pathlib.Path(tempfile.mkdtemp()) / "report.html")
>>> html = path.read_text(encoding="utf-8")
>>> "<script" in html, "12.9 MB" in html
(False, True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from thresher.report.page import render_page
from thresher.report.schema import RunStats, validate

__all__ = ["RunStats", "render", "validate", "write_report"]


def render(stats: Any) -> str:
    """The report's HTML for the run statistics ``stats`` (validated first).

    Raises
    ------
    InvalidParameterError
        ``stats`` does not follow the schema; ``parameter`` names the field.

    Examples
    --------
    >>> from thresher.report import render
    >>> try:
    ...     render({"title": "run", "thresher_version": "0.1.0"})
    ... except Exception as e:
    ...     print(type(e).__name__, e.parameter)
    InvalidParameterError stats.started
    """
    return render_page(validate(stats))


def write_report(stats: Any, path: str | os.PathLike[str]) -> Path:
    """Write the report of ``stats`` to ``path`` (an ``.html`` file) and return the path.

    The file is written under a temporary name and renamed when complete, so a reader
    never sees half a report. ``stats`` is validated before anything is written.
    See the module documentation for an example.
    """
    from thresher.io.writers import atomic_path

    html = render(stats)
    final = Path(path)
    with atomic_path(final) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return final
