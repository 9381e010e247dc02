"""Formatting cohort comparisons and attribution reports."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from claimscope.analysis.attribution_report import AttributionReport
from claimscope.analysis.compare import CompareResult, side_by_side
from claimscope.cli.render import format_share, rows_csv, to_json


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
    table = Table(
        title=f"Top codes by cohort ({result.measure})",
        title_justify="left",
        caption="rank · share; (in brackets) ranked outside that cohort's top N; — not billed",
    )
    table.add_column("Code")
    table.add_column("Name")
    for name in names:
        table.add_column(name, justify="right")
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
    names = [c.cohort.name for c in result.cohorts]
    rows = []
    for entry in side_by_side(result):
        for name in names:
            cell = entry["cohorts"][name]
            rows.append(
                [
                    entry["code"],
                    entry["name"] or "",
                    name,
                    cell.get("rank", ""),
                    cell.get("share", ""),
                    "true" if cell.get("suppressed") else "false",
                ]
            )
    return rows_csv(("code", "name", "cohort", "rank", "share", "suppressed"), rows)


def compare_markdown(result: CompareResult) -> str:
    names = [c.cohort.name for c in result.cohorts]
    lines = ["| code | name | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    for entry in side_by_side(result):
        cells = [_cohort_cell(entry["cohorts"][n]) for n in names]
        lines.append(f"| {entry['code']} | {entry['name'] or ''} | " + " | ".join(cells) + " |")
    lines += ["", *[f"- {s}" for s in result.sentences]]
    return "\n".join(lines)


def print_compare(console: Console, result: CompareResult, fmt: str) -> None:
    if fmt == "json":
        console.out(to_json(result.to_dict()), highlight=False)
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


def print_attribution(console: Console, report: AttributionReport, fmt: str) -> None:
    if fmt == "json":
        console.out(to_json(report.to_dict()), highlight=False)
        return
    for table in attribution_tables(report):
        console.print(table)
    for note in report.notes:
        console.print(f"[yellow]{note}[/]", highlight=False)
