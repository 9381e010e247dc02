"""Turning :class:`~claimscope.analysis.query.Filters` into an Ibis filter."""

from __future__ import annotations

from functools import reduce
from typing import Final

import ibis
import ibis.expr.types as ir

from claimscope.analysis.query import Filters
from claimscope.terminology.codesets import CodeSpec

VOID_FREQUENCY: Final = "8"


def code_predicate(code: ir.StringColumn, spec: CodeSpec) -> ir.BooleanValue:
    """True where ``code`` is in the code spec: ranges compare five-character codes as text."""
    parts: list[ir.BooleanValue] = [code.between(low, high) for low, high in spec.ranges]
    if spec.codes:
        parts.append(code.isin(sorted(spec.codes)))
    if not parts:
        return ibis.literal(False)
    return reduce(lambda a, b: a | b, parts)


def apply_filters(lines: ir.Table, filters: Filters) -> ir.Table:
    """The claim lines that count for ``filters``.

    Voided claims (frequency code 8) never count. A row counts for a period only when the
    whole of its period lies inside it, so an annual aggregate row is not half-counted in a
    nine-month window.
    """
    return lines.filter(filter_predicates(lines, filters))


def filter_predicates(lines: ir.Table, filters: Filters) -> list[ir.BooleanValue]:
    """The conditions of :func:`apply_filters`, for callers that combine several selections."""
    predicates: list[ir.BooleanValue] = [
        code_predicate(lines.hcpcs_code, filters.codes),
        lines.claim_frequency.isnull() | (lines.claim_frequency != VOID_FREQUENCY),
    ]
    if filters.month_from is not None:
        predicates.append(lines.service_month >= filters.month_from)
    if filters.month_to is not None:
        predicates.append(lines.period_end_month <= filters.month_to)
    dimensions = {
        "specialty": filters.specialties,
        "payer_type": filters.payer_types,
        "state": filters.states,
        "place_of_service": filters.places_of_service,
        "source": filters.sources,
    }
    for column, values in dimensions.items():
        if values:
            predicates.append(lines[column].isin(list(values)))
    if filters.line_status != "all":
        predicates.append(lines.line_status == filters.line_status)
    return predicates
