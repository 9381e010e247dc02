"""Formatting a drill-down: one small table per breakdown."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from claimscope.analysis.drilldown import Breakdown, DrilldownResult
from claimscope.cli.output import markdown_footer, markdown_heading, print_facts
from claimscope.cli.render import format_share, format_value, result_csv, to_json
from claimscope.insight.describe import describe, described
from claimscope.terminology.codesets import subsection_label


def breakdown_table(breakdown: Breakdown, unit: str) -> Table:
    table = Table(title=breakdown.title, title_justify="left")
    for header, justify in (
        ("Value", "left"),
        ("Label", "left"),
        ("Amount", "right"),
        ("Share", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in breakdown.rows:
        if row.suppressed:
            table.add_row(row.key, row.label or "", "suppressed", "suppressed", style="dim")
        else:
            table.add_row(
                row.key, row.label or "", format_value(row.value, unit), format_share(row.share)
            )
    return table


def explore_csv(result: DrilldownResult) -> str:
    return result_csv("explore", result.to_dict())


def explore_markdown(result: DrilldownResult, unit: str) -> str:
    description = describe("explore", result.to_dict())
    out = [markdown_heading(description), f"Total {unit}: {_total(result, unit)}", ""]
    for b in result.breakdowns:
        out += [f"### {b.title}", "", "| value | label | amount | share |", "|---|---|---:|---:|"]
        for r in b.rows:
            amount = "suppressed" if r.suppressed else format_value(r.value, unit)
            share = "suppressed" if r.suppressed else format_share(r.share)
            out.append(f"| {r.key} | {r.label or ''} | {amount} | {share} |")
        out.append("")
    return "\n".join(out) + markdown_footer(description)


def _total(result: DrilldownResult, unit: str) -> str:
    return "suppressed" if result.total is None else format_value(result.total, unit)


def print_explore(console: Console, result: DrilldownResult, fmt: str) -> None:
    unit = "USD" if result.measure in ("allowed", "paid") else result.measure
    if fmt == "json":
        console.out(to_json(described("explore", result.to_dict())), highlight=False)
    elif fmt == "csv":
        console.out(explore_csv(result), end="", highlight=False)
    elif fmt == "markdown":
        console.out(explore_markdown(result, unit), highlight=False)
    else:
        description = describe("explore", result.to_dict())
        console.print(f"[bold]{description.title}[/]", highlight=False)
        total = _total(result, unit)
        place = f"{subsection_label(result.subsection)}  ·  " if result.subsection else ""
        console.print(f"{place}total {unit}: {total}", highlight=False)
        for breakdown in result.breakdowns:
            console.print(breakdown_table(breakdown, unit))
        print_facts(console, description)
