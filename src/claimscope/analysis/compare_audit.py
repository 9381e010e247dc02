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
import ibis.expr.types as ir
import numpy as np

from claimscope.analysis.attribution import discipline_predicate
from claimscope.analysis.filters import filter_predicates
from claimscope.analysis.measures import measure_value, plan_measure
from claimscope.analysis.query import TopQuery
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
    predicates = [_member(lines, r, base) for r in rankings]
    if all(_inherits_scope(r) for r in rankings):
        # top over the same filters reads lines the runner opened: include what it publishes.
        tables[TOP] = rank_code_shares(lines, dataclasses.replace(base, limit=None))
        predicates.append(reduce(lambda a, b: a & b, filter_predicates(lines, base.filters)))
    records = _atoms(lines, predicates, rankings, base)
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


def _inherits_scope(ranking: CohortRanking) -> bool:
    c = ranking.cohort
    return c.month_from is None and c.month_to is None and not c.sources


def _member(lines: ir.Table, ranking: CohortRanking, base: TopQuery) -> ir.BooleanValue:
    cohort = ranking.cohort
    parts = filter_predicates(lines, cohort.filters(base.filters))
    if cohort.disciplines:
        parts.append(discipline_predicate(lines, cohort.disciplines))
    return reduce(lambda a, b: a & b, parts)


def _atoms(
    lines: ir.Table, predicates: list[ir.BooleanValue], rankings: list[CohortRanking],
    base: TopQuery,
) -> list[dict[str, object]]:  # fmt: skip
    mask = reduce(
        lambda a, b: a + b,
        [ibis.ifelse(p.fill_null(False), 1 << i, 0) for i, p in enumerate(predicates)],
    )
    marked = lines.mutate(_mask=mask).filter(lambda t: t._mask > 0)
    kinds = set().union(*(r.full.coverage.record_kinds for r in rankings))
    sources = {s["name"] for r in rankings for s in r.full.coverage.sources}
    plan = plan_measure(base.measure, kinds, sources)
    grouped = marked.group_by(["_mask", "hcpcs_code"]).aggregate(value=measure_value(marked, plan))
    return list(grouped.to_pyarrow().to_pylist())


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
