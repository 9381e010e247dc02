"""Formatting cohort comparisons and attribution reports."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from claimscope.analysis.attribution_report import AttributionReport
from claimscope.analysis.compare import CompareResult, side_by_side
from claimscope.cli.output import markdown_footer, markdown_heading, print_facts
from claimscope.cli.render import format_share, result_csv, to_json
from claimscope.insight.describe import describe, described
from claimscope.insight.tables import result_table


def _cohort_cell(cell: dict[str, Any]) -> str:
    if cell.get("suppressed"):
        return "suppressed"
    if cell.get("absent"):
        return "—"
    text = f"{cell['rank']} · {format_share(cell['share'])}"
    if cell.get("ci"):
        low, high = cell["ci"]
        text += f" [{low * 100:.1f} to {high * 100:.1f}]"
    return text if cell.get("in_top") else f"({text})"


def compare_table(result: CompareResult) -> Table:
    names = [c.cohort.name for c in result.cohorts]
    description = describe("compare", result.to_dict())
    table = Table(
        title=description.title,
        title_justify="left",
        caption="rank · share; (in brackets) ranked outside that cohort's top N; — not billed",
        caption_justify="left",
    )
    table.add_column("Code")
    table.add_column("Name")
    for ranking in result.cohorts:
        table.add_column(ranking.cohort.label, justify="right")  # human name; the slug is JSON's
    for entry in side_by_side(result):
        cells = [_cohort_cell(entry["cohorts"][name]) for name in names]
        table.add_row(entry["code"], entry["name"] or "", *cells)
    return table


def overlap_table(result: CompareResult) -> Table:
    table = Table(title="Overlap of the top-N lists", title_justify="left")
    for header in ("Pair", "Jaccard", "Rank-biased overlap", "Kendall tau-b (shared codes)"):
        table.add_column(header, justify="left" if header == "Pair" else "right")
    for pair in result.overlaps:
        data = pair.to_dict(named=True)

        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        table.add_row(
            f"{data['a']} vs {data['b']}",
            fmt(data["jaccard_top_n"]),
            fmt(data["rank_biased_overlap"]),
            fmt(data["kendall_tau_b"]),
        )
    return table


def compare_csv(result: CompareResult) -> str:
    return result_csv("compare", result.to_dict())


def compare_markdown(result: CompareResult) -> str:
    names = [c.cohort.name for c in result.cohorts]
    description = describe("compare", result.to_dict())
    lines = [
        markdown_heading(description),
        "| code | name | " + " | ".join(c.cohort.label for c in result.cohorts) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    for entry in side_by_side(result):
        cells = [_cohort_cell(entry["cohorts"][n]) for n in names]
        lines.append(f"| {entry['code']} | {entry['name'] or ''} | " + " | ".join(cells) + " |")
    lines += ["", *[f"- {s}" for s in result.sentences]]
    return "\n".join(lines) + "\n" + markdown_footer(description)


def print_compare(console: Console, result: CompareResult, fmt: str) -> None:
    if fmt == "json":
        console.out(to_json(described("compare", result.to_dict())), highlight=False)
    elif fmt == "csv":
        console.out(compare_csv(result), end="", highlight=False)
    elif fmt == "markdown":
        console.out(compare_markdown(result), highlight=False)
    else:
        console.print(compare_table(result))
        console.print(overlap_table(result))
        for sentence in result.sentences:
            console.print(f"• {sentence}", highlight=False)
        for ranking in result.cohorts:
            for note in ranking.full.notes:
                console.print(f"[yellow]{ranking.cohort.name}: {note}[/]", highlight=False)
        print_facts(console, describe("compare", result.to_dict()))


def _count(value: Any) -> str:
    return "suppressed" if value is None else f"{value:,}"


def attribution_tables(report: AttributionReport) -> list[Table]:
    data = report.to_dict()
    rules = data["precedence"]
    disciplines = Table(
        title="Lines by attributed discipline and deciding rule", title_justify="left"
    )
    disciplines.add_column("Discipline")
    disciplines.add_column("Lines", justify="right")
    for rule in rules:
        disciplines.add_column(rule, justify="right")
    for d in data["disciplines"]:
        by_rule = {r["rule"]: r for r in d["by_rule"]}
        cells = [_count(by_rule[r]["lines"]) if r in by_rule else "" for r in rules]
        disciplines.add_row(d["discipline"], _count(d["lines"]), *cells)
    conflicts = Table(title="Conflicts between rules", title_justify="left")
    for header in ("Conflict", "Attributed to", "Decided by", "Lines", "Example"):
        conflicts.add_column(header, justify="right" if header == "Lines" else "left")
    for c in data["conflicts"]:
        example = c["examples"][0] if c["examples"] else {}
        shown = ", ".join(f"{k}={v}" for k, v in example.items() if v)
        conflicts.add_row(c["kind"], c["attributed"], c["decided_by"], _count(c["lines"]), shown)
    return [disciplines, conflicts]


def attribution_markdown(report: AttributionReport) -> str:
    payload = report.to_dict()
    description = describe("attribution", payload)
    columns, rows = result_table("attribution", payload)
    lines = [
        markdown_heading(description),
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(_markdown_cell(v) for v in row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n" + markdown_footer(description)


def _markdown_cell(value: Any) -> str:
    if isinstance(value, bool):
        return "suppressed" if value else ""
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def print_attribution(console: Console, report: AttributionReport, fmt: str) -> None:
    if fmt == "json":
        console.out(to_json(described("attribution", report.to_dict())), highlight=False)
        return
    if fmt == "csv":
        console.out(result_csv("attribution", report.to_dict()), end="", highlight=False)
        return
    if fmt == "markdown":
        console.out(attribution_markdown(report), highlight=False)
        return
    description = describe("attribution", report.to_dict())
    console.print(f"[bold]{description.title}[/]", highlight=False)
    for table in attribution_tables(report):
        console.print(table)
    print_facts(console, description)
