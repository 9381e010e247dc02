"""Why rows outside a period's grain are left out: annual and quarterly aggregate rows.

A row counts only when its whole period lies inside the one asked for (see
:func:`~claimscope.analysis.filters.apply_filters`): an annual CMS PUF row cannot be split by
month, so ``--from 2012-01 --to 2012-09`` leaves it out. That is right, and silent; this
module finds the rows so left out and says so in the result's notes.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from claimscope.analysis.coverage import period_label
from claimscope.analysis.filters import apply_filters
from claimscope.analysis.query import Filters
from claimscope.analysis.versions import effective_lines
from claimscope.store.connection import Connection, StoreError

# An aggregate row starts at most this many months before the period it overlaps (annual).
LONGEST_ROW_MONTHS = 12


def months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def excluded_period_notes(connection: Connection, filters: Filters) -> list[str]:
    """One note per period of aggregate rows that overlap the asked period but are not in it."""
    start, end = filters.month_from, filters.month_to
    if start is None and end is None:
        return []
    earliest = months_before(start, LONGEST_ROW_MONTHS - 1) if start else None
    try:
        lines = connection.lines(  # only files whose log stats allow multi-month rows
            sources=filters.sources, month_from=earliest, month_to=end, spanning_only=True
        )
    except StoreError:
        return []
    wide = apply_filters(
        effective_lines(lines), dataclasses.replace(filters, month_from=None, month_to=None)
    )
    predicates = [wide.service_month != wide.period_end_month]
    outside = []
    if start is not None:
        predicates.append(wide.period_end_month >= start)
        outside.append(wide.service_month < start)
    if end is not None:
        predicates.append(wide.service_month <= end)
        outside.append(wide.period_end_month > end)
    partial = outside[0] if len(outside) == 1 else outside[0] | outside[1]
    spans = (
        wide.filter([*predicates, partial])
        .select("service_month", "period_end_month")
        .distinct()
        .to_pyarrow()
        .to_pylist()
    )
    return [_note(s["service_month"], s["period_end_month"]) for s in sorted(spans, key=str)]


def _note(first: date, last: date) -> str:
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    kind = {12: "annual", 3: "quarterly"}.get(months, f"{months}-month")
    label = period_label(first, last)
    return (
        f"{kind} rows of {label} are not counted: {kind} rows cannot be split by month; "
        f"ask for the whole period (from {_month(first)} to {_month(last)})"
    )


def _month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
