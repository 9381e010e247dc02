"""The figures a report prints, computed and formatted once for both its prose and its tables.

A sentence and a table cell that show the same figure call the same function here, so the
report cannot say 42.2% in a paragraph and 42.3% in the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from claimscope.analysis.result import CodeRow, TopResult
from claimscope.insight.sentences import UNITS, percent
from claimscope.terminology.codesets import code_sets

MONEY: Final = ("allowed", "paid")
_WORDS: Final = (
    "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip


def count_words(n: int) -> str:
    """``2`` -> ``two``: small counts in prose are words (they are not figures of a table)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else "many"


def unit_of(measure: str) -> str:
    return UNITS.get(measure, measure)


def value_text(value: float | None, measure: str) -> str:
    """``12345`` -> ``12,345``; money ``$1,234.50``."""
    if value is None:
        return "suppressed"
    if measure in MONEY:
        return f"${value:,.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def exact_share(row: CodeRow, total: float | None) -> float | None:
    """value / total, unrounded (the result's share is rounded to four decimals already)."""
    if row.value is None or not total:
        return row.share
    return row.value / total


def share_text(share: float | None) -> str:
    return "suppressed" if share is None else percent(share)


def points_text(points: float | None, *, sign: bool = True) -> str:
    """Percentage points to one decimal: ``+1.9`` (or ``1.9`` without ``sign``)."""
    if points is None:
        return "-"
    return f"{points:+.1f}" if sign else f"{points:.1f}"


@dataclass(frozen=True)
class RankedFigures:
    """One shown row of a ranking with the derived figures the report prints."""

    row: CodeRow
    share: float
    cumulative: float
    points_ahead: float | None  # over the next lower rank; None for the last rank shown


def ranked_figures(result: TopResult) -> list[RankedFigures]:
    """Shown (ranked) rows in order, each with its exact share, cumulative share and lead."""
    shown = [r for r in result.rows if r.rank is not None]
    shares = [exact_share(r, result.total) or 0.0 for r in shown]
    out = []
    cumulative = 0.0
    for i, (row, share) in enumerate(zip(shown, shares, strict=True)):
        cumulative += share
        lower = next(
            (s for r, s in zip(shown[i:], shares[i:], strict=True) if r.rank != row.rank), None
        )
        ahead = None if lower is None else (share - lower) * 100
        out.append(RankedFigures(row, share, cumulative, ahead))
    return out


def family_name(codes_label: str) -> str:
    """What the code set is called: ``pmr`` -> ``Physical medicine and rehabilitation``."""
    sets = code_sets()
    items = codes_label.split(",")
    if len(items) == 1 and items[0] in sets:
        return sets[items[0]].label
    return f"Codes {codes_label.replace(',', ', ')}"


def family_extent(codes_label: str) -> str:
    """The codes a family covers: ``97010-97799``, or the spec itself."""
    sets = code_sets()
    parts = [sets[i].extent() if i in sets else i for i in codes_label.split(",")]
    return ", ".join(parts)


_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def period_text(first: str | None, last: str | None) -> str:
    """``2023-01``, ``2023-09`` -> ``January to September 2023``."""
    if not first or not last:
        return "all months in the store"

    def month(label: str) -> str:
        return _MONTHS[int(label[5:7]) - 1] if len(label) == 7 else label

    if first == last:
        return f"{month(first)} {first[:4]}"
    if first[:4] == last[:4]:
        return f"{month(first)} to {month(last)} {first[:4]}"
    return f"{month(first)} {first[:4]} to {month(last)} {last[:4]}"
