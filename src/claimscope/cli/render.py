"""Formatting analysis results for people (Rich table, Markdown) and programs (JSON, CSV).

Formatting only: every figure, including what is suppressed, was decided by the analysis.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from claimscope.analysis.result import CodeRow, TopResult
from claimscope.cli.output import csv_text, markdown_footer, markdown_heading, print_facts
from claimscope.insight.describe import describe, described
from claimscope.insight.tables import result_table
from claimscope.privacy import SOURCE_COUNTS

OUTPUT_FORMATS: Final = ("table", "json", "csv", "markdown")
SUPPRESSED: Final = "suppressed"


def to_json(payload: dict[str, Any]) -> str:
    """Stable, human-diffable JSON."""
    return json.dumps(payload, indent=2, sort_keys=False, default=str)


def format_share(share: float | None) -> str:
    """``0.2871`` -> ``"28.7%"``; suppressed or undefined -> ``"suppressed"``/``"-"``."""
    return "-" if share is None else f"{share * 100:.1f}%"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "USD":
        return f"${value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _cells(row: CodeRow, unit: str) -> list[str]:
    if row.suppressed:
        return ["", row.code, row.name or "", SUPPRESSED, SUPPRESSED]
    return [
        str(row.rank),
        row.code,
        row.name or "",
        format_value(row.value, unit),
        format_share(row.share),
    ]


def _unit(result: TopResult) -> str:
    return "USD" if result.measure in ("allowed", "paid") else result.measure


def top_table(result: TopResult) -> Table:
    """A Rich table of a ranking: the title names what it answers, the caption the total."""
    unit = _unit(result)
    description = describe("top", result.to_dict())
    table = Table(
        title=description.title,
        title_justify="left",
        caption=_total_line(result),
        caption_justify="left",
    )
    for header, justify in zip(
        ("Rank", "Code", "Name", result.measure_label, "Share"),
        ("right", "left", "left", "right", "right"),
        strict=True,
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in result.rows:
        if not row.suppressed:
            table.add_row(*_cells(row, unit))
    hidden = [row.code for row in result.rows if row.suppressed]
    if hidden:
        # One line instead of a row each: people need to know which codes, not see blanks.
        table.add_section()
        table.add_row(
            "", "", f"suppressed (cell-size rule): {', '.join(hidden)}", "", "", style="dim"
        )
    return table


def _total_line(result: TopResult) -> str:
    unit = _unit(result)
    total = SUPPRESSED if result.total is None else format_value(result.total, unit)
    bound = " (upper bound)" if result.upper_bound else ""
    return f"Total {result.measure_label.lower()}: {total}{bound}"


def top_markdown(result: TopResult) -> str:
    """A heading, a GitHub-flavoured Markdown table, then the total and the facts."""
    unit = _unit(result)
    description = describe("top", result.to_dict())
    lines = [
        markdown_heading(description),
        "| rank | code | name | " + result.measure_label.lower() + " | share |",
        "|---:|---|---|---:|---:|",
    ]
    for row in result.rows:
        lines.append("| " + " | ".join(_cells(row, unit)) + " |")
    lines.append("")
    lines.append(_total_line(result))
    lines.append(markdown_footer(description))
    return "\n".join(lines)


def result_csv(kind: str, payload: dict[str, Any]) -> str:
    """Any result as CSV: ``#`` metadata lines, header, rows (suppressed figures empty)."""
    columns, rows = result_table(kind, payload)
    return csv_text(describe(kind, payload), columns, rows)


def top_csv(result: TopResult) -> str:
    """One row per code; suppressed rows have empty rank/value/share and suppressed=true."""
    return result_csv("top", result.to_dict())


def print_top(console: Console, result: TopResult, fmt: str, title: str | None = None) -> None:
    """Write a ranking to ``console`` in the requested output format.

    ``title`` is ignored: the title is derived from the result so that every format agrees.
    """
    if fmt == "json":
        console.out(to_json(described("top", result.to_dict())), highlight=False)
    elif fmt == "csv":
        console.out(top_csv(result), end="", highlight=False)
    elif fmt == "markdown":
        console.out(top_markdown(result), highlight=False)
    else:
        console.print(top_table(result))
        print_facts(console, describe("top", result.to_dict()))


def sources_table(sources: Sequence[dict[str, Any]]) -> Table:
    """The store's sources: formats, files, rows read/loaded/quarantined, months."""
    table = Table(title="Sources in the store", title_justify="left")
    for header in ("Source", "Formats", "Files", "Read", "Loaded", "Quarantined", "Months"):
        table.add_column(
            header, justify="left" if header in ("Source", "Formats", "Months") else "right"
        )
    for s in sources:
        months = f"{s['first_month']} .. {s['last_month']}" if s["first_month"] else "-"
        table.add_row(
            s["name"],
            ", ".join(s["formats"]),
            f"{s['files']:,}",
            *(f"{s[k]:,}" if s[k] is not None else "suppressed" for k in SOURCE_COUNTS),
            months,
        )
    return table
