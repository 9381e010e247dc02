"""What data a filtered selection draws on: sources and covered periods.

Row counts are deliberately left out: for a narrow cohort they would be small counts that
the cell-size rule forbids showing.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from claimscope.analysis.query import month_label
from claimscope.analysis.result import Coverage


def describe_coverage(filtered: ir.Table) -> Coverage:
    """Sources and periods present in ``filtered`` (one small grouped query)."""
    grouped = filtered.group_by(
        ["source", "source_format", "record_kind", "service_month", "period_end_month"]
    ).aggregate(n=filtered.count())
    frame = grouped.to_pyarrow().to_pylist()
    sources: dict[str, dict[str, str]] = {}
    periods: set[str] = set()
    kinds: set[str] = set()
    for row in frame:
        key = row["source"]
        sources.setdefault(
            key, {"name": key, "format": row["source_format"], "record_kind": row["record_kind"]}
        )
        kinds.add(row["record_kind"])
        periods.add(period_label(row["service_month"], row["period_end_month"]))
    return Coverage(
        sources=[sources[k] for k in sorted(sources)],
        periods=sorted(periods),
        record_kinds=kinds,
    )


def period_label(start: date, end: date) -> str:
    if start == end:
        return month_label(start)
    if start.month == 1 and end.month == 12 and start.year == end.year:
        return str(start.year)
    return f"{month_label(start)}..{month_label(end)}"
