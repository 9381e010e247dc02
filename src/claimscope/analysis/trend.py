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
from claimscope.privacy import (
    CellKind,
    MissingKeys,
    SuppressedGrid,
    hide_periods,
    kind_for_measure,
    perturb_line,
    perturbation_block,
    perturbation_for,
    suppress_cells,
    suppress_grid,
)
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
            raise QueryError(
                f"`grain` {self.grain!r} is not one of {', '.join(GRAINS)}", parameter="grain"
            )
        if self.codes_limit < 1:
            raise QueryError("`limit` must be at least 1", parameter="limit")

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
    perturbation: dict[str, Any] = field(default_factory=lambda: {"applied": False})

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "measure": self.measure,
            "periods": self.periods,
            "totals": [plain_number(t) for t in self.totals],
            "series": [s.to_dict() for s in self.series],
            "data": self.coverage.to_dict(),
            "suppression": self.suppression,
            "perturbation": self.perturbation,
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
        raise QueryError(
            "aggregated sources cover whole years: use `grain` year for them", parameter="grain"
        )
    plan = plan_measure(query.measure, coverage.record_kinds, {s["name"] for s in coverage.sources})
    if not plan.measure.additive:
        raise QueryError(
            "trend shares need an additive measure (services, lines, allowed, paid), "
            f"not {query.measure!r}",
            parameter="measure",
        )
    with_period = filtered.mutate(period=_period_expr(filtered, query.grain))
    cells = _cells(with_period, plan)
    code_cells = _code_cells(with_period)
    selection = max(code_cells.values(), default=0.0)
    if selection < query.privacy.min_cell_size:  # as top decides its total: counted exactly
        selection = cell_count(
            filtered.aggregate(**cell_counts(filtered)).to_pyarrow().to_pylist()[0]
        )
    return _build(query, coverage, cells, _period_cells(with_period), code_cells, selection)


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


def _build(
    query: TrendQuery,
    coverage: Coverage,
    cells: list[dict[str, Any]],
    period_cells: dict[date, float],
    code_cells: dict[str, float],
    selection_cells: float,
) -> TrendResult:
    """Suppress the whole codes x periods grid, then show the leading codes and "other".

    Suppression is decided on every code of the selection, before the limit picks the
    leaders, so two limits show subsets of the same protected figures; "other" in a period
    is shown only when it follows from figures of the protected grid (:func:`_other`).
    """
    periods = sorted({r["period"] for r in cells})
    codes = sorted({r["hcpcs_code"] for r in cells})
    column = {p: j for j, p in enumerate(periods)}
    row_of = {code: i for i, code in enumerate(codes)}
    values = np.zeros((len(codes), len(periods)))
    counts = np.zeros_like(values)
    keys = np.zeros(values.shape, dtype=object)  # record-key sums (None: a line has no key)
    for record in cells:
        i, j = row_of[record["hcpcs_code"]], column[record["period"]]
        values[i, j] = record["value"] or 0
        counts[i, j] = cell_count(record)
        keys[i, j] = record["cell_key"]
    kind = kind_for_measure(query.measure)
    code_totals = values.sum(axis=1)
    in_top = _shown_by_top(codes, code_totals, code_cells, selection_cells, query.privacy, kind)
    grid = suppress_grid(
        values,
        counts,
        values.sum(axis=0),
        [period_cells[p] for p in periods],
        query.privacy,
        row_totals=code_totals,
        row_total_counts=[code_cells.get(code, 0.0) for code in codes],
        row_totals_published=in_top,
        unlisted_rows=[i for i in range(len(codes)) if not in_top[i]],
        kind=kind,
    )
    ranked = sorted(
        (i for i in range(len(codes)) if in_top[i]), key=lambda i: (-code_totals[i], codes[i])
    )
    leaders = [i for i in ranked if i not in grid.withheld_rows][: query.codes_limit]
    return _present(query, coverage, codes, periods, grid, leaders, keys)


def _shown_by_top(
    codes: list[str],
    totals: np.ndarray,
    code_cells: dict[str, float],
    selection_cells: float,
    privacy: PrivacyPolicy,
    kind: CellKind,
) -> list[bool]:
    """Which codes' window totals ``top`` over the same filters shows (its own suppression)."""
    counts = [code_cells.get(code, 0.0) for code in codes]
    table = suppress_cells(
        [float(v) for v in totals], counts, float(totals.sum()), selection_cells,
        privacy, kind=kind, keys=codes,
    )  # fmt: skip
    if table.total_suppressed:
        return [False] * len(codes)
    return [table.is_shown(i) for i in range(len(codes))]


def _present(
    query: TrendQuery,
    coverage: Coverage,
    codes: list[str],
    periods: list[date],
    grid: SuppressedGrid,
    leaders: list[int],
    keys: np.ndarray,
) -> TrendResult:
    totals = list(grid.totals)
    if all(t is None for t in totals) and not any(v is not None for r in grid.values for v in r):
        # Nothing can be shown: not even which periods have data.
        return TrendResult(
            query.describe(), query.measure, [], [], [], hide_periods(coverage),
            suppression=_shown_counts(grid, []),
            notes=["all figures suppressed: too few patients in every period (cell-size rule)"],
        )  # fmt: skip
    names = code_names([codes[i] for i in leaders])
    other_values = [_other(grid, leaders, j) for j in range(len(periods))]
    rows = [list(grid.values[i]) for i in leaders]
    perturbation = perturbation_for(query.privacy, kind_for_measure(query.measure))
    if perturbation is not None:
        if any(k is None for k in keys.flat):
            raise MissingKeys()
        others = [i for i in range(len(codes)) if i not in set(leaders)]
        rows = [
            perturb_line(perturbation, row, keys[i]) for row, i in zip(rows, leaders, strict=True)
        ]
        other_values = perturb_line(perturbation, other_values, keys[others].sum(axis=0))
        totals = perturb_line(perturbation, totals, keys.sum(axis=0))
    series = [
        _series(codes[i], names.get(codes[i]), row, grid.suppressed[i], totals, periods,
                query.grain)
        for i, row in zip(leaders, rows, strict=True)
    ]  # fmt: skip
    other = _series(
        OTHER, "All other codes in the set", other_values, [v is None for v in other_values],
        totals, periods, query.grain,
    )  # fmt: skip
    notes = []
    if grid.withheld_rows:
        notes.append(
            f"{len(grid.withheld_rows)} code(s) left out: with the code totals top publishes "
            "they would reveal a small count"
        )
    return TrendResult(
        query=query.describe(),
        measure=query.measure,
        periods=[_label(p, query.grain) for p in periods],
        totals=totals,
        series=[*series, other],
        coverage=coverage,
        suppression=_shown_counts(grid, leaders),
        notes=notes,
        perturbation=perturbation_block(perturbation),
    )


def _other(grid: SuppressedGrid, leaders: list[int], j: int) -> float | None:
    """ "Other" in period ``j``, when it follows from protected figures: the total minus shown
    leaders, or the sum of the other codes' cells when all of them are shown (zeros too)."""
    rest = [grid.values[i][j] for i in range(len(grid.values)) if i not in set(leaders)]
    if all(v is not None for v in rest):
        return float(sum(v or 0.0 for v in rest))
    parts = [grid.values[i][j] for i in leaders]
    total = grid.totals[j]
    if total is None or any(v is None for v in parts):
        return None
    return float(total) - sum(v or 0.0 for v in parts)


def _shown_counts(grid: SuppressedGrid, leaders: list[int]) -> dict[str, Any]:
    """The grid's suppression block, counting only the hidden cells this output lists.

    Counts over codes the output does not show would tell how many small cells lie behind
    "other" and the period totals.
    """
    block = dict(grid.summary)
    listed = [grid.status[i][j] for i in leaders for j in range(len(grid.totals))]
    hidden_totals = sum(t is None for t in grid.totals)
    block["primary"] = listed.count("primary")
    block["complementary"] = listed.count("complementary") + hidden_totals
    block.pop("withheld_rows", None)
    return block


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
