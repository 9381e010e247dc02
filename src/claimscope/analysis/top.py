"""Ranked code shares: which codes dominate a family of care (``claimscope top``)."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from claimscope.analysis.coverage import describe_coverage
from claimscope.analysis.filters import apply_filters
from claimscope.analysis.measures import (
    MEASURE_DEFS,
    MeasurePlan,
    cell_count,
    cell_counts,
    measure_value,
    plan_measure,
)
from claimscope.analysis.query import TopQuery
from claimscope.analysis.result import CodeRow, Coverage, TopResult
from claimscope.privacy import suppress_ranking
from claimscope.terminology.names import code_names


def rank_code_shares(lines: ir.Table, query: TopQuery) -> TopResult:
    """Rank the codes of ``query.filters.codes`` by their share of the measure.

    Shares are fractions of the filtered total of the whole code set; ties get the same rank
    (1, 2, 2, 4); rows ranked beyond ``query.limit`` are left out. Small cells are suppressed
    before the result leaves this function, so no adapter can skip it.
    """
    filtered = apply_filters(lines, query.filters)
    coverage = describe_coverage(filtered)
    if coverage.empty:
        return _empty_result(query, coverage)
    plan = plan_measure(query.measure, coverage.record_kinds, {s["name"] for s in coverage.sources})
    per_code = _per_code(filtered, plan)
    rows = _ranked_rows(per_code, 0.0)
    total, total_cells = _totals(filtered, plan, rows, query.privacy.min_cell_size)
    for row in rows:
        row.share = row.value / total if total and row.value is not None else None
    result = TopResult(
        query=query.describe(),
        measure=query.measure,
        measure_label=plan.measure.label,
        total=total,
        rows=rows,
        coverage=coverage,
        upper_bound=plan.upper_bound,
        total_cell_count=total_cells,
        codes_in_total=len(rows),
        notes=_notes(plan),
    )
    return suppress_ranking(result, query.privacy, limit=query.limit)


def _per_code(filtered: ir.Table, plan: MeasurePlan) -> list[dict[str, Any]]:
    grouped = filtered.group_by("hcpcs_code").aggregate(
        value=measure_value(filtered, plan), **cell_counts(filtered)
    )
    return list(grouped.to_pyarrow().to_pylist())


def _totals(
    filtered: ir.Table, plan: MeasurePlan, rows: list[CodeRow], threshold: int
) -> tuple[float, float]:
    """The measure and the suppression count over the whole selection.

    Additive measures sum exactly from the per-code rows. Suppression only asks whether the
    selection's cell count reaches the threshold, and the selection holds at least as many
    patients as its largest code, so a second pass over the lines is needed only for distinct
    measures (one patient can receive several codes) or when every code is below it.
    """
    largest_cell = max((r.cell_count or 0.0 for r in rows), default=0.0)
    value = sum(r.value or 0.0 for r in rows)
    if plan.measure.additive and largest_cell >= threshold:
        return value, largest_cell
    aggregates: dict[str, Any] = dict(cell_counts(filtered))
    if not plan.measure.additive:
        aggregates["value"] = measure_value(filtered, plan)
    totals = filtered.aggregate(**aggregates).to_pyarrow().to_pylist()[0]
    if "value" in totals:
        value = float(totals["value"] or 0)
    return value, cell_count(totals)


def _ranked_rows(per_code: list[dict[str, Any]], total: float) -> list[CodeRow]:
    names = code_names(r["hcpcs_code"] for r in per_code)
    ordered = sorted(per_code, key=lambda r: (-(r["value"] or 0), r["hcpcs_code"]))
    rows: list[CodeRow] = []
    previous: float | None = None
    rank = 0
    for position, record in enumerate(ordered, start=1):
        value = float(record["value"] or 0)
        if value != previous:
            rank, previous = position, value
        rows.append(
            CodeRow(
                code=record["hcpcs_code"],
                name=names.get(record["hcpcs_code"]),
                value=value,
                share=value / total if total else None,
                rank=rank,
                cell_count=cell_count(record),
                cell_key=record["cell_key"],
            )
        )
    return rows


def _notes(plan: MeasurePlan) -> list[str]:
    notes: list[str] = []
    if plan.upper_bound:
        notes.append(
            "patients summed from aggregated rows: beneficiaries are distinct within a row only, "
            "so each value is an upper bound"
        )
    if not plan.measure.additive:
        notes.append(
            f"{plan.measure.unit} are counted once per code and once in the total, so shares "
            "can add up to more than 100%"
        )
    return notes


def _empty_result(query: TopQuery, coverage: Coverage) -> TopResult:
    return TopResult(
        query=query.describe(),
        measure=query.measure,
        measure_label=MEASURE_DEFS[query.measure].label,
        total=0.0,
        rows=[],
        coverage=coverage,
        notes=["no claim lines match these filters"],
    )
