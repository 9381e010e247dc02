"""Drill-downs of many codes at once (a report's explore sections), one query per dimension.

``explore_code`` for fifteen codes runs fifteen times nine queries; this groups every code's
lines by (code, key) in one query per dimension and then protects each code's breakdown
exactly as ``explore_code`` does (:func:`claimscope.analysis.drilldown.breakdown_of`, against
that code's own total), so each result equals ``claimscope explore CODE`` for the dimensions
asked. The coverage block is the whole selection's (the sources any of the codes came from).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import ibis.expr.types as ir

from claimscope.analysis.coverage import describe_coverage
from claimscope.analysis.drilldown import (
    UNKNOWN,
    DrilldownResult,
    _dimensions,
    _perturbed,
    additive_plan,
    breakdown_of,
    settle_total,
)
from claimscope.analysis.filters import apply_filters
from claimscope.analysis.measures import (
    MeasurePlan,
    cell_counts,
    measure_value,
)
from claimscope.analysis.query import Filters, PrivacyPolicy
from claimscope.privacy import kind_for_measure, perturbation_for
from claimscope.terminology.codesets import parse_code_spec, subsection_of
from claimscope.terminology.names import code_names

REPORT_DIMENSIONS = ("specialty", "payer_type", "place_of_service", "state")


def explore_codes(
    lines: ir.Table,
    codes: list[str],
    filters: Filters,
    *,
    measure: str = "services",
    privacy: PrivacyPolicy | None = None,
    dimensions: tuple[str, ...] = REPORT_DIMENSIONS,
) -> dict[str, DrilldownResult]:
    """The drill-down of each code of ``codes`` over ``dimensions``, keyed by code."""
    privacy = privacy or PrivacyPolicy()
    codes = [c.strip().upper() for c in codes]
    if not codes:
        return {}
    narrowed = Filters(**{**filters.__dict__, "codes": parse_code_spec(",".join(codes))})
    filtered = apply_filters(lines, narrowed)
    coverage = describe_coverage(filtered)
    names = code_names(codes)
    out = {
        code: DrilldownResult(
            {**filters.describe(), "code": code, "measure": measure},
            code,
            names.get(code),
            subsection_of(code),
            measure,
            None,
            [],
            coverage,
        )
        for code in codes
    }
    if coverage.empty:
        return out
    plan = additive_plan(measure, coverage)
    totals = _grouped(filtered.mutate(key=filtered.hcpcs_code), plan)
    perturbation = perturbation_for(privacy, kind_for_measure(measure))
    shown: dict[str, tuple[float, float]] = {}
    for code, result in out.items():
        record = next(iter(totals.get(code, [])), None)
        if record is None:
            result.total = 0.0
            result.notes.append("no claim lines match these filters")
            continue
        settled = settle_total(result, record, privacy, perturbation)
        if settled is not None:
            shown[code] = settled
    for dimension, title, expr, labeler in _dimensions():
        # expr is None for the overlapping modifier rows: only explore_code builds them.
        if dimension not in dimensions or expr is None or not shown:
            continue
        grouped = _grouped(filtered.mutate(key=expr(filtered).fill_null(UNKNOWN)), plan)
        for code, (total, cells) in shown.items():
            records = grouped.get(code, [])
            breakdown = breakdown_of(
                records, plan, dimension, title, labeler, total, cells, privacy
            )
            out[code].breakdowns.append(_perturbed(breakdown, perturbation, out[code].total or 0.0))
    return out


def _grouped(keyed: ir.Table, plan: MeasurePlan) -> dict[str, list[dict[str, Any]]]:
    """Records of (code, key) groups with the measure and cell counts, by code."""
    grouped = keyed.group_by(["hcpcs_code", "key"]).aggregate(
        value=measure_value(keyed, plan), **cell_counts(keyed)
    )
    by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in grouped.to_pyarrow().to_pylist():
        by_code[record.pop("hcpcs_code")].append(record)
    return by_code
