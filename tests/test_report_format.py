"""Numbers written for people, and the page's text: sizes, counts, durations and
shares, escaping of user text, and the contents of each section."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from report_stats import HOSTILE_FILE, HOSTILE_LABEL, stats
from thresher.exceptions import InvalidParameterError, WriteError
from thresher.report import render, write_report
from thresher.report.page import MAX_CHART_LABELS
from thresher.report.units import count, duration, number, share, size


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1 kB"),
        (1_234, "1.23 kB"),
        (12_345_678, "12.3 MB"),
        (999_999, "1 MB"),  # rounding carries into the next unit
        (1_200_000_000, "1.2 GB"),
        (5_600_000_000_000, "5.6 TB"),
    ],
)
def test_sizes_use_decimal_units(value: int, shown: str) -> None:
    assert size(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (9_999, "9,999"),
        (10_000, "10 k"),
        (3_400_000, "3.4 M"),
        (999_950, "1 M"),
        (2_610_000, "2.61 M"),
        (1_310_000_000, "1.31 G"),
    ],
)
def test_counts_keep_digits_below_ten_thousand_then_shorten(value: int, shown: str) -> None:
    assert count(value) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0, "0 ms"),
        (0.087, "87 ms"),
        (1.5, "1.5 s"),
        (42.04, "42.0 s"),
        (60.0, "1 min 00 s"),
        (611.0, "10 min 11 s"),
        (4361.5, "1 h 13 min"),
    ],
)
def test_durations(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_shares_and_numbers() -> None:
    assert share(500_000, 3_400_000) == "14.7%"
    assert share(10, 3_400_000) == "0.00029%"
    assert share(1, 0) == "—"
    assert [number(x) for x in (-8.0, 0.5, 2.25, 12345.6)] == ["-8", "0.5", "2.25", "12,346"]


def _text(html: str) -> str:
    """The page's visible text, roughly: tags removed, entities decoded."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_each_step_with_people_numbers() -> None:
    html = render(stats())
    text = _text(html)
    for shown in ("length filter", "near-dedup", "DSIR toward wiki", "3.4 M", "5.6 GB", "1.21 GB"):
        assert shown in text
    # The dedup step's unknown tokens_out shows as a dash, not as "None".
    assert "None" not in text
    assert "1 h 13 min" in text and "2026-12-03 14:00:00 UTC" in text


def test_user_text_is_escaped_everywhere() -> None:
    html = render(stats())
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert HOSTILE_LABEL in _text(html) and HOSTILE_FILE in _text(html)
    assert "crawl-2026 &amp; friends" in html


def test_a_run_without_composition_histograms_or_dedup_omits_their_sections() -> None:
    s = stats()
    s["composition"], s["histograms"], s["cluster_sizes"] = None, [], None
    html = render(s)
    assert 'data-chart="funnel"' in html
    for absent in ('id="composition"', 'id="histograms"', 'id="clusters"'):
        assert absent not in html


def test_many_labels_merge_into_other_in_the_chart() -> None:
    s = stats()
    s["composition"]["before"] = {f"label{i:03d}": 1000 - i for i in range(120)}
    s["composition"]["after"] = {f"label{i:03d}": i for i in range(120)}
    html = render(s)
    chart = re.search(r'<svg class="chart" data-chart="composition".*?</svg>', html)
    assert chart is not None
    assert chart.group(0).count('<rect class="bar') == 2 * (MAX_CHART_LABELS + 1)
    assert f"other ({120 - MAX_CHART_LABELS} labels)" in chart.group(0)
    assert "label119" in html  # the table still lists every label (below its cap)


def test_write_report_replaces_the_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    assert write_report(stats(), out) == out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_report_leaves_nothing_behind_on_bad_stats_or_a_missing_directory(
    tmp_path: Path,
) -> None:
    bad = stats()
    del bad["output"]
    with pytest.raises(InvalidParameterError):
        write_report(bad, tmp_path / "report.html")
    with pytest.raises(WriteError):
        write_report(stats(), tmp_path / "missing" / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_the_command_writes_the_report_of_a_saved_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thresher.report.__main__ import main

    saved = tmp_path / "stats.json"
    saved.write_text(json.dumps(stats()), encoding="utf-8")
    assert main([str(saved)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == render(stats())


def test_the_command_names_the_file_line_and_field_at_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thresher.report.__main__ import main

    saved = tmp_path / "stats.json"
    saved.write_text('{"title": "run",\n "seconds": }', encoding="utf-8")
    assert main([str(saved)]) == 2
    assert f"{saved}:2: not JSON" in capsys.readouterr().err
    bad = stats()
    bad["steps"][0]["seconds"] = "fast"
    saved.write_text(json.dumps(bad), encoding="utf-8")
    assert main([str(saved), str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert f"{saved}: invalid stats.steps[0].seconds" in err
    assert not (tmp_path / "r.html").exists()
    assert main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read the run statistics" in capsys.readouterr().err


def test_edge_cases_render_their_own_notes() -> None:
    s = stats()
    s["steps"] = []
    s["cluster_sizes"] = {}
    s["histograms"] = [{"name": "all zero", "edges": [0, 1], "counts": [0]}]
    s["output"]["shards"] = []
    s["input"]["documents"] = 0
    html = render(s)
    text = _text(html)
    assert "The run had no step." in text and 'data-chart="funnel"' not in html
    assert "No duplicate cluster was found." in text
    assert html.count('<rect class="bar') == 1 + 2 * 5  # the empty bin, the composition
    assert "0 steps, 0 output shards" in text and "None." in text
