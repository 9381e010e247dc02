"""Formatting a trend: a compact table with sparklines for people, the full grid for programs."""

from __future__ import annotations

from typing import Final

from rich.console import Console
from rich.table import Table

from claimscope.analysis.trend import TrendResult
from claimscope.cli.output import markdown_footer, markdown_heading, print_facts
from claimscope.cli.render import format_share, result_csv, to_json
from claimscope.insight.describe import describe, described

SPARKS: Final = "▁▂▃▄▅▆▇█"


def sparkline(shares: list[float | None]) -> str:
    """Shares as a one-line chart; suppressed periods as a gap."""
    shown = [s for s in shares if s is not None]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = (high - low) or 1.0
    return "".join(
        " " if s is None else SPARKS[int((s - low) / span * (len(SPARKS) - 1))] for s in shares
    )


def _pp(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} pp"


def trend_table(result: TrendResult) -> Table:
    first, last = (result.periods[0], result.periods[-1]) if result.periods else ("", "")
    description = describe("trend", result.to_dict())
    table = Table(
        title=f"{description.title}, by {result.query['grain']}",
        title_justify="left",
        caption="pp = percentage points; slope from a least-squares line through shown periods",
        caption_justify="left",
    )
    for header, justify in (
        ("Code", "left"),
        ("Name", "left"),
        (first, "right"),
        (last, "right"),
        ("Change", "right"),
        ("Slope/yr", "right"),
        ("Trend", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for s in result.series:
        table.add_row(
            s.code,
            s.name or "",
            format_share(s.shares[0]) if s.shares else "-",
            format_share(s.shares[-1]) if s.shares else "-",
            _pp(s.change_pp),
            _pp(s.slope_pp_per_year),
            sparkline(s.shares),
        )
    return table


def trend_csv(result: TrendResult) -> str:
    return result_csv("trend", result.to_dict())


def trend_markdown(result: TrendResult) -> str:
    """Heading, the share grid, the sentences, then the facts."""
    description = describe("trend", result.to_dict())
    header = "| code | name | " + " | ".join(result.periods) + " |"
    lines = [markdown_heading(description), header, "|---|---|" + "---:|" * len(result.periods)]
    for s in result.series:
        cells = [
            format_share(v) if not h else "suppressed"
            for v, h in zip(s.shares, s.suppressed, strict=True)
        ]
        lines.append(f"| {s.code} | {s.name or ''} | " + " | ".join(cells) + " |")
    lines += ["", *(f"- {s}" for s in result.sentences)]
    return "\n".join(lines) + "\n" + markdown_footer(description)


def print_trend(console: Console, result: TrendResult, fmt: str) -> None:
    if fmt == "json":
        console.out(to_json(described("trend", result.to_dict())), highlight=False)
    elif fmt == "csv":
        console.out(trend_csv(result), end="", highlight=False)
    elif fmt == "markdown":
        console.out(trend_markdown(result), highlight=False)
    else:
        console.print(trend_table(result))
        for sentence in result.sentences:
            console.print(f"• {sentence}", highlight=False)
        print_facts(console, describe("trend", result.to_dict()))
