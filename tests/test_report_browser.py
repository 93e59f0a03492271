"""The report in a real browser: headless Chromium (Debian's ``chromium``, driven by
Playwright through ``executable_path``; no browser download) opens a report written
from the fixture run statistics and must show it with no console or page error, no
script, no request leaving the file, and the expected charts, bars and numbers.

Skipped only when no Chromium binary exists; ``.ci/run`` installs one (``make
browser``) and sets ``THRESHER_REQUIRE_BROWSER``, under which a missing one fails."""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from report_stats import HOSTILE_FILE, HOSTILE_LABEL, stats
from thresher.report import render, write_report


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()
if CHROMIUM is None and os.environ.get("THRESHER_REQUIRE_BROWSER"):
    # .ci/run sets this: in CI a missing browser is a failure, not a skip.
    raise RuntimeError("THRESHER_REQUIRE_BROWSER is set but no Chromium binary was found")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium binary (apt-get install chromium; .ci/run does)"
)


@dataclass
class Visit:
    """What the browser saw while opening one page."""

    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Imported here so that the other report tests run even without the test extra.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(browser: Any, path: Path) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    visit = Visit(page=page, url=path.resolve().as_uri())

    def on_console(message: Any) -> None:
        if message.type == "error":
            visit.console_errors.append(message.text)

    def on_route(route: Any) -> None:
        # Anything but the report itself is recorded and never reaches the network.
        if route.request.url == visit.url:
            route.continue_()
        else:
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("dialog", lambda dialog: (visit.dialogs.append(dialog.message), dialog.dismiss()))
    context.route("**/*", on_route)
    page.goto(visit.url, wait_until="load")
    page.wait_for_timeout(200)  # late errors (a lazy image, a timer) have time to show
    yield visit
    context.close()


@pytest.fixture(scope="module")
def visit(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    path = write_report(stats(), tmp_path_factory.mktemp("report") / "report.html")
    yield from _open(browser, path)


def _bars(visit: Visit, chart: str) -> list[dict[str, float]]:
    """Rendered boxes of the bars of every chart of one kind, in document order."""
    boxes = visit.page.locator(f'svg[data-chart="{chart}"] rect.bar').evaluate_all(
        "rects => rects.map(r => { const b = r.getBoundingClientRect();"
        " return {width: b.width, height: b.height}; })"
    )
    return list(boxes)


def test_opens_with_no_error_no_script_and_no_request(visit: Visit) -> None:
    assert visit.console_errors == []
    assert visit.page_errors == []
    assert visit.dialogs == []
    assert visit.requests == [visit.url]
    assert visit.page.evaluate("document.scripts.length") == 0
    assert visit.page.title().startswith("Curation of crawl-2026 & friends")


def test_funnel_has_a_bar_per_step_plus_the_input_shrinking_as_documents_go(
    visit: Visit,
) -> None:
    boxes = _bars(visit, "funnel")
    s = stats()
    assert len(boxes) == len(s["steps"]) + 1
    widths = [b["width"] for b in boxes]
    assert widths == sorted(widths, reverse=True) and widths[-1] > 0
    # Lengths are proportional to the documents left (within a pixel of rounding).
    ratio = s["steps"][-1]["documents_out"] / s["input"]["documents"]
    assert widths[-1] == pytest.approx(widths[0] * ratio, abs=1.0)


def test_composition_histograms_and_clusters_have_their_bars(visit: Visit) -> None:
    s = stats()
    labels = set(s["composition"]["before"]) | set(s["composition"]["after"])
    assert len(_bars(visit, "composition")) == 2 * len(labels)
    hist_bars = _bars(visit, "histogram")
    assert len(hist_bars) == sum(len(h["counts"]) for h in s["histograms"])
    assert visit.page.locator('svg[data-chart="histogram"]').count() == len(s["histograms"])
    clusters = _bars(visit, "clusters")
    assert len(clusters) == len(s["cluster_sizes"])
    # Log scale: a size seen once still has a visible bar, and equal ratios of counts
    # are equal steps of height (310,000 / 41,000 and 41,000 / 6,200 are ~7.6 and ~6.6).
    h = [b["height"] for b in clusters]
    counts = list(s["cluster_sizes"].values())
    assert min(h) > 2
    measured = (h[0] - h[1]) / (h[1] - h[2])
    expected = math.log(counts[0] / counts[1]) / math.log(counts[1] / counts[2])
    assert measured == pytest.approx(expected, rel=0.02)


def test_text_shows_steps_counts_and_escaped_user_text(visit: Visit) -> None:
    table = visit.page.locator("#composition details table")
    assert not table.is_visible()  # folded until the curator opens it
    visit.page.click("#composition summary")
    assert table.is_visible()
    text = visit.page.inner_text("body")
    for step in stats()["steps"]:
        row = visit.page.locator("#steps tbody tr", has_text=step["name"])
        assert row.count() == 1
    row_text = visit.page.locator("#steps tbody tr", has_text="near-dedup").inner_text()
    assert "3.05 M" in row_text and "2.61 M" in row_text and "85.6%" in row_text
    for shown in ("3.4 M", "5.6 GB", "500 k", "1.21 GB", "281 M", "1 h 13 min"):
        assert shown in text
    # Markup in a label and a file name is shown as text, never interpreted.
    assert HOSTILE_LABEL in text and HOSTILE_FILE in text
    assert visit.page.locator("main b, main img").count() == 0
    assert visit.page.locator("#shards tr, #shards + table tr").count() == 5


def test_the_harness_sees_a_request_leaving_the_page(browser: Any, tmp_path: Path) -> None:
    # The checks above would pass vacuously if the harness missed requests: a page
    # that loads an image from elsewhere is caught twice, as a request and as the
    # console error of the page's own Content-Security-Policy blocking it.
    page = tmp_path / "leaky.html"
    outside = "https://example.invalid/x.png"
    html = render(stats()).replace("<main>", f'<main><img src="{outside}">')
    page.write_text(html, encoding="utf-8")
    for seen in _open(browser, page):
        assert outside in seen.requests
        assert any("Content Security Policy" in e for e in seen.console_errors)
