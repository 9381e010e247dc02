"""The measures a ranking can use, and which sources can provide them.

Claim-line sources can count anything. Aggregated sources (the CMS public use file) carry
service counts and dollar totals, but no lines or claims, and their beneficiary counts are
distinct within a row only: summing them across providers over-counts people who saw more
than one provider, so it is reported as an upper bound, never as a count of patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from claimscope.analysis.query import QueryError


@dataclass(frozen=True)
class Measure:
    """One measure: how to aggregate it and what it means."""

    name: str
    label: str
    unit: str
    additive: bool
    needs_lines: bool


MEASURE_DEFS: Final[dict[str, Measure]] = {
    m.name: m
    for m in (
        Measure("services", "Services (units billed)", "services", True, False),
        Measure("lines", "Claim lines", "lines", True, True),
        Measure("claims", "Claims", "claims", False, True),
        Measure("patients", "Distinct patients", "patients", False, False),
        Measure("allowed", "Allowed amount", "USD", True, False),
        Measure("paid", "Paid amount", "USD", True, False),
    )
}


@dataclass(frozen=True)
class MeasurePlan:
    """How a measure is computed for the record kinds a query touches."""

    measure: Measure
    upper_bound: bool
    single_source: bool


def plan_measure(name: str, record_kinds: set[str], sources: set[str]) -> MeasurePlan:
    """Check ``name`` can be answered from these record kinds; refuse what would mislead."""
    measure = MEASURE_DEFS[name]
    has_aggregates = "aggregate" in record_kinds
    if measure.needs_lines and has_aggregates:
        raise QueryError(
            f"measure {name!r} needs claim lines, but aggregated sources are in the selection "
            f"({', '.join(sorted(sources))}); use `measure` services, allowed or paid, or "
            "restrict `source` to claim-line sources",
            parameter="measure",
        )
    if name == "patients" and has_aggregates and "line" in record_kinds:
        raise QueryError(
            "measure 'patients' cannot mix claim lines with aggregated sources: their "
            "beneficiary counts are not distinct across rows; restrict `source`",
            parameter="measure",
        )
    return MeasurePlan(
        measure=measure,
        upper_bound=name == "patients" and has_aggregates,
        single_source=len(sources) <= 1,
    )


def measure_value(t: ir.Table, plan: MeasurePlan) -> ir.NumericScalar:
    """The Ibis aggregate for the planned measure over table ``t``."""
    name = plan.measure.name
    if name == "services":
        return t.units.sum()
    if name == "lines":
        return t.count()
    if name == "claims":
        # Claim ids are only unique within a source.
        key = t.claim_id if plan.single_source else t.source.concat("\x1f", t.claim_id)
        return key.nunique()
    if name == "patients":
        return t.beneficiaries.sum() if plan.upper_bound else t.patient_key.nunique()
    column = "allowed_amount" if name == "allowed" else "paid_amount"
    return t[column].sum()


def cell_count(record: dict[str, Any]) -> float:
    """The count suppression judges a fetched row by: the two :func:`cell_counts` added up."""
    return float((record["cell_patients"] or 0) + (record["cell_aggregate_services"] or 0))


def cell_counts(t: ir.Table) -> dict[str, ir.Scalar]:
    """What small-cell suppression judges a cell by.

    Distinct patients on claim lines; where a source cannot tell patients apart (aggregated
    rows), its services count instead.
    """
    aggregate_services = ibis.cases((t.record_kind == "aggregate", t.units), else_=0.0).sum()
    # The rows' record keys summed: the cell key of consistent perturbation (privacy.perturb).
    # Null when any row has no key (lines from before keys existed): a sum that silently
    # skipped them would give two cells differing only in such lines the same noise.
    keys = t.record_key
    key_sum = ibis.ifelse(keys.isnull().any(), ibis.null("int64"), keys.sum())
    return {
        "cell_patients": t.patient_key.nunique(),
        "cell_aggregate_services": aggregate_services,
        "cell_key": key_sum,
    }
