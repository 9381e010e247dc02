"""Formatting analysis results for people (Rich table, Markdown) and programs (JSON, CSV).

Formatting only: every figure, including what is suppressed, was decided by the analysis.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from claimscope.analysis.result import CodeRow, TopResult
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


HEADERS: Final = ("rank", "code", "name", "value", "share")


def top_table(result: TopResult, title: str | None = None) -> Table:
    """A Rich table of a ranking, with the total and data coverage as caption."""
    unit = _unit(result)
    table = Table(title=title, title_justify="left", caption=_caption(result))
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


def _caption(result: TopResult) -> str:
    unit = _unit(result)
    total = "suppressed" if result.total is None else format_value(result.total, unit)
    sources = ", ".join(s["name"] for s in result.coverage.sources) or "none"
    periods = result.coverage.periods
    span = f"{periods[0]} to {periods[-1]}" if periods else "none"
    parts = [f"Total {result.measure_label.lower()}: {total}", f"sources: {sources}", span]
    parts.extend(result.notes)
    return " · ".join(parts)


def top_markdown(result: TopResult) -> str:
    """A GitHub-flavoured Markdown table plus a caption line."""
    unit = _unit(result)
    lines = [
        "| rank | code | name | " + result.measure_label.lower() + " | share |",
        "|---:|---|---|---:|---:|",
    ]
    for row in result.rows:
        lines.append("| " + " | ".join(_cells(row, unit)) + " |")
    lines.append("")
    lines.append(_caption(result))
    return "\n".join(lines)


def rows_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def top_csv(result: TopResult) -> str:
    """One row per code; suppressed rows have empty rank/value/share and suppressed=true."""
    rows = [
        [
            r.rank or "",
            r.code,
            r.name or "",
            "" if r.value is None else r.value,
            "" if r.share is None else r.share,
            "true" if r.suppressed else "false",
        ]
        for r in result.rows
    ]
    return rows_csv((*HEADERS, "suppressed"), rows)


def print_top(console: Console, result: TopResult, fmt: str, title: str | None = None) -> None:
    """Write a ranking to ``console`` in the requested output format."""
    if fmt == "json":
        console.out(to_json(result.to_dict()), highlight=False)
    elif fmt == "csv":
        console.out(top_csv(result), end="", highlight=False)
    elif fmt == "markdown":
        console.out(top_markdown(result), highlight=False)
    else:
        console.print(top_table(result, title=title))


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
