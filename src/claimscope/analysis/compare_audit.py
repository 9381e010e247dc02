"""``compare``'s cohorts and ``top`` over the same filters, protected as one linked system.

Each cohort's ranking is first suppressed on its own (as ``top`` would). Cohorts share lines
(``rehab`` holds ``pt`` and ``ot``; two inline cohorts may differ by one code), so one more
query splits the selected lines into atoms, the lines that fall in exactly the same cohorts
(and in ``top``'s selection) with the same code, and :func:`claimscope.privacy.protect_linked`
audits every published figure together (see docs/privacy.md).
"""

from __future__ import annotations

import dataclasses
from functools import reduce
from typing import TYPE_CHECKING

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import numpy as np

from claimscope.analysis.attribution import any_of, discipline_predicate, with_decided_discipline
from claimscope.analysis.filters import filter_predicates
from claimscope.analysis.measures import measure_value, plan_measure
from claimscope.analysis.query import Filters, TopQuery
from claimscope.analysis.result import TopResult
from claimscope.analysis.top import rank_code_shares
from claimscope.privacy import TOTAL, LinkedTables, Status, hide_rows, kind_for_measure
from claimscope.privacy import protect_linked as protect_figures

if TYPE_CHECKING:
    from claimscope.analysis.compare import CohortRanking

TOP = "\x00top"  # the table name of ``top`` over the comparison's own filters
LINKED_NOTE = (
    "audited with the other cohorts and top over the same filters as one integer programme"
)


def protect_linked(lines: ir.Table, rankings: list[CohortRanking], base: TopQuery) -> None:
    """Hide more of the cohorts' rankings until no hidden small cell can be solved from
    everything the comparison (and ``top`` over its filters) publishes. Updates ``full``.

    Distinct counts (patients, claims) do not add up over atoms and are left to the nested
    cohort check of :func:`claimscope.analysis.compare.withhold_differences`.
    """
    kind = kind_for_measure(base.measure)
    if not kind.additive:
        return
    tables: dict[str, TopResult] = {r.cohort.name: r.full for r in rankings}
    scopes = [r.cohort.filters(base.filters) for r in rankings]
    disciplines = [r.cohort.disciplines for r in rankings]
    if all(_inherits_scope(r) for r in rankings):
        # top over the same filters reads lines the runner opened: include what it publishes.
        tables[TOP] = _top_table(lines, rankings, base)
        scopes.append(base.filters)
        disciplines.append(())
    records = _atoms(lines, scopes, disciplines, rankings, base)
    if not records:
        return
    system = _system(records, list(tables), tables)
    system.fixed = {TOP}
    protect_figures(system, kind, base.privacy.min_cell_size)
    for ranking in rankings:
        name = ranking.cohort.name
        hidden = {c for (t, c), s in system.status.items() if t == name and s != "shown"}
        hide_total = system.status.get((name, TOTAL)) not in (None, "shown")
        if hidden - {r.code for r in ranking.full.rows if r.suppressed} or hide_total:
            ranking.full = hide_rows(ranking.full, hidden - {TOTAL}, hide_total=hide_total)
        ranking.full.suppression["linked"] = LINKED_NOTE


def _top_table(lines: ir.Table, rankings: list[CohortRanking], base: TopQuery) -> TopResult:
    """What ``top`` over the comparison's filters publishes: a cohort that adds nothing to
    them (``rehab`` next to its disciplines) already ranked exactly that."""
    for ranking in rankings:
        cohort = ranking.cohort
        if (
            ranking.alone
            and not cohort.disciplines
            and cohort.filters(base.filters) == base.filters
        ):
            return ranking.alone
    return rank_code_shares(lines, dataclasses.replace(base, limit=None))


def _inherits_scope(ranking: CohortRanking) -> bool:
    c = ranking.cohort
    return c.month_from is None and c.month_to is None and not c.sources


def _atoms(
    lines: ir.Table, scopes: list[Filters], disciplines: list[tuple[str, ...]],
    rankings: list[CohortRanking], base: TopQuery,
) -> list[dict[str, object]]:  # fmt: skip
    """The measure per code and set of tables (a bit mask) a line falls in.

    Lines are first narrowed by the tables' plain filters (codes, months, ...), which the
    engine pushes into the scan, then summed per distinct combination of the columns the
    tables' conditions read: the attribution rules, the costly part, then run once per
    combination (thousands) rather than once per line (millions). The measure is additive,
    so summing the sums is exact.
    """
    kinds = set().union(*(r.full.coverage.record_kinds for r in rankings))
    sources = {s["name"] for r in rankings for s in r.full.coverage.sources}
    plan = plan_measure(base.measure, kinds, sources)
    narrowed = lines.filter(any_of([_all(filter_predicates(lines, f)) for f in scopes]))
    conditions = [_condition(narrowed, f, d) for f, d in zip(scopes, disciplines, strict=True)]
    combos = narrowed.group_by(sorted(_columns(conditions) | {"hcpcs_code"})).aggregate(
        _value=measure_value(narrowed, plan)
    )
    if any(disciplines):
        combos = with_decided_discipline(combos)
    mask = reduce(
        lambda a, b: a + b,
        [
            ibis.ifelse(_condition(combos, f, d).fill_null(False), 1 << i, 0)
            for i, (f, d) in enumerate(zip(scopes, disciplines, strict=True))
        ],
    )
    marked = combos.mutate(_mask=mask).filter(lambda t: t._mask > 0)
    grouped = marked.group_by(["_mask", "hcpcs_code"]).aggregate(value=marked._value.sum())
    return list(grouped.to_pyarrow().to_pylist())


def _condition(lines: ir.Table, scope: Filters, wanted: tuple[str, ...]) -> ir.BooleanValue:
    """Whether a line falls in a table: its filters and, for a discipline cohort, its
    discipline."""
    parts = filter_predicates(lines, scope)
    if wanted:
        parts.append(discipline_predicate(lines, wanted))
    return _all(parts)


def _columns(conditions: list[ir.BooleanValue]) -> set[str]:
    """The columns the conditions read (of the table they are on, not of its sources)."""
    values = ops.Value
    return {f.name for c in conditions for f in c.op().find(ops.Field, filter=values)}


def _all(parts: list[ir.BooleanValue]) -> ir.BooleanValue:
    return reduce(lambda a, b: a & b, parts, ibis.literal(True))


def _system(
    records: list[dict[str, object]], names: list[str], tables: dict[str, TopResult]
) -> LinkedTables:
    values = np.array([float(r["value"] or 0) for r in records])  # type: ignore[arg-type]
    members: dict[tuple[str, str], list[int]] = {}
    for k, record in enumerate(records):
        for bit, name in enumerate(names):
            if int(record["_mask"]) & (1 << bit):  # type: ignore[call-overload]
                members.setdefault((name, str(record["hcpcs_code"])), []).append(k)
                members.setdefault((name, TOTAL), []).append(k)
    status: dict[tuple[str, str], Status] = {}
    for name, result in tables.items():
        # Hidden rows are audited as small: the ranking no longer says which were primary.
        for row in result.rows:
            if (name, row.code) in members:
                status[name, row.code] = "primary" if row.suppressed else "shown"
        if (name, TOTAL) in members:
            status[name, TOTAL] = "primary" if result.total is None else "shown"
    members = {f: m for f, m in members.items() if f in status}
    return LinkedTables(values, members, status)
