"""What every output format carries besides its table: the title and the facts of the result.

Table: title above, facts in the caption. Markdown: a heading, the table, the facts as a list.
CSV: ``#`` lines first (title, then ``# Label: text``), then the header and rows, integers as
integers. JSON: the result's own contract, whose ``query``, ``data``, ``suppression`` and
``perturbation`` blocks say the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from claimscope.insight.describe import Description


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def metadata_lines(description: Description) -> list[str]:
    """The ``#`` lines a CSV file starts with."""
    return [f"# {description.title}", *(f"# {line}" for line in description.lines())]


def csv_text(
    description: Description, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> str:
    """Metadata lines, then the header and rows (None empty, booleans true/false)."""
    buffer = io.StringIO()
    buffer.write("\n".join(metadata_lines(description)) + "\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def markdown_heading(description: Description) -> str:
    return f"## {description.title}\n"


def markdown_footer(description: Description) -> str:
    return "\n" + "\n".join(f"- {line}" for line in description.lines())


def print_facts(console: Console, description: Description) -> None:
    """The facts and notes under a table, one per line, dimmed, never re-wrapped."""
    for line in description.lines():
        console.print(line, style="dim", soft_wrap=True, markup=False, highlight=False)
