"""The explorer and the report in a real headless Chromium (Debian's, driven by Playwright).

Runs the ASGI app with uvicorn on a free loopback port. Each view is opened, its table, chart
(an SVG with one mark per row) and text checked, links clicked, a filter changed and the URL
reloaded; axe-core (from npm, at test time) must find no serious or critical violation on any
view. Screenshots are kept in .cache/browser-artifacts/ (the path is printed).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.api import create_app
from claimscope.insight.report import run_report
from claimscope.insight.report_data import ReportRequest
from claimscope.insight.report_output import write_report
from tests.browser import ARTIFACTS, blocking_violations, chromium_path, screenshot
from tests.canonical import lines_for, write_store

pytestmark = pytest.mark.browser
FILTERS = "codes=pmr&from=2023-01&to=2023-03"


def records() -> list[dict[str, Any]]:
    out = []
    for i, month in enumerate(("2023-01", "2023-02", "2023-03")):
        p = 1000 * i
        out += lines_for("97110", 30 + 5 * i, first_patient=p, month=month, units=2)
        out += lines_for("97110", 15, first_patient=p + 100, month=month, state="TX",
                         payer_type="medicare")  # fmt: skip
        out += lines_for("97140", 25, first_patient=p + 200, month=month, state="NY")
        out += lines_for("97530", 20, first_patient=p + 300, month=month,
                         specialty="occupational_therapy")  # fmt: skip
        out += lines_for("97535", 14, first_patient=p + 400, month=month, state="TX",
                         specialty="occupational_therapy", payer_type="medicare")  # fmt: skip
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_store(tmp_path_factory.mktemp("web"), records())


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="error")
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not app_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app_server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/"
    app_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox"]
        )
        yield launched
        launched.close()
    print(f"\nbrowser screenshots: {ARTIFACTS}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def drawn(page: Any) -> None:
    """Wait until the view has rendered and every chart on it has its SVG."""
    page.wait_for_function(
        "document.getElementById('busy').textContent === ''"
        " && document.getElementById('content').children.length > 0"
    )
    page.wait_for_function(
        "[...document.querySelectorAll('#content figure .chart')]"
        ".every(c => c.querySelector('svg'))"
    )


def ranked_codes(page: Any, selector: str) -> list[str]:
    rows = page.locator(f"{selector} tbody tr").all()
    cells = [r.locator("td").all_inner_texts() for r in rows]
    return [c[1] for c in cells if c[0].strip()]


def assert_accessible(page: Any) -> None:
    violations = blocking_violations(page)
    assert not violations, violations


def test_top_view_table_chart_and_text(server: str, page: Any) -> None:
    page.goto(server)
    drawn(page)
    assert page.title().startswith("Top codes of pmr")
    assert "view=top" in page.url and "codes=pmr" in page.url
    codes = ranked_codes(page, "#top")
    assert codes == ["97110", "97140", "97530", "97535"]
    bars = page.locator("#content figure svg g.mark-rect path")
    assert bars.count() == len(codes)  # one bar per ranked row
    assert "Therapeutic exercise" in page.locator("#top").inner_text()
    assert "Total:" in page.locator("#content").inner_text()
    assert_accessible(page)
    screenshot(page, "top")


def test_each_view_downloads_as_csv_json_and_the_report(server: str, page: Any) -> None:
    page.goto(f"{server}#view=top&{FILTERS}&limit=2")
    drawn(page)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    lines = Path(csv_download.value.path()).read_text().splitlines()
    assert lines[:2] == ["Ranked codes", "Rank,Code,Name,Value,Share,Explore"]
    assert lines[2].startswith("1,97110,") and lines[3].startswith("2,97140,")
    with page.expect_download() as json_download:
        page.get_by_role("button", name="Download JSON").click()
    body = json.loads(Path(json_download.value.path()).read_text())
    assert [r["code"] for r in body["rows"]] == ["97110", "97140"]
    assert body["query"]["limit"] == 2
    href = page.get_by_role("link", name="Download report").get_attribute("href")
    report = page.request.get(server.rstrip("/") + href)
    assert report.ok and "the top 2 codes" in report.text()


def test_explore_link_opens_the_code_with_the_filters(server: str, page: Any) -> None:
    page.goto(f"{server}#view=top&{FILTERS}&payer_type=commercial")
    drawn(page)
    page.locator("#top tbody tr").first.get_by_role("link", name="Explore 97110").click()
    page.wait_for_function("location.hash.includes('view=explore')")
    drawn(page)
    assert "code=97110" in page.url and "payer_type=commercial" in page.url
    assert page.locator("#view-title").inner_text().startswith("Explore 97110")
    text = page.locator("#content").inner_text()
    assert "By payer type" in text and "By state" in text
    # the state map draws every state; the trend chart one line for the code
    assert page.locator("#content svg g.mark-shape path").count() > 50
    assert page.locator("#content svg g.mark-line path").count() == 1
    assert_accessible(page)
    screenshot(page, "explore")


def test_a_changed_filter_survives_a_reload(server: str, page: Any) -> None:
    page.goto(f"{server}#view=top&{FILTERS}")
    drawn(page)
    everyone = page.locator("#top").inner_text()
    page.select_option("select[name=payer_type]", "medicare")
    page.get_by_role("button", name="Show").click()
    page.wait_for_function("location.hash.includes('payer_type=medicare')")
    drawn(page)
    medicare = page.locator("#top").inner_text()
    assert medicare != everyone and ranked_codes(page, "#top") == ["97110", "97535"]
    page.reload()
    drawn(page)
    assert page.locator("#top").inner_text() == medicare
    assert page.locator("select[name=payer_type]").input_value() == "medicare"


def test_compare_view_side_by_side(server: str, page: Any) -> None:
    cohorts = "physical_therapists,occupational_therapists"
    page.goto(f"{server}#view=compare&{FILTERS}&cohort={cohorts}&limit=5")
    drawn(page)
    panels = page.locator("#content .panel")
    assert panels.count() == 2
    for name, codes in (("physical_therapists", ["97110", "97140"]),
                        ("occupational_therapists", ["97530", "97535"])):  # fmt: skip
        assert ranked_codes(page, f"#cohort-{name}") == codes
        bars = page.locator(".panel", has=page.locator(f"#cohort-{name}")).locator(
            "svg g.mark-rect path"
        )
        assert bars.count() == len(codes)
    text = page.locator("#content").inner_text()
    assert "physical therapists" in text and "Overlap of the top lists" in text
    assert page.locator("#side-by-side tbody tr").count() == 4
    assert page.locator("#content .sentences p").count() >= 2
    assert_accessible(page)
    screenshot(page, "compare")


def test_trend_view_lines_and_change_table(server: str, page: Any) -> None:
    page.goto(f"{server}#view=trend&{FILTERS}&codes_limit=3")
    drawn(page)
    change = page.locator("#trend-change tbody tr")
    codes = [c for c in change.all_inner_texts() if not c.startswith("other")]
    assert len(codes) == 3
    assert page.locator("#content svg g.mark-line path").count() == 3  # one line per code
    assert "2023-01" in page.locator("#content").inner_text()
    assert_accessible(page)
    screenshot(page, "trend")


def test_status_view(server: str, page: Any) -> None:
    page.goto(f"{server}#view=status")
    drawn(page)
    assert page.locator("#view-title").inner_text() == "Store status"
    facts = page.locator("dl.facts").inner_text()
    assert "Store version" in facts and "Last refresh" in facts
    months = page.locator("#months tbody tr").all_inner_texts()
    assert [m.split("\t")[0] for m in months] == ["2023-01", "2023-02", "2023-03"]
    assert page.locator("#sources tbody tr").count() == 1
    assert_accessible(page)
    screenshot(page, "status")


def test_the_old_explore_link_form_still_works(server: str, page: Any) -> None:
    page.goto(server + "#explore=97140")
    drawn(page)
    assert page.locator("#view-title").inner_text().startswith("Explore 97140")
    assert page.locator("input[name=code]").input_value() == "97140"


def test_works_at_420_px(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 420, "height": 800})
    narrow = context.new_page()
    for view in ("top", "explore&code=97110", "compare&cohort=rehab,ot", "trend"):
        narrow.goto(f"{server}#view={view}&{FILTERS}")
        drawn(narrow)
        width = narrow.evaluate("document.documentElement.scrollWidth")
        assert width <= 420, f"{view} is {width} px wide"
    screenshot(narrow, "narrow-trend")
    context.close()


def test_the_report_opens_offline_and_links_to_its_explore_sections(
    store: Path, page: Any, tmp_path: Path
) -> None:
    filters = build_filters("pmr", period_from="2023-01", period_to="2023-03")
    report = run_report(store, ReportRequest(TopQuery(filters, limit=15)))
    files = write_report(report, tmp_path)
    page.route(
        "**/*",
        lambda route: route.abort() if route.request.url.startswith("http") else route.continue_(),
    )
    page.goto(files.html.as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every(c => c.querySelector('svg'))"
    )
    codes = ranked_codes(page, "#ranking-table")
    assert codes == ["97110", "97140", "97530", "97535"]
    assert page.locator("#ranking svg g.mark-rect path").count() == len(codes)
    assert "is the most common physical medicine" in page.locator("#ranking").inner_text()
    page.locator("#ranking-table").get_by_role("link", name="Explore").first.click()
    page.wait_for_function("location.hash === '#explore-97110'")
    assert page.locator("#explore-97110").is_visible()
    assert page.locator("#explore-97110 svg g.mark-shape path").count() > 50
    assert_accessible(page)
    screenshot(page, "report")
    # Printed: navigation and Explore links drop out, each explore section starts a page.
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("#explore-97110").evaluate("e => getComputedStyle(e).breakBefore") == "page"
    pdf = page.pdf(path=str(ARTIFACTS / "report.pdf"))
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 4
