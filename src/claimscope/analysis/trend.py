"""How code shares change over time (``claimscope trend``).

The codes followed are the top N of the whole window; every period's shares are fractions
of that period's total for the whole code set, and an ``other`` series carries the rest so
that each period adds up. The grid goes through two-dimensional small-cell suppression
with the period totals as margins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import ibis.expr.types as ir
import numpy as np

from claimscope.analysis.coverage import describe_coverage
from claimscope.analysis.filters import apply_filters
from claimscope.analysis.measures import (
    MeasurePlan,
    cell_count,
    cell_counts,
    measure_value,
    plan_measure,
)
from claimscope.analysis.query import Filters, PrivacyPolicy, QueryError
from claimscope.analysis.result import Coverage, plain_number
from claimscope.privacy import kind_for_measure, suppress_grid
from claimscope.terminology.names import code_names

GRAINS: Final = ("month", "quarter", "year")
OTHER: Final = "other"
_TRUNCATE: Final = {"quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class TrendQuery:
    """Shares of the top ``codes_limit`` codes per period of ``grain``."""

    filters: Filters
    measure: str = "services"
    grain: str = "month"
    codes_limit: int = 5
    privacy: PrivacyPolicy = field(default_factory=PrivacyPolicy)

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise QueryError(f"grain {self.grain!r} is not one of {', '.join(GRAINS)}")
        if self.codes_limit < 1:
            raise QueryError("--limit must be at least 1")

    def describe(self) -> dict[str, Any]:
        return {
            **self.filters.describe(),
            "measure": self.measure,
            "grain": self.grain,
            "limit": self.codes_limit,
        }


@dataclass
class TrendSeries:
    """One code's values and shares per period, and how its share moved."""

    code: str
    name: str | None
    values: list[float | None]
    shares: list[float | None]
    suppressed: list[bool]
    change_pp: float | None = None
    slope_pp_per_year: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "values": [plain_number(v) for v in self.values],
            "shares": self.shares,
            "suppressed": self.suppressed,
            "change_pp": self.change_pp,
            "slope_pp_per_year": self.slope_pp_per_year,
        }


@dataclass
class TrendResult:
    """A codes x periods grid of values and shares, with period totals."""

    query: dict[str, Any]
    measure: str
    periods: list[str]
    totals: list[float | None]
    series: list[TrendSeries]
    coverage: Coverage
    suppression: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # filled by claimscope.insight

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "measure": self.measure,
            "periods": self.periods,
            "totals": [plain_number(t) for t in self.totals],
            "series": [s.to_dict() for s in self.series],
            "data": self.coverage.to_dict(),
            "suppression": self.suppression,
            "notes": self.notes,
            "sentences": self.sentences,
        }


def code_share_trend(lines: ir.Table, query: TrendQuery) -> TrendResult:
    """Shares of the leading codes per period, suppressed so no small count can be derived."""
    filtered = apply_filters(lines, query.filters)
    coverage = describe_coverage(filtered)
    if coverage.empty:
        return TrendResult(
            query.describe(),
            query.measure,
            [],
            [],
            [],
            coverage,
            notes=["no claim lines match these filters"],
        )
    if "aggregate" in coverage.record_kinds and query.grain != "year":
        raise QueryError("aggregated sources cover whole years: use --grain year for them")
    plan = plan_measure(query.measure, coverage.record_kinds, {s["name"] for s in coverage.sources})
    if not plan.measure.additive:
        raise QueryError(
            "trend shares need an additive measure (services, lines, allowed, paid), "
            f"not {query.measure!r}"
        )
    with_period = filtered.mutate(period=_period_expr(filtered, query.grain))
    cells = _cells(with_period, plan)
    leaders = _leading_codes(cells, query.codes_limit)
    return _build(
        query, coverage, cells, leaders, _period_cells(with_period), _code_cells(with_period)
    )


def _period_expr(t: ir.Table, grain: str) -> ir.DateValue:
    if grain == "month":
        return t.service_month
    return t.service_month.truncate(_TRUNCATE[grain])


def _cells(t: ir.Table, plan: MeasurePlan) -> list[dict[str, Any]]:
    grouped = t.group_by(["period", "hcpcs_code"]).aggregate(
        value=measure_value(t, plan), **cell_counts(t)
    )
    return list(grouped.to_pyarrow().to_pylist())


def _period_cells(t: ir.Table) -> dict[date, float]:
    """Suppression counts per period: distinct patients in it (plus aggregate services)."""
    rows = t.group_by("period").aggregate(**cell_counts(t)).to_pyarrow().to_pylist()
    return {r["period"]: cell_count(r) for r in rows}


def _code_cells(t: ir.Table) -> dict[str, float]:
    """Suppression counts per code over the whole window.

    A ``top`` over the same filters publishes each code's window total, so the grid treats
    those totals as known row margins: otherwise a hidden month would be total minus the rest.
    """
    rows = t.group_by("hcpcs_code").aggregate(**cell_counts(t)).to_pyarrow().to_pylist()
    return {r["hcpcs_code"]: cell_count(r) for r in rows}


def _leading_codes(cells: list[dict[str, Any]], limit: int) -> list[str]:
    totals: dict[str, float] = {}
    for record in cells:
        totals[record["hcpcs_code"]] = totals.get(record["hcpcs_code"], 0.0) + (
            record["value"] or 0
        )
    ordered = sorted(totals, key=lambda code: (-totals[code], code))
    return ordered[:limit]


def _build(
    query: TrendQuery,
    coverage: Coverage,
    cells: list[dict[str, Any]],
    leaders: list[str],
    period_cells: dict[date, float],
    code_cells: dict[str, float],
) -> TrendResult:
    periods = sorted({r["period"] for r in cells})
    column = {p: i for i, p in enumerate(periods)}
    row_of = {code: i for i, code in enumerate(leaders)}
    other = len(leaders)
    values = np.zeros((other + 1, len(periods)))
    counts = np.zeros_like(values)
    for record in cells:
        i = row_of.get(record["hcpcs_code"], other)
        j = column[record["period"]]
        values[i, j] += record["value"] or 0
        # The "other" row's people may overlap across codes; its count is at least the largest.
        counts[i, j] = max(counts[i, j], cell_count(record)) if i == other else cell_count(record)
    totals = values.sum(axis=0)
    total_counts = np.array([period_cells[p] for p in periods])
    kind = kind_for_measure(query.measure)
    others = [n for code, n in code_cells.items() if code not in row_of]
    row_counts = [code_cells.get(code, 0.0) for code in leaders] + [max(others, default=0.0)]
    grid = suppress_grid(
        values,
        counts,
        totals,
        total_counts,
        query.privacy,
        row_totals=values.sum(axis=1),
        row_total_counts=row_counts,
        row_totals_published=True,
        kind=kind,
    )
    names = code_names(leaders)
    series = [
        _series(
            code,
            names.get(code),
            grid.values[i],
            grid.suppressed[i],
            grid.totals,
            periods,
            query.grain,
        )
        for i, code in enumerate([*leaders, OTHER])
        if i not in grid.withheld_rows
    ]
    for item in series:
        if item.code == OTHER:
            item.name = "All other codes in the set"
    notes = []
    if grid.withheld_rows:
        # A row whose published window total could not be protected is left out whole.
        notes.append(
            f"{len(grid.withheld_rows)} series left out: with the code totals top publishes "
            "they would reveal a small count"
        )
    return TrendResult(
        query=query.describe(),
        measure=query.measure,
        periods=[_label(p, query.grain) for p in periods],
        totals=list(grid.totals),
        series=series,
        coverage=coverage,
        suppression=grid.summary,
        notes=notes,
    )


def _series(
    code: str,
    name: str | None,
    values: list[float | None],
    suppressed: list[bool],
    totals: list[float | None],
    periods: list[date],
    grain: str,
) -> TrendSeries:
    shares = [
        None if v is None or not t else round(v / t, 4) for v, t in zip(values, totals, strict=True)
    ]
    shown = [(p, s) for p, s in zip(periods, shares, strict=True) if s is not None]
    change = slope = None
    if len(shown) >= 2:
        change = round((shown[-1][1] - shown[0][1]) * 100, 2)
        years = np.array([(p - shown[0][0]).days / 365.25 for p, _ in shown])
        if years[-1] > 0:
            slope = round(float(np.polyfit(years, [s * 100 for _, s in shown], 1)[0]), 2)
    return TrendSeries(code, name, values, shares, suppressed, change, slope)


def _label(period: date, grain: str) -> str:
    if grain == "year":
        return str(period.year)
    if grain == "quarter":
        return f"{period.year}-Q{(period.month - 1) // 3 + 1}"
    return f"{period.year:04d}-{period.month:02d}"
