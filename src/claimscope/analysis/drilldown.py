"""Explore one code: who bills it, for whom, where, how, and when (``claimscope explore``).

Each breakdown splits the code's total by one dimension and is suppressed on its own against
that total. Breakdowns never cross two dimensions, so no shown cell is a margin of another.
The modifier breakdown is the one whose rows overlap (a line counts under every modifier it
carries, see :mod:`claimscope.analysis.modifiers`); its suppression is described there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from claimscope.analysis.coverage import describe_coverage
from claimscope.analysis.filters import apply_filters
from claimscope.analysis.measures import (
    MeasurePlan,
    cell_count,
    cell_counts,
    measure_value,
    plan_measure,
)
from claimscope.analysis.modifiers import modifier_rows
from claimscope.analysis.query import Filters, PrivacyPolicy, QueryError
from claimscope.analysis.result import Coverage, plain_number
from claimscope.privacy import (
    SHARE_DECIMALS,
    Perturbation,
    Status,
    SuppressedTable,
    hide_periods,
    kind_for_measure,
    perturbation_block,
    perturbation_for,
    suppress_cells,
    suppression_block,
)
from claimscope.terminology.codesets import parse_code_spec, subsection_of
from claimscope.terminology.names import code_name

UNKNOWN: Final = "unknown"
MODIFIER_NOTE: Final = (
    "modifiers: a line counts under every modifier it carries, at any of the four positions, "
    "so the rows can add up to more than the total; 'none' counts lines without a modifier"
)


@dataclass
class BreakdownRow:
    key: str
    label: str | None
    value: float | None
    share: float | None
    suppressed: bool = False
    cell_key: int | None = field(default=None, repr=False)  # never serialised

    def to_dict(self) -> dict[str, Any]:
        row = {
            "key": self.key,
            "label": self.label,
            "value": plain_number(self.value),
            "share": self.share,
        }
        if self.suppressed:
            row["suppressed"] = True
        return row


@dataclass
class Breakdown:
    dimension: str
    title: str
    rows: list[BreakdownRow]
    suppression: dict[str, Any]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "dimension": self.dimension,
            "title": self.title,
            "rows": [r.to_dict() for r in self.rows],
            "suppression": self.suppression,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class DrilldownResult:
    query: dict[str, Any]
    code: str
    name: str | None
    subsection: str | None
    measure: str
    total: float | None
    breakdowns: list[Breakdown]
    coverage: Coverage
    notes: list[str] = field(default_factory=list)
    perturbation: dict[str, Any] = field(default_factory=lambda: {"applied": False})

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "code": self.code,
            "name": self.name,
            "subsection": self.subsection,
            "measure": self.measure,
            "total": plain_number(self.total),
            "breakdowns": [b.to_dict() for b in self.breakdowns],
            "data": self.coverage.to_dict(),
            "perturbation": self.perturbation,
            "notes": self.notes,
        }


Labeler = Callable[[str], str | None]


def _dimensions() -> list[tuple[str, str, Callable[[ir.Table], ir.Value] | None, Labeler]]:
    from claimscope.terminology.pos import pos_name
    from claimscope.terminology.specialty import specialty_label

    def plain(value: str) -> str | None:
        return None

    return [
        ("specialty", "By rendering specialty", lambda t: t.specialty, specialty_label),
        ("payer_type", "By payer type", lambda t: t.payer_type, plain),
        ("state", "By state", lambda t: t.state, plain),
        ("place_of_service", "By place of service", lambda t: t.place_of_service, pos_name),
        ("units_per_line", "By units per line", _units_bucket, plain),
        # Overlapping rows: built by _modifier_breakdown, not from one key per line.
        ("modifier", "By modifier (any position; a line may count under several)", None, plain),
        ("line_status", "By line status", lambda t: t.line_status, plain),
        ("year", "By year of service", lambda t: t.service_month.year().cast("string"), plain),
    ]


def _units_bucket(t: ir.Table) -> ir.Value:
    return ibis.cases(
        (t.record_kind == "aggregate", ibis.literal("aggregated rows")),
        (t.units <= 1, ibis.literal("1")),
        (t.units <= 2, ibis.literal("2")),
        (t.units <= 3, ibis.literal("3")),
        else_=ibis.literal("4 or more"),
    )


def explore_code(
    lines: ir.Table,
    code: str,
    filters: Filters,
    *,
    measure: str = "services",
    privacy: PrivacyPolicy | None = None,
) -> DrilldownResult:
    """Breakdowns of one code's measure by specialty, payer, state, place, units, modifier..."""
    privacy = privacy or PrivacyPolicy()
    code = code.strip().upper()
    narrowed = Filters(**{**filters.__dict__, "codes": parse_code_spec(code)})
    filtered = apply_filters(lines, narrowed)
    coverage = describe_coverage(filtered)
    query = {**filters.describe(), "code": code, "measure": measure}
    base = DrilldownResult(
        query, code, code_name(code), subsection_of(code), measure, None, [], coverage
    )
    if coverage.empty:
        base.total = 0.0  # a true zero: nothing to protect, and "suppressed" would mislead
        base.notes.append("no claim lines match these filters")
        return base
    plan = additive_plan(measure, coverage)
    totals = filtered.aggregate(value=measure_value(filtered, plan), **cell_counts(filtered))
    record = totals.to_pyarrow().to_pylist()[0]
    perturbation = perturbation_for(privacy, kind_for_measure(measure))
    shown = settle_total(base, record, privacy, perturbation)
    if shown is None:
        return base
    total, total_cells = shown
    for dimension, title, expr, labeler in _dimensions():
        if expr is None:
            breakdown = _modifier_breakdown(filtered, plan, title, record, total_cells, privacy)
        else:
            breakdown = _breakdown(
                filtered, plan, dimension, title, expr, labeler, total, total_cells, privacy
            )
        base.breakdowns.append(_perturbed(breakdown, perturbation, base.total or 0.0))
    return base


def additive_plan(measure: str, coverage: Coverage) -> MeasurePlan:
    """The measure's plan over the selection's sources; breakdowns need an additive measure."""
    plan = plan_measure(measure, coverage.record_kinds, {s["name"] for s in coverage.sources})
    if not plan.measure.additive:
        raise QueryError(
            "breakdowns need an additive measure (services, lines, allowed, paid)",
            parameter="measure",
        )
    return plan


def settle_total(
    result: DrilldownResult,
    record: dict[str, Any],
    privacy: PrivacyPolicy,
    perturbation: Perturbation | None,
) -> tuple[float, float] | None:
    """Set the code's shown total from its totals record, or note that everything is hidden.

    Returns the unperturbed (total, cells) the breakdowns are protected against, or None when
    the total is below the threshold (the result is then final). Shared with the many-code
    drill-down, so each code there settles exactly as ``explore_code`` does.
    """
    total, total_cells = float(record["value"] or 0), cell_count(record)
    if _total_hidden(total, total_cells, privacy, result.measure):
        result.notes.append(
            "all figures suppressed: the code's total is below the cell-size threshold"
        )
        result.coverage = hide_periods(result.coverage)
        return None
    result.perturbation = perturbation_block(perturbation)
    result.total = total if perturbation is None else perturbation.count(total, record["cell_key"])
    return total, total_cells


def _perturbed(breakdown: Breakdown, perturbation: Perturbation | None, total: float) -> Breakdown:
    """Shown rows with perturbed values, shares of the perturbed total."""
    if perturbation is None:
        return breakdown
    for row in breakdown.rows:
        if row.value is not None:
            row.value = perturbation.count(row.value, row.cell_key)
            row.share = round(row.value / total, SHARE_DECIMALS) if total else None
    return breakdown


def _total_hidden(total: float, total_cells: float, privacy: PrivacyPolicy, measure: str) -> bool:
    table = suppress_cells(
        [total], [total_cells], total, total_cells, privacy, kind=kind_for_measure(measure)
    )
    return table.total_suppressed


def _breakdown(
    filtered: ir.Table,
    plan: MeasurePlan,
    dimension: str,
    title: str,
    expr: Callable[[ir.Table], ir.Value],
    labeler: Labeler,
    total: float,
    total_cells: float,
    privacy: PrivacyPolicy,
) -> Breakdown:
    keyed = filtered.mutate(key=expr(filtered).fill_null(UNKNOWN))
    grouped = keyed.group_by("key").aggregate(
        value=measure_value(keyed, plan), **cell_counts(keyed)
    )
    records = grouped.to_pyarrow().to_pylist()
    return breakdown_of(records, plan, dimension, title, labeler, total, total_cells, privacy)


def breakdown_of(
    records: list[dict[str, Any]],
    plan: MeasurePlan,
    dimension: str,
    title: str,
    labeler: Labeler,
    total: float,
    total_cells: float,
    privacy: PrivacyPolicy,
) -> Breakdown:
    """One breakdown, suppressed against the code's total, from its grouped records (``key``,
    ``value`` and the cell-count columns); shared with the many-code drill-down."""
    records = sorted(records, key=lambda r: (-(r["value"] or 0), r["key"]))
    table = suppress_cells(
        [float(r["value"] or 0) for r in records],
        [cell_count(r) for r in records],
        total,
        total_cells,
        privacy,
        kind=kind_for_measure(plan.measure.name),
        keys=[r["key"] for r in records],
    )
    if table.total_suppressed:
        # The code's total is shown above every breakdown, so a breakdown that cannot be
        # protected against it is withheld whole: listing even its hidden keys would help.
        rows: list[BreakdownRow] = []
    else:
        rows = _rows(records, table, labeler, total)
    block = suppression_block(
        privacy,
        primary=table.primary,
        complementary=table.complementary,
        method="one-dimensional, against the code's total",
        total_suppressed=table.total_suppressed,
        reason=table.reason,
    )
    if table.total_suppressed:
        # Next to the code's total, counts of hidden cells would pin them (a total of 12 with
        # one small and one complementary cell can only be 1 + 11): a withheld breakdown
        # says only that it is withheld.
        del block["primary"], block["complementary"]
        block["withheld"] = True
    return Breakdown(dimension, title, rows, block)


def _modifier_breakdown(
    filtered: ir.Table,
    plan: MeasurePlan,
    title: str,
    total_record: dict[str, Any],
    total_cells: float,
    privacy: PrivacyPolicy,
) -> Breakdown:
    """Modifier rows (overlapping) protected twice: each row with its complement against the
    code's total, and all rows as a partition of their own sum.

    Publishing a row and the total publishes "lines without the modifier": each row is one
    cell of a two-cell split of the total and is hidden when that split needs it. When no
    line carries two modifiers the rows partition the total and the second check is exactly
    the one every breakdown gets; when lines overlap, checking the rows against their (not
    shown) sum assumes an adversary who knows more than this output tells, so it is safe too.
    """
    total = float(total_record["value"] or 0)
    rows = modifier_rows(filtered, plan, total_record)
    kind = kind_for_measure(plan.measure.name)
    hidden = set()
    for index, row in enumerate(rows):
        split = suppress_cells([row.value, row.other_value], [row.cells, row.other_cells],
                               total, total_cells, privacy, kind=kind)  # fmt: skip
        if not split.is_shown(0):
            hidden.add(index)
    table = suppress_cells(
        [r.value for r in rows],
        [r.cells for r in rows],
        sum(r.value for r in rows),
        total_cells,
        privacy,
        kind=kind,
        keys=[r.key for r in rows],
    )
    status: list[Status] = [
        "complementary" if s == "shown" and i in hidden else s for i, s in enumerate(table.status)
    ]
    combined = SuppressedTable(tuple(status), table.total_suppressed, table.reason)
    records = [{"key": r.key, "value": r.value, "cell_key": r.cell_key} for r in rows]
    shown = [] if combined.total_suppressed else _rows(records, combined, _plain, total)
    block = suppression_block(
        privacy,
        primary=combined.primary,
        complementary=combined.complementary,
        method="each modifier against the code's total (with the lines without it), and all "
        "modifiers as a partition of their sum",
        total_suppressed=combined.total_suppressed,
        reason=combined.reason,
    )
    return Breakdown("modifier", title, shown, block, note=MODIFIER_NOTE)


def _plain(value: str) -> str | None:
    return None


def _rows(
    records: list[dict[str, Any]], table: SuppressedTable, labeler: Labeler, total: float
) -> list[BreakdownRow]:
    shown = [
        BreakdownRow(
            r["key"],
            labeler(r["key"]),
            float(r["value"] or 0),
            round(float(r["value"] or 0) / total, SHARE_DECIMALS) if total else None,
            cell_key=r["cell_key"],
        )
        for i, r in enumerate(records)
        if table.is_shown(i)
    ]
    hidden = sorted(
        (
            BreakdownRow(r["key"], labeler(r["key"]), None, None, True)
            for i, r in enumerate(records)
            if not table.is_shown(i)
        ),
        key=lambda row: row.key,
    )
    return shown + hidden
