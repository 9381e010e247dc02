"""Formatting a drill-down: one small table per breakdown."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from claimscope.analysis.drilldown import Breakdown, DrilldownResult
from claimscope.cli.render import format_share, format_value, rows_csv, to_json


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
    rows = [
        [
            b.dimension,
            r.key,
            r.label or "",
            "" if r.value is None else r.value,
            "" if r.share is None else r.share,
            "true" if r.suppressed else "false",
        ]
        for b in result.breakdowns
        for r in b.rows
    ]
    return rows_csv(("dimension", "key", "label", "value", "share", "suppressed"), rows)


def explore_markdown(result: DrilldownResult, unit: str) -> str:
    out = [f"## {result.code} {result.name or ''}", ""]
    for b in result.breakdowns:
        out += [f"### {b.title}", "", "| value | label | amount | share |", "|---|---|---:|---:|"]
        for r in b.rows:
            amount = "suppressed" if r.suppressed else format_value(r.value, unit)
            share = "suppressed" if r.suppressed else format_share(r.share)
            out.append(f"| {r.key} | {r.label or ''} | {amount} | {share} |")
        out.append("")
    return "\n".join(out)


def print_explore(console: Console, result: DrilldownResult, fmt: str) -> None:
    unit = "USD" if result.measure in ("allowed", "paid") else result.measure
    if fmt == "json":
        console.out(to_json(result.to_dict()), highlight=False)
    elif fmt == "csv":
        console.out(explore_csv(result), end="", highlight=False)
    elif fmt == "markdown":
        console.out(explore_markdown(result, unit), highlight=False)
    else:
        total = "suppressed" if result.total is None else format_value(result.total, unit)
        heading = f"[bold]{result.code}[/] {result.name or ''}"
        console.print(f"{heading}  ·  {result.subsection or ''}  ·  total {unit}: {total}")
        for note in result.notes:
            console.print(f"[yellow]{note}[/]")
        for breakdown in result.breakdowns:
            console.print(breakdown_table(breakdown, unit))
