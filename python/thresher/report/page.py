"""The HTML of a report: one page with its CSS inline and its charts as inline SVG.

Nothing is fetched: no script, no font, no stylesheet, no image from anywhere else, so
the file opens offline and can be mailed or archived as it is. Every string that came
from the run (title, step names, labels, file names) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from thresher.report import charts
from thresher.report.schema import Histogram, RunStats, Step, parse_time
from thresher.report.units import count, duration, number, share, size

__all__ = ["MAX_CHART_LABELS", "MAX_TABLE_ROWS", "render_page"]

#: Labels drawn in the composition chart; the rest are merged into one "other" group.
MAX_CHART_LABELS = 20
#: Rows of a table (labels, input files, shards) before the rest are summarised.
MAX_TABLE_ROWS = 200

_CSS = """
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5f6b7a; --bg: #ffffff;
  --card: #f4f6f9; --line: #d9dee5; --c0: #8a9bb0; --c1: #2f6fdf; --accent: #2f6fdf; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ee; --muted: #9aa5b4; --bg: #14171c; --card: #1d2128;
    --line: #2e343e; --c0: #67768a; --c1: #5b93f5; --accent: #5b93f5; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: 12px; margin-top: 18px; }
.card { background: var(--card); border-radius: 8px; padding: 12px 14px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .d { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums;
  margin: 8px 0; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.path { text-align: left; white-space: normal; word-break: break-all; }
.note { color: var(--muted); font-size: 13px; }
svg.chart { width: 100%; height: auto; display: block; margin: 6px 0 4px; }
svg.chart text { fill: var(--fg); }
svg.chart text.tick, svg.chart text.value { fill: var(--muted); }
svg.chart .bar { fill: var(--accent); }
svg.chart .bar.s0, svg.chart .swatch.s0 { fill: var(--c0); }
svg.chart .bar.s1, svg.chart .swatch.s1 { fill: var(--c1); }
svg.chart .bar:hover { opacity: .75; }
svg.chart line.grid { stroke: var(--line); stroke-width: 1; }
svg.chart line.axis { stroke: var(--muted); stroke-width: 1; }
details summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""


def _opt(value: int | None, fmt: Any = count) -> str:
    return "—" if value is None else str(fmt(value))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], text_columns: int = 1) -> str:
    """A table; the first ``text_columns`` cells of a row are text, the rest numbers.
    Cells are escaped here."""
    ths = "".join(
        f'<th class="text">{escape(h)}</th>' if i < text_columns else f"<th>{escape(h)}</th>"
        for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        tds = "".join(
            f'<td class="text">{escape(c)}</td>' if i < text_columns else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _plural(n: int, noun: str) -> str:
    return f"{count(n)} {noun}{'' if n == 1 else 's'}"


def _card(key: str, value: str, detail: str) -> str:
    return (
        f'<div class="card"><div class="k">{escape(key)}</div><div class="v">{escape(value)}'
        f'</div><div class="d">{escape(detail)}</div></div>'
    )


def _when(text: str) -> str:
    t = parse_time(text)
    zone = t.strftime(" %Z") if t.tzinfo is not None else ""
    return t.strftime("%Y-%m-%d %H:%M:%S") + zone


def _header(stats: RunStats) -> str:
    src, out = stats["input"], stats["output"]

    def kept(a: int | None, b: int | None, fmt: Any = count) -> tuple[str, str]:
        if b is None:
            return "—", "not counted"
        if a is None:
            return fmt(b), "not counted in the input"
        return fmt(b), f"of {fmt(a)} in ({share(b, a)} kept)"

    cards = [
        _card("documents out", *kept(src["documents"], out["documents"])),
        _card("bytes out", *kept(src["bytes"], out["bytes"], size)),
        _card("tokens out", *kept(src["tokens"], out["tokens"])),
        _card(
            "time",
            duration(stats["seconds"]),
            f"{_plural(len(stats['steps']), 'step')}, "
            f"{_plural(len(out['shards']), 'output shard')}",
        ),
    ]
    return (
        f"<header><h1>{escape(stats['title'])}</h1><p>thresher {escape(stats['thresher_version'])}"
        f" · started {escape(_when(stats['started']))} · finished "
        f"{escape(_when(stats['finished']))}</p>"
        f'<div class="cards">{"".join(cards)}</div></header>'
    )


def _steps(stats: RunStats) -> str:
    steps: list[Step] = stats["steps"]
    src = stats["input"]

    def amounts(documents: int, num_bytes: int, tokens: int | None) -> str:
        shown = f"{count(documents)} docs · {size(num_bytes)}"
        return shown if tokens is None else f"{shown} · {count(tokens)} tokens"

    rows = [("input", src["documents"], amounts(src["documents"], src["bytes"], src["tokens"]))]
    rows += [
        (
            s["name"],
            s["documents_out"],
            f"{amounts(s['documents_out'], s['bytes_out'], s['tokens_out'])}"
            f" ({share(s['documents_out'], src['documents'])})",
        )
        for s in steps
    ]
    table = _table(
        [
            "step",
            "kind",
            "documents in",
            "documents out",
            "kept",
            "bytes in",
            "bytes out",
            "tokens in",
            "tokens out",
            "time",
        ],
        (
            (
                s["name"],
                s["kind"],
                count(s["documents_in"]),
                count(s["documents_out"]),
                share(s["documents_out"], s["documents_in"]),
                size(s["bytes_in"]),
                size(s["bytes_out"]),
                _opt(s["tokens_in"]),
                _opt(s["tokens_out"]),
                duration(s["seconds"]),
            )
            for s in steps
        ),
        text_columns=2,
    )
    if not steps:
        return (
            '<section id="steps"><h2>Steps</h2><p class="note">The run had no step.</p></section>'
        )
    return (
        '<section id="steps"><h2>Steps</h2>'
        '<p class="note">Documents left after each step (share of the input).</p>'
        f"{charts.bars('funnel', rows)}{table}</section>"
    )


def _composition(stats: RunStats) -> str:
    comp = stats["composition"]
    if comp is None:
        return ""
    before, after = comp["before"], comp["after"]
    total_b, total_a = sum(before.values()), sum(after.values())
    # Largest first by the input's count, then the output's, then the label itself.
    labels = sorted(
        set(before) | set(after), key=lambda k: (-before.get(k, 0), -after.get(k, 0), k)
    )
    shown = labels[:MAX_CHART_LABELS]
    rest = labels[MAX_CHART_LABELS:]
    b_vals = [before.get(k, 0) for k in shown]
    a_vals = [after.get(k, 0) for k in shown]
    names = list(shown)
    if rest:
        names.append(f"other ({len(rest)} labels)")
        b_vals.append(sum(before.get(k, 0) for k in rest))
        a_vals.append(sum(after.get(k, 0) for k in rest))
    chart = charts.grouped_bars(
        "composition",
        names,
        [
            (
                "before",
                [v / total_b if total_b else 0 for v in b_vals],
                [f"{share(v, total_b)} ({count(v)})" for v in b_vals],
            ),
            (
                "after",
                [v / total_a if total_a else 0 for v in a_vals],
                [f"{share(v, total_a)} ({count(v)})" for v in a_vals],
            ),
        ],
    )
    table = _table(
        [comp["column"], "before", "share", "after", "share", "kept"],
        (
            (
                k,
                count(before.get(k, 0)),
                share(before.get(k, 0), total_b),
                count(after.get(k, 0)),
                share(after.get(k, 0), total_a),
                share(after.get(k, 0), before.get(k, 0)),
            )
            for k in labels[:MAX_TABLE_ROWS]
        ),
    )
    more = (
        f'<p class="note">… and {count(len(labels) - MAX_TABLE_ROWS)} more labels.</p>'
        if len(labels) > MAX_TABLE_ROWS
        else ""
    )
    return (
        f'<section id="composition"><h2>Composition by {escape(comp["column"])}</h2>'
        f'<p class="note">Share of documents per label before ({count(total_b)} documents) and '
        f"after ({count(total_a)} documents) the run.</p>{chart}"
        # The table of every label is folded (HTML's own <details>, no script needed).
        f"<details><summary>Every label ({count(len(labels))})</summary>{table}{more}</details>"
        "</section>"
    )


def _histogram(hist: Histogram) -> str:
    edges, counts = hist["edges"], hist["counts"]
    tips = [
        f"[{number(edges[i])}, {number(edges[i + 1])}): {count(c)}" for i, c in enumerate(counts)
    ]
    chart = charts.columns(
        "histogram",
        counts,
        charts.edge_labels(edges),
        tips,
        x_title=hist["name"],
        y_title="documents",
    )
    return (
        f'<h3>{escape(hist["name"])}</h3><p class="note">{count(sum(counts))} values in '
        f"{len(counts)} bins from {escape(number(edges[0]))} to {escape(number(edges[-1]))}."
        f"</p>{chart}"
    )


def _histograms(stats: RunStats) -> str:
    if not stats["histograms"]:
        return ""
    parts = "".join(_histogram(h) for h in stats["histograms"])
    return f'<section id="histograms"><h2>Distributions</h2>{parts}</section>'


def _clusters(stats: RunStats) -> str:
    sizes = stats["cluster_sizes"]
    if sizes is None:
        return ""
    if not sizes:
        return (
            '<section id="clusters"><h2>Duplicate clusters</h2>'
            '<p class="note">No duplicate cluster was found.</p></section>'
        )
    keys = list(sizes)
    values = [sizes[k] for k in keys]
    clusters = sum(values)
    docs = sum(int(k) * v for k, v in sizes.items())
    chart = charts.columns(
        "clusters",
        values,
        keys,
        [f"{count(v)} clusters of {k} documents" for k, v in zip(keys, values, strict=True)],
        log=True,
        x_title="documents in the cluster",
        y_title="clusters (log scale)",
    )
    return (
        '<section id="clusters"><h2>Duplicate clusters</h2>'
        f'<p class="note">{count(clusters)} clusters holding {count(docs)} documents; the '
        f"largest has {count(int(keys[-1]))} documents.</p>{chart}</section>"
    )


def _files(items: list[Any], title: str, section: str) -> str:
    def cell(item: Any, key: str, fmt: Any) -> str:
        value = item.get(key) if isinstance(item, dict) else None
        if value is None and key == "documents" and isinstance(item, dict):
            value = item.get("rows")
        return "—" if value is None else str(fmt(value))

    rows = [
        (
            item if isinstance(item, str) else item["path"],
            cell(item, "documents", count),
            cell(item, "bytes", size),
            cell(item, "tokens", count),
        )
        for item in items[:MAX_TABLE_ROWS]
    ]
    more = (
        f'<p class="note">… and {count(len(items) - MAX_TABLE_ROWS)} more.</p>'
        if len(items) > MAX_TABLE_ROWS
        else ""
    )
    if not items:
        return f'<h3 id="{section}">{escape(title)}</h3><p class="note">None.</p>'
    table = _table(["path", "documents", "bytes", "tokens"], rows).replace(
        '<td class="text">', '<td class="path">'
    )
    return f'<h3 id="{section}">{escape(title)} ({count(len(items))})</h3>{table}{more}'


def render_page(stats: RunStats) -> str:
    """The whole HTML document of a validated ``stats``."""
    out = stats["output"]
    totals = _table(
        ["", "documents", "bytes", "tokens"],
        [
            (
                "input",
                count(stats["input"]["documents"]),
                size(stats["input"]["bytes"]),
                _opt(stats["input"]["tokens"]),
            ),
            ("output", count(out["documents"]), size(out["bytes"]), _opt(out["tokens"])),
        ],
    )
    files = (
        f'<section id="files"><h2>Input and output</h2>{totals}'
        f"{_files(stats['input']['files'], 'Input files', 'inputs')}"
        f"{_files(out['shards'], 'Output shards', 'shards')}</section>"
    )
    body = "".join(
        [
            _header(stats),
            _steps(stats),
            _composition(stats),
            _histograms(stats),
            _clusters(stats),
            files,
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # The browser itself refuses any script and any request that leaves the file.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        # No request may leave the page, not even for a favicon.
        '<link rel="icon" href="data:,">'
        f"<title>{escape(stats['title'])} · thresher report</title>"
        f"<style>{_CSS}</style></head><body><main>{body}"
        f"<footer>Written by thresher {escape(stats['thresher_version'])}. This page is "
        "self-contained: it loads nothing from the network.</footer></main></body></html>\n"
    )
