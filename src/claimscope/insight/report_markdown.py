"""A report as Markdown with its charts as static SVG files beside it (rendered by vl-convert)."""

from __future__ import annotations

from pathlib import Path

from claimscope.insight import charts
from claimscope.insight.report import Block, Chart, Report
from claimscope.insight.report_tables import Table

CHART_DIR = "charts"


def render_markdown(report: Report, chart_dir: str = CHART_DIR) -> str:
    """The Markdown text; charts are linked as ``chart_dir/<id>.svg``."""
    out = [f"# {report.title}", "", f"*{report.dek}*", ""]
    for section in report.sections:
        out += [f'<a id="{section.id}"></a>', "", f"## {section.title}", ""]
        for block in section.blocks:
            out += [_block(block, chart_dir), ""]
    return "\n".join(out).rstrip() + "\n"


def _block(block: Block, chart_dir: str) -> str:
    if isinstance(block, Table):
        return table_markdown(block)
    if isinstance(block, Chart):
        image = f"![{block.title}]({chart_dir}/{block.id}.svg)"
        return image if block.table is None else f"{image}\n\n{table_markdown(block.table)}"
    return block


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown(table: Table) -> str:
    headers = [*table.headers, "Explore"] if table.links else table.headers
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.headers))]
    align += ["---"] if table.links else []
    lines = [f"**{table.caption}**", "", f"| {' | '.join(_cell(h) for h in headers)} |"]
    lines.append(f"| {' | '.join(align)} |")
    for r, row in enumerate(table.rows):
        cells = [_cell(c) for c in row]
        if table.links:
            link = table.links.get(r)
            cells.append(f"[Explore](#{link})" if link else "")
        lines.append(f"| {' | '.join(cells)} |")
    if table.query:
        lines += ["", f"<sub>Query: `{table.query_text()}`</sub>"]
    return "\n".join(lines)


def write_chart_files(report: Report, folder: Path) -> list[Path]:
    """One SVG per chart in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for chart in report.charts():
        path = folder / f"{chart.id}.svg"
        path.write_text(charts.to_svg(chart.spec))
        paths.append(path)
    return paths
