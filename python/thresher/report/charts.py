"""Inline SVG charts drawn in Python: no script, no external file, so a report opens
offline in any browser.

Every chart is one ``<svg class="chart" data-chart="<kind>">`` whose bars are
``<rect class="bar ...">`` elements (the browser test counts them), each with a
``<title>`` giving its exact value as a tooltip. Colours come from the page's CSS
classes, so the charts follow its light or dark scheme. All text is escaped.

Examples
--------
>>> from thresher.report.charts import bars
>>> svg = bars("funnel", [("input", 100, "100 docs"), ("filter <5>", 60, "60 docs")])
>>> svg.count('<rect class="bar')
2
>>> "filter &lt;5&gt;" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from thresher.report.units import count as fmt_count
from thresher.report.units import number

__all__ = ["bars", "columns", "edge_labels", "grouped_bars"]

#: Width of every chart's coordinate system; the page scales it to its column.
WIDTH = 1000
_LABEL_WIDTH = 230
_ROW = 26
_FONT = 13


def _text(value: str, limit: int = 32) -> str:
    """``value`` escaped, shortened with an ellipsis beyond ``limit`` characters."""
    return escape(value if len(value) <= limit else value[: limit - 1] + "…")


def _svg(kind: str, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(kind)}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def _bar(x: float, y: float, w: float, h: float, css: str, tip: str) -> str:
    return (
        f'<rect class="bar {escape(css)}" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" '
        f'height="{max(h, 0):.1f}"><title>{escape(tip)}</title></rect>'
    )


def bars(kind: str, rows: Sequence[tuple[str, float, str]], *, css: str = "") -> str:
    """Horizontal bars, one row per ``(label, value, value_text)``, lengths relative
    to the largest value (the funnel of documents through the steps).

    Examples
    --------
    >>> svg = bars("funnel", [("in", 10, "10"), ("out", 0, "0")])
    >>> svg.count('class="bar')
    2
    """
    top = max((value for _, value, _ in rows), default=0) or 1
    plot = WIDTH - _LABEL_WIDTH - 340
    body = []
    for i, (label, value, shown) in enumerate(rows):
        y = i * _ROW + 4
        w = plot * value / top
        body.append(
            f'<text class="label" x="{_LABEL_WIDTH - 8}" y="{y + _ROW / 2 + 1:.1f}" '
            f'text-anchor="end" dominant-baseline="middle" font-size="{_FONT}">'
            f"{_text(label)}</text>"
        )
        body.append(_bar(_LABEL_WIDTH, y + 3, w, _ROW - 8, css, f"{label}: {shown}"))
        body.append(
            f'<text class="value" x="{_LABEL_WIDTH + w + 6:.1f}" y="{y + _ROW / 2 + 1:.1f}" '
            f'dominant-baseline="middle" font-size="{_FONT}">{escape(shown)}</text>'
        )
    return _svg(kind, len(rows) * _ROW + 8, body, f"{kind} chart")


def grouped_bars(
    kind: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], Sequence[str]]],
) -> str:
    """Horizontal bars grouped by label: one bar per ``(name, values, texts)`` series
    in each group (composition before and after), all on one scale.

    Examples
    --------
    >>> svg = grouped_bars("c", ["a", "b"], [("before", [0.5, 0.5], ["50%", "50%"]),
    ...                                      ("after", [0.9, 0.1], ["90%", "10%"])])
    >>> svg.count('class="bar')
    4
    """
    top = max((v for _, values, _ in series for v in values), default=0) or 1
    plot = WIDTH - _LABEL_WIDTH - 170
    bar_h = 11
    group_h = bar_h * len(series) + 10
    legend_h = 24
    body = []
    for j, (name, _, _) in enumerate(series):
        x = _LABEL_WIDTH + j * 140
        body.append(
            f'<rect class="swatch s{j}" x="{x}" y="4" width="12" height="12"></rect>'
            f'<text class="label" x="{x + 18}" y="14" font-size="{_FONT}">{_text(name)}</text>'
        )
    for i, label in enumerate(labels):
        y0 = legend_h + i * group_h + 4
        body.append(
            f'<text class="label" x="{_LABEL_WIDTH - 8}" y="{y0 + group_h / 2 - 4:.1f}" '
            f'text-anchor="end" dominant-baseline="middle" font-size="{_FONT}">'
            f"<title>{escape(label)}</title>{_text(label)}</text>"
        )
        for j, (name, values, texts) in enumerate(series):
            y = y0 + j * bar_h
            w = plot * values[i] / top
            body.append(_bar(_LABEL_WIDTH, y, w, bar_h - 2, f"s{j}", f"{label} {name}: {texts[i]}"))
            body.append(
                f'<text class="value" x="{_LABEL_WIDTH + w + 6:.1f}" y="{y + bar_h / 2:.1f}" '
                f'dominant-baseline="middle" font-size="11">{escape(texts[i])}</text>'
            )
    return _svg(kind, legend_h + len(labels) * group_h + 8, body, f"{kind} chart")


def _ticks(top: float, log: bool) -> list[float]:
    """Axis ticks for values in ``[0, top]``: powers of ten on a log axis, else about
    five round numbers."""
    if log:
        return [10.0**e for e in range(math.floor(math.log10(max(top, 1))) + 1)]
    if top <= 0:
        return [0.0]
    step = 10 ** math.floor(math.log10(top / 5))
    for m in (1, 2, 5, 10):
        if top / (step * m) <= 6:
            step *= m
            break
    return [step * k for k in range(int(top / step) + 1)]


def columns(
    kind: str,
    heights: Sequence[int],
    labels: Sequence[str],
    tips: Sequence[str],
    *,
    log: bool = False,
    x_title: str = "",
    y_title: str = "",
) -> str:
    """Vertical bars (a histogram or a distribution) with a count axis, linear or
    log-scaled (``log=True``: a bar of height 1 is visible, 0 is absent). ``labels``
    are the ticks under the bars (one per bar, or one more for histogram edges);
    they are thinned so that they do not overlap.

    Examples
    --------
    >>> svg = columns("hist", [3, 0, 12], ["-1", "0", "1", "2"], ["a", "b", "c"])
    >>> svg.count('class="bar')
    3
    """
    left, right, top_pad, bottom = 70, 20, 14, 52
    height = 260
    plot_w = WIDTH - left - right
    plot_h = height - top_pad - bottom
    top = max(heights, default=0)
    scale_top = math.log10(top) + 0.15 if log and top > 0 else max(top, 1)

    def y_of(v: float) -> float:
        if log:
            frac = (math.log10(v) + (0.15 if v >= 1 else 0)) / scale_top if v > 0 else 0
        else:
            frac = v / scale_top
        return top_pad + plot_h * (1 - frac)

    body = []
    for tick in _ticks(top, log):
        y = y_of(tick) if (tick > 0 or not log) else top_pad + plot_h
        body.append(
            f'<line class="grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"></line>'
            f'<text class="tick" x="{left - 6}" y="{y:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="11">{escape(fmt_count(tick))}</text>'
        )
    n = len(heights)
    slot = plot_w / max(n, 1)
    # Labels on edges (n + 1) sit between bars; labels of bars (n) sit under them.
    on_edges = len(labels) == n + 1
    # A histogram's bins touch; a few categories stay narrow columns.
    bar_w = slot * 0.96 if on_edges else min(slot * 0.84, 64)
    for i, (h, tip) in enumerate(zip(heights, tips, strict=True)):
        y = y_of(h) if h > 0 else top_pad + plot_h
        x = left + (i + 0.5) * slot - bar_w / 2
        body.append(_bar(x, y, bar_w, top_pad + plot_h - y, "", tip))
    every = max(1, math.ceil(len(labels) / 14))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = left + (i if on_edges else i + 0.5) * slot
        body.append(
            f'<text class="tick" x="{x:.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" '
            f'font-size="11">{_text(label, 10)}</text>'
        )
    body.append(
        f'<line class="axis" x1="{left}" x2="{WIDTH - right}" y1="{top_pad + plot_h}" '
        f'y2="{top_pad + plot_h}"></line>'
    )
    if x_title:
        body.append(
            f'<text class="label" x="{left + plot_w / 2:.1f}" y="{height - 8}" '
            f'text-anchor="middle" font-size="{_FONT}">{escape(x_title)}</text>'
        )
    if y_title:
        body.append(
            f'<text class="label" x="14" y="{top_pad + plot_h / 2:.1f}" text-anchor="middle" '
            f'font-size="{_FONT}" transform="rotate(-90 14 {top_pad + plot_h / 2:.1f})">'
            f"{escape(y_title)}</text>"
        )
    return _svg(kind, height, body, f"{kind} chart")


def edge_labels(edges: Sequence[float]) -> list[str]:
    """Tick labels for histogram edges.

    Examples
    --------
    >>> edge_labels([-2.0, -1.5, 0.0])
    ['-2', '-1.5', '0']
    """
    return [number(e) for e in edges]
