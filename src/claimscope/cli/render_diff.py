"""Formatting ``claimscope diff`` (a restatement between two store versions)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.table import Table

from claimscope.analysis.restatement import DiffResult
from claimscope.cli.output import csv_text, markdown_footer, markdown_heading, print_facts
from claimscope.cli.render import SUPPRESSED, format_share, format_value, to_json
from claimscope.insight.describe import describe

HEADERS = ("code", "change", "rank before", "rank after", "value before", "value after",
           "share before", "share after")  # fmt: skip


def _cells(row: dict[str, Any], unit: str) -> list[str]:
    out = [row["code"], row["change"]]
    sides = [row["before"], row["after"]]
    out += [_cell(side, "rank", unit) for side in sides]
    out += [_cell(side, "value", unit) for side in sides]
    out += [_cell(side, "share", unit) for side in sides]
    return out


def _cell(side: dict[str, Any] | None, key: str, unit: str) -> str:
    if side is None:
        return "-"
    if side.get("suppressed"):
        return SUPPRESSED
    if key == "share":
        return format_share(side["share"])
    if key == "value":
        return format_value(side["value"], unit)
    return str(side[key])


def print_diff(console: Console, result: DiffResult, fmt: str) -> None:
    data = result.to_dict()
    unit = "USD" if data["measure"] in ("allowed", "paid") else data["measure"]
    rows = [_cells(r, unit) for r in data["rows"]]
    span = f"version {data['from']['store_version']} -> {data['to']['store_version']}"
    described = describe("diff", {**data, "data": result.after.coverage.to_dict()})
    description = replace(described, title=f"{described.title}, {span}")
    if fmt == "json":
        console.out(to_json(data), highlight=False)
    elif fmt == "csv":
        console.out(csv_text(description, HEADERS, rows), highlight=False, end="")
    elif fmt == "markdown":
        lines = [markdown_heading(description), "| " + " | ".join(HEADERS) + " |"]
        lines.append("|" + "---|" * len(HEADERS))
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        console.out("\n".join(lines) + "\n" + markdown_footer(description), highlight=False)
    else:
        table = Table(*HEADERS, title=description.title)
        for r in rows:
            table.add_row(*r)
        total = data["total"]
        table.caption = (
            f"total {total['before']} -> {total['after']}; entered: "
            f"{', '.join(data['entered']) or 'none'}; left: {', '.join(data['left']) or 'none'}"
        )
        console.print(table)
        print_facts(console, description)
