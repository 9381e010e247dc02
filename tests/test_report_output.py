"""``claimscope report`` files: one self-contained HTML file, Markdown with SVG charts beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.cli import app
from claimscope.insight.report import run_report
from claimscope.insight.report_data import ReportRequest
from tests.canonical import lines_for, write_store
from tests.store_helpers import claims_csv


def store(tmp_path: Path) -> Path:
    records = (
        lines_for("97110", 40, state="CA")
        + lines_for("97140", 30, first_patient=100, state="TX")
        + lines_for("97530", 20, first_patient=200, state="NY")
        + lines_for("97150", 3, first_patient=300)  # suppressed
    )
    return write_store(tmp_path / "store", records)


def test_report_command_writes_html_and_markdown_with_charts(tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["report", "--store", str(store(tmp_path)), "--from", "2023-01", "--to", "2023-01"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Report: {out / 'report.html'}" in result.output.replace("\n", "")

    html = (out / "report.html").read_text()
    # Self-contained: no script, style or image comes from elsewhere.
    assert all("src=" not in tag for tag in re.findall(r"<script[^>]*>", html))
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"<(img|link|iframe)\b", markup)
    assert not re.search(r"(src|href)=\"(https?:)?//", markup)
    assert "window.vegaEmbed" in html and '"type": "topojson"' in html
    specs = json.loads(re.search(r'id="report-specs">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    drawn = re.findall(r'data-chart="([^"]+)"', html)
    assert drawn and set(drawn) == set(specs)
    assert {"ranking-chart", "explore-97110-state"} <= set(drawn)
    # 97150 (3 patients) is suppressed, and 97530 with it so 97150 cannot be derived.
    for code in ("97110", "97140"):
        assert f'<a href="#explore-{code}">Explore' in html
        assert f'<section id="explore-{code}" class="explore"' in html
    assert "explore-97530" not in html and "explore-97150" not in html
    assert "@media print" in html

    markdown = (out / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\((charts/[^)]+\.svg)\)", markdown)
    assert images and all((out / image).is_file() for image in images)
    assert "| 1 | 97110 | Therapeutic exercise" in markdown
    assert "[Explore](#explore-97110)" in markdown and '<a id="explore-97110"></a>' in markdown
    assert "Query: `" in markdown

    bars = (out / "charts" / "ranking-chart.svg").read_text()
    assert bars.count('aria-roledescription="bar"') == 2  # one bar per ranked row, none hidden
    state_map = (out / "charts" / "explore-97110-state.svg").read_text()
    assert state_map.count("<path") > 50  # every state drawn; only the shown one shaded:
    assert re.findall(r'aria-label="([^"]*state: [A-Z]{2}[^"]*)"', state_map) == [
        "Share: 100%; state: CA; share: 100.0%"
    ]


def test_report_on_a_missing_period_is_a_clear_error(tmp_path: Path) -> None:
    args = ["report", "--store", str(store(tmp_path)), "--from", "2030-01", "--to", "2030-02"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "no claim lines for the period asked" in result.output
    assert "Traceback" not in result.output


def test_report_as_of_an_earlier_store_version(tmp_path: Path) -> None:
    root = tmp_path / "store"
    runner = CliRunner()
    first = claims_csv(tmp_path / "a.csv", {"97110": 40, "97140": 30})
    second = claims_csv(tmp_path / "b.csv", {"97530": 50}, tag="b")
    for path in (first, second):
        result = runner.invoke(app, ["ingest", str(path), "--store", str(root)])
        assert result.exit_code == 0, result.output
    request = ReportRequest(TopQuery(build_filters("pmr"), limit=15))
    latest = run_report(root, request)
    version = latest.data.headline.coverage.store_version
    assert version is not None and [r.code for r in latest.data.headline.rows][:1] == ["97530"]
    earlier = run_report(root, request, as_of=version - 1)
    assert [r.code for r in earlier.data.headline.rows] == ["97110", "97140"]
    note = " ".join(b for s in earlier.sections if s.id == "method" for b in s.blocks)
    assert f"Store: version {version - 1}" in note
    assert all(e.coverage.store_version == version - 1 for e in earlier.data.explores.values())
