"""Write a report's files: ``report.html`` (self-contained) and ``report.md`` with ``charts/``."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from claimscope.insight.report import Report
from claimscope.insight.report_html import render_html
from claimscope.insight.report_markdown import CHART_DIR, render_markdown, write_chart_files


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    charts: list[Path]


def write_report(report: Report, folder: Path, *, stem: str = "report") -> ReportFiles:
    """Write the HTML and Markdown files (each replaced whole, never left half-written)."""
    folder.mkdir(parents=True, exist_ok=True)
    chart_paths = write_chart_files(report, folder / CHART_DIR)
    html = _replace(folder / f"{stem}.html", render_html(report))
    markdown = _replace(folder / f"{stem}.md", render_markdown(report))
    return ReportFiles(html, markdown, chart_paths)


def _replace(path: Path, text: str) -> Path:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)
    return path
