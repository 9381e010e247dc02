"""Ranked code lists of several cohorts side by side (``claimscope compare``).

Each cohort is ranked exactly as ``claimscope top`` ranks (same measure, filters and
small-cell suppression; :func:`~claimscope.analysis.top.rank_code_shares`), over the lines
the cohort selects. The full ranking is kept so that a code outside one cohort's top N can
still be placed ("9th for PT"); the JSON shows the top N per cohort. Suppressed rows (no rank)
take part in no statistic. Sentences are added by :mod:`claimscope.insight.sentences`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Final

import ibis.expr.types as ir

from claimscope.analysis.bootstrap import Uncertainty, bootstrap_ranking
from claimscope.analysis.cohorts import Cohort
from claimscope.analysis.compare_audit import protect_linked
from claimscope.analysis.overlap import RBO_P, jaccard, kendall_tau_b, rank_biased_overlap
from claimscope.analysis.query import QueryError, TopQuery
from claimscope.analysis.result import CodeRow, TopResult
from claimscope.analysis.top import rank_code_shares
from claimscope.privacy import hide_periods, kind_for_measure


@dataclass
class CohortRanking:
    """One cohort's ranking: ``full`` has every shown code, ``top`` the first ``limit``."""

    cohort: Cohort
    full: TopResult
    top: TopResult
    uncertainty: Uncertainty | None = None
    # The ranking as ``top`` over the cohort's filters publishes it, before the comparison
    # hides more (``full`` and ``top`` are replaced when it does).
    alone: TopResult | None = None

    @property
    def ranked(self) -> list[CodeRow]:
        """Top-N rows that have a rank (suppressed rows excluded), in rank order."""
        return [r for r in self.top.rows if r.rank is not None]

    def row(self, code: str) -> CodeRow | None:
        """The code's row in the full ranking (None when absent or suppressed)."""
        return next((r for r in self.full.rows if r.code == code and r.rank is not None), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.cohort.name, "label": self.cohort.label}
        out["definition"] = self.cohort.describe()
        out |= self.top.to_dict()
        if self.uncertainty is not None:
            for row in out["rows"]:
                extra = self.uncertainty.per_code.get(row["code"])
                if extra is not None and row.get("rank") is not None:
                    row |= extra.to_dict()
            out["uncertainty"] = self.uncertainty.describe()
            out["notes"] = [*out.get("notes", []), *self.uncertainty.notes]
        return out


@dataclass
class Movement:
    """Where one code stands in two cohorts (ranks in the full rankings; None = absent)."""

    code: str
    rank_a: int | None
    rank_b: int | None

    @property
    def change(self) -> int | None:
        """Places gained from a to b (positive: higher up in b)."""
        if self.rank_a is None or self.rank_b is None:
            return None
        return self.rank_a - self.rank_b

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rank_a": self.rank_a,
            "rank_b": self.rank_b,
            "change": self.change,
        }


@dataclass
class PairOverlap:
    """How alike two cohorts' top-N lists are."""

    a: str
    b: str
    jaccard_top_n: float | None
    rank_biased_overlap: float | None
    kendall_tau_b: float | None
    shared: list[str]
    only_a: list[str]
    only_b: list[str]
    movements: list[Movement]

    def to_dict(self, *, named: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"a": self.a, "b": self.b} if named else {}
        out |= {
            "jaccard_top_n": _round(self.jaccard_top_n),
            "rank_biased_overlap": _round(self.rank_biased_overlap),
            "rbo_p": RBO_P,
            "kendall_tau_b": _round(self.kendall_tau_b),
            "shared": self.shared,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "movements": [m.to_dict() for m in self.movements],
        }
        return out


@dataclass
class CompareResult:
    """Several cohorts' rankings, their overlaps and (once described) plain sentences."""

    query: dict[str, Any]
    measure: str
    limit: int | None
    cohorts: list[CohortRanking]
    overlaps: list[PairOverlap]
    sentences: list[str] = field(default_factory=list)

    def cohort(self, name: str) -> CohortRanking:
        """The ranking of the cohort called ``name``."""
        return next(c for c in self.cohorts if c.cohort.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: cohorts (each a ``top`` result), overlap, sentences."""
        overlap: dict[str, Any] | list[dict[str, Any]]
        if len(self.overlaps) == 1:
            overlap = self.overlaps[0].to_dict(named=False)
        else:
            overlap = [o.to_dict(named=True) for o in self.overlaps]
        return {
            "query": self.query,
            "measure": self.measure,
            "perturbation": self.cohorts[0].full.perturbation if self.cohorts else {},
            "cohorts": [c.to_dict() for c in self.cohorts],
            "side_by_side": side_by_side(self),
            "overlap": overlap,
            "sentences": self.sentences,
        }


def compare_cohorts(
    lines: ir.Table,
    cohorts: list[Cohort],
    base: TopQuery,
    *,
    ci: bool = False,
    seed: int = 42,
    replicates: int = 200,
) -> CompareResult:
    """Rank ``base``'s code set for every cohort and compare the rankings pairwise.

    Each cohort's filters are ``base.filters`` with the cohort's own fields put in; its
    lines are ``lines`` narrowed to the cohort's disciplines. With ``ci`` every shown share
    gets a cluster-bootstrap interval (:mod:`claimscope.analysis.bootstrap`, ``replicates``
    draws seeded with ``seed``, the same seed for every cohort). Cohorts nested in another
    are checked for differences that would reveal a small count
    (:func:`withhold_differences`).
    """
    if len(cohorts) < 2:
        raise QueryError("compare needs at least two cohorts")
    names = [c.name for c in cohorts]
    if len(set(names)) != len(names):
        raise QueryError(f"cohort names repeat: {', '.join(names)}")
    rankings = [_rank(lines, c, base, ci=ci, seed=seed, replicates=replicates) for c in cohorts]
    withhold_differences(rankings, base)
    protect_linked(lines, rankings, base)
    for ranking in rankings:
        ranking.top = _cut(ranking.full, base.limit)
    overlaps = [pair_overlap(a, b) for a, b in combinations(rankings, 2)]
    return CompareResult(base.describe(), base.measure, base.limit, rankings, overlaps)


def lines_scope(cohorts: list[Cohort], base: TopQuery) -> dict[str, Any]:
    """What a runner must open so every cohort finds its lines: keyword arguments for
    :meth:`claimscope.store.connection.Connection.lines` (sources and months, widened to the
    union of the cohorts' own; empty or None where any cohort is unrestricted)."""
    merged = [c.filters(base.filters) for c in cohorts]
    sources: tuple[str, ...] = ()
    if merged and all(f.sources for f in merged):
        sources = tuple(sorted({s for f in merged for s in f.sources}))
    starts = [f.month_from for f in merged]
    ends = [f.month_to for f in merged]
    return {
        "sources": sources,
        "month_from": None if None in starts or not starts else min(d for d in starts if d),
        "month_to": None if None in ends or not ends else max(d for d in ends if d),
    }


def _rank(
    lines: ir.Table, cohort: Cohort, base: TopQuery, *, ci: bool, seed: int, replicates: int
) -> CohortRanking:
    filters = cohort.filters(base.filters)
    selected = cohort.select(lines)
    full = rank_code_shares(selected, dataclasses.replace(base, filters=filters, limit=None))
    top = _cut(full, base.limit)
    uncertainty = None
    if ci:
        uncertainty = bootstrap_ranking(selected, filters, full, replicates=replicates, seed=seed)
    return CohortRanking(cohort, full, top, uncertainty, alone=full)


def _cut(full: TopResult, limit: int | None) -> TopResult:
    """The first ``limit`` shown rows, suppressed rows kept as ``top`` lists them.

    Suppression was decided on the whole table (limit ``None``), exactly as ``top`` decides
    it before cutting, so the cut result equals ``top --limit N``.
    """
    shown = [r for r in full.rows if r.rank is not None]
    hidden = [r for r in full.rows if r.rank is None]
    query = {**full.query, "limit": limit}
    if limit is None or len(shown) <= limit:
        return dataclasses.replace(full, query=query)
    notes = list(full.notes)
    tied = sum(1 for r in shown[limit:] if r.value == shown[limit - 1].value)
    if tied:
        notes.append(
            f"{tied} more code(s) tie with the last row shown and are left out by the limit "
            "(ties broken by code)"
        )
    return dataclasses.replace(full, query=query, rows=shown[:limit] + hidden, notes=notes)


def withhold_differences(rankings: list[CohortRanking], base: TopQuery) -> None:
    """Withhold cohorts whose figures, taken from a cohort that contains them, would reveal a
    count from 1 to ``min_cell_size - 1``.

    ``rehab`` contains ``pt`` and ``ot``: ``rehab - pt - ot`` is the SLP and unattributed
    lines, which may be few even when every shown figure is large. For every cohort A and
    every set of cohorts nested in A and disjoint from each other (one at a time for distinct
    counts, whose differences only add up for a single subset), each code's remainder
    ``A - sum(B)`` over shown values (and the totals' remainder, when the code sets are the
    same) must be 0 or at least the threshold. Otherwise the smallest cohort of the set is
    withheld whole (all its rows suppressed, a note says why), and the check runs again.
    Dollar measures are not counts and are not checked.
    """
    kind = kind_for_measure(base.measure)
    if not kind.count:
        return
    threshold = base.privacy.min_cell_size
    while True:
        exposed = _first_exposure(rankings, base, threshold, additive=kind.additive)
        if exposed is None:
            return
        smallest = min(exposed[1], key=lambda r: r.full.total or 0)
        _withhold(smallest, exposed[0])


def _first_exposure(
    rankings: list[CohortRanking], base: TopQuery, threshold: int, *, additive: bool
) -> tuple[CohortRanking, list[CohortRanking]] | None:
    shown = [r for r in rankings if r.full.total is not None]
    for outer in shown:
        inner = [r for r in shown if r is not outer and _contains(outer, r, base)]
        sizes = range(1, (len(inner) if additive else 1) + 1)
        for size in sizes:
            for group in combinations(inner, size):
                if all(not _overlap(a, b, base) for a, b in combinations(group, 2)) and _small_rest(
                    outer, list(group), threshold, base
                ):
                    return outer, list(group)
    return None


def _small_rest(
    outer: CohortRanking, group: list[CohortRanking], threshold: int, base: TopQuery
) -> bool:
    values = [{r.code: r.value for r in x.full.rows} for x in (outer, *group)]
    rests = []
    for code, value in values[0].items():
        parts = [v.get(code, 0.0) for v in values[1:]]  # absent from a cohort: none billed
        if value is not None and all(p is not None for p in parts):
            rests.append(value - sum(p or 0.0 for p in parts))
    filters = [x.cohort.filters(base.filters) for x in (outer, *group)]
    if all(f.codes == filters[0].codes for f in filters):
        totals = [x.full.total for x in group]
        if outer.full.total is not None and all(t is not None for t in totals):
            rests.append(outer.full.total - sum(t or 0.0 for t in totals))
    return any(1e-9 < rest < threshold for rest in rests)


_DIMENSIONS: Final = ("specialties", "payer_types", "states", "places_of_service", "sources")


def _selection(ranking: CohortRanking, base: TopQuery) -> dict[str, Any]:
    f = ranking.cohort.filters(base.filters)
    out: dict[str, Any] = {d: set(getattr(f, d)) for d in _DIMENSIONS}
    out["disciplines"] = set(ranking.cohort.disciplines)
    return out | {"from": f.month_from, "to": f.month_to, "status": f.line_status}


def _contains(outer: CohortRanking, inner: CohortRanking, base: TopQuery) -> bool:
    """True when every line ``inner`` selects is also selected by ``outer``."""
    a, b = _selection(outer, base), _selection(inner, base)
    for key in (*_DIMENSIONS, "disciplines"):
        if a[key] and not (b[key] and b[key] <= a[key]):
            return False
    if a["from"] is not None and (b["from"] is None or b["from"] < a["from"]):
        return False
    if a["to"] is not None and (b["to"] is None or b["to"] > a["to"]):
        return False
    return a["status"] in ("all", b["status"])


def _overlap(x: CohortRanking, y: CohortRanking, base: TopQuery) -> bool:
    """False when no line can be in both cohorts (a dimension both restrict to disjoint values,
    periods that do not meet, or different line statuses)."""
    a, b = _selection(x, base), _selection(y, base)
    if any(a[k] and b[k] and not a[k] & b[k] for k in (*_DIMENSIONS, "disciplines")):
        return False
    if a["to"] is not None and b["from"] is not None and a["to"] < b["from"]:
        return False
    if b["to"] is not None and a["from"] is not None and b["to"] < a["from"]:
        return False
    return "all" in (a["status"], b["status"]) or a["status"] == b["status"]


def _withhold(ranking: CohortRanking, outer: CohortRanking) -> None:
    hidden = [
        CodeRow(code=r.code, name=r.name, value=None, share=None, rank=None, suppressed=True)
        for r in sorted(ranking.full.rows, key=lambda r: r.code)
    ]
    note = (
        f"withheld: with the {outer.cohort.name!r} cohort it would reveal a count below "
        "the cell-size threshold"
    )
    ranking.full = dataclasses.replace(
        ranking.full,
        total=None,
        rows=hidden,
        notes=[*ranking.full.notes, note],
        coverage=hide_periods(ranking.full.coverage),
    )
    ranking.top = dataclasses.replace(
        ranking.top, total=None, rows=hidden, notes=[*ranking.top.notes, note]
    )
    ranking.uncertainty = None


def pair_overlap(a: CohortRanking, b: CohortRanking) -> PairOverlap:
    """Overlap statistics of two cohorts' top-N lists (suppressed rows left out)."""
    codes_a = [r.code for r in a.ranked]
    codes_b = [r.code for r in b.ranked]
    shared = [c for c in codes_a if c in set(codes_b)]
    union = codes_a + [c for c in codes_b if c not in set(codes_a)]
    movements = [Movement(c, _rank_of(a, c), _rank_of(b, c)) for c in union]
    return PairOverlap(
        a=a.cohort.name,
        b=b.cohort.name,
        jaccard_top_n=jaccard(codes_a, codes_b),
        rank_biased_overlap=rank_biased_overlap(codes_a, codes_b),
        kendall_tau_b=kendall_tau_b(
            {r.code: r.rank or 0 for r in a.ranked}, {r.code: r.rank or 0 for r in b.ranked}
        ),
        shared=shared,
        only_a=[c for c in codes_a if c not in set(codes_b)],
        only_b=[c for c in codes_b if c not in set(codes_a)],
        movements=movements,
    )


def _rank_of(ranking: CohortRanking, code: str) -> int | None:
    row = ranking.row(code)
    return row.rank if row else None


def side_by_side(result: CompareResult) -> list[dict[str, Any]]:
    """One entry per code in any top-N list: its rank and share in every cohort.

    ``in_top`` says whether the code made that cohort's top N; a code the cohort ranks but
    outside its top N keeps its rank and share; ``suppressed`` marks a code whose figures the
    cell-size rule hides (as ``top`` lists it) and ``absent`` a code the cohort has no line of.
    """
    order: dict[str, tuple[int, str]] = {}
    for ranking in result.cohorts:
        for shown in ranking.ranked:
            best = order.get(shown.code, (shown.rank or 0, shown.code))
            order[shown.code] = min(best, (shown.rank or 0, shown.code))
    out = []
    for code in sorted(order, key=lambda c: order[c]):
        entry: dict[str, Any] = {"code": code, "name": None, "cohorts": {}}
        for ranking in result.cohorts:
            row = ranking.row(code)
            in_top = any(r.code == code for r in ranking.ranked)
            if row is None:
                hidden = any(r.code == code for r in ranking.full.rows)
                entry["cohorts"][ranking.cohort.name] = {"suppressed" if hidden else "absent": True}
                continue
            entry["name"] = entry["name"] or row.name
            cell: dict[str, Any] = {"rank": row.rank, "share": row.share, "in_top": in_top}
            if ranking.uncertainty is not None and code in ranking.uncertainty.per_code:
                cell["ci"] = ranking.uncertainty.per_code[code].to_dict()["ci"]
            entry["cohorts"][ranking.cohort.name] = cell
        out.append(entry)
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
