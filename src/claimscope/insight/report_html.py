"""A report as one self-contained HTML file: styles, chart specifications, map and scripts inline.

It opens offline (vega, vega-lite and vega-embed are embedded from vl-convert's bundle, the
state boundaries from the package) and prints cleanly (print styles drop navigation, start
each explore section on a page). Without scripts, the tables and text are all there.
"""

from __future__ import annotations

import json
import re
from html import escape
from importlib import resources

from claimscope.insight import charts
from claimscope.insight.report import Block, Chart, Report, Section
from claimscope.insight.report_tables import Table


def _asset(name: str) -> str:
    return resources.files("claimscope.insight").joinpath("data", name).read_text()


def _script_text(text: str) -> str:
    """Text safe inside a <script> element: no early end tag. ``<\\/script`` means the same in
    a JavaScript string, regular expression or JSON string."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def render_html(report: Report) -> str:
    specs = {c.id: c.spec for c in report.charts()}
    nav = "".join(
        f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a></li>' for s in report.sections
    )
    body = "\n".join(_section(s) for s in report.sections)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(report.title)}</title>
<style>{_asset("report.css")}</style>
</head>
<body>
<header>
<h1>{escape(report.title)}</h1>
<p class="dek">{escape(report.dek)}</p>
</header>
<nav aria-label="Contents"><ol>{nav}</ol></nav>
<main>
{body}
</main>
<script type="application/json" id="report-specs">{_script_text(json.dumps(specs))}</script>
<script type="application/json" id="us-states">{_script_text(charts.us_states_topology())}</script>
<script>{_script_text(charts.javascript_bundle())}</script>
<script>{_script_text(_asset("report.js"))}</script>
</body>
</html>
"""


def _section(section: Section) -> str:
    classes = ' class="explore"' if section.explore else ""
    heading = f'<h2 id="{escape(section.id)}-title">{escape(section.title)}</h2>'
    blocks = [_block(b) for b in section.blocks]
    inner = f'<div class="grid">{"".join(blocks)}</div>' if section.explore else "".join(blocks)
    if section.id == "method":
        classes = ' class="method"'
    return (
        f'<section id="{escape(section.id)}"{classes} aria-labelledby="{escape(section.id)}-title">'
        f"{heading}{inner}</section>"
    )


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return table_html(block)
    if isinstance(block, Chart):
        figure = (
            f'<figure><div class="chart" data-chart="{escape(block.id)}"></div>'
            f"<figcaption>{escape(block.title)}</figcaption></figure>"
        )
        if block.table is None:
            return figure
        return f'<div class="panel">{figure}{table_html(block.table)}</div>'

    return f"<p>{escape(block)}</p>"


def table_html(table: Table) -> str:
    head = "".join(
        f'<th scope="col"{_num(i, table)}>{escape(h)}</th>' for i, h in enumerate(table.headers)
    )
    if table.links:
        head += '<th scope="col" class="no-print">Explore</th>'
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for i, text in enumerate(row):
            content = escape(text)
            if i == 1 and r in table.links:
                content = f'<a href="#{escape(table.links[r])}">{content}</a>'
            cells.append(f"<td{_num(i, table)}>{content}</td>")
        if table.links:
            link = table.links.get(r)
            anchor = f'<a href="#{escape(link)}">Explore</a>' if link else ""
            cells.append(f'<td class="no-print">{anchor}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    query = (
        f'<p class="query">Query: <code>{escape(table.query_text())}</code></p>'
        if table.query
        else ""
    )
    return (
        f'<div class="table-wrap"><table id="{escape(table.id)}"><caption>{escape(table.caption)}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f"{query}"
    )


def _num(index: int, table: Table) -> str:
    return ' class="num"' if index in table.numeric else ""
