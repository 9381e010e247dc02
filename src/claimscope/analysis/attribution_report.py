"""The attribution report: which rule decided how many lines, and where the data disagrees.

Built on the rules of :mod:`claimscope.analysis.attribution`; every count goes through the
cell-size rule, including counts derivable by subtracting a conflict from its discipline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from claimscope.analysis.attribution import (
    DISCIPLINE_COLUMN,
    RULE_COLUMN,
    RULE_NONE,
    AttributionRules,
    any_of,
    attribute_disciplines,
    default_rules,
    disciplines_in_mask,
    evidence_column,
    mask_column,
)
from claimscope.analysis.coverage import describe_coverage
from claimscope.analysis.filters import apply_filters
from claimscope.analysis.measures import cell_count, cell_counts
from claimscope.analysis.query import Filters, PrivacyPolicy
from claimscope.analysis.result import Coverage
from claimscope.privacy import (
    COUNT_CELLS,
    hide_periods,
    is_small,
    perturbation_block,
    perturbation_for,
    suppress_cells,
    suppression_block,
)
from claimscope.schema import MODIFIER_COLUMNS

EXAMPLES: Final = 3
_CODING: Final = ("revenue_code", "rendering_taxonomy", "specialty")
_EXAMPLE_COLUMNS: Final = ("hcpcs_code", *MODIFIER_COLUMNS, *_CODING)


@dataclass
class Count:
    """Lines (aggregated sources: rows) and services behind one figure of the report."""

    key: str
    lines: float
    services: float
    cell_count: float
    shown: bool = True
    cell_key: int | None = field(default=None, repr=False)  # never serialised

    def to_dict(self, name: str) -> dict[str, Any]:
        if not self.shown:
            return {name: self.key, "lines": None, "services": None, "suppressed": True}
        return {name: self.key, "lines": int(self.lines), "services": _number(self.services)}


@dataclass
class DisciplineCount:
    """Lines attributed to one discipline, and which rules decided them."""

    total: Count
    by_rule: list[Count]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.total.to_dict("discipline"),
            "by_rule": [c.to_dict("rule") for c in self.by_rule],
        }


@dataclass
class Conflict:
    """Lines where two rules (or two markers of one rule) name different disciplines.

    ``first_rule`` precedes ``second_rule``. For ``ambiguous_<rule>`` conflicts ``first_says``
    lists every discipline that rule named (``physical_therapy+occupational_therapy``) and
    ``second_rule`` is the rule that decided instead. The lines are a subset of the
    (``attributed``, ``decided_by``) count of the discipline table.
    """

    kind: str
    first_rule: str
    first_says: str
    second_rule: str
    second_says: str
    attributed: str
    decided_by: str
    count: Count
    examples: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k not in ("count", "examples")}
        figures = self.count.to_dict("attributed")
        return {**out, **figures, "examples": self.examples if self.count.shown else []}


@dataclass
class AttributionReport:
    """How the lines matching ``query`` were attributed (``claimscope attribution``)."""

    query: dict[str, Any]
    precedence: tuple[str, ...]
    total: Count
    disciplines: list[DisciplineCount]
    conflicts: list[Conflict]
    coverage: Coverage
    suppression: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    perturbation: dict[str, Any] = field(default_factory=lambda: {"applied": False})

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract."""
        total = self.total.to_dict("scope")
        return {
            "query": self.query,
            "precedence": [*self.precedence, RULE_NONE],
            "total": {k: v for k, v in total.items() if k != "scope"},
            "disciplines": [d.to_dict() for d in self.disciplines],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "data": self.coverage.to_dict(),
            "suppression": self.suppression,
            "perturbation": self.perturbation,
            "notes": self.notes,
        }


def attribution_report(
    lines: ir.Table,
    filters: Filters,
    *,
    privacy: PrivacyPolicy | None = None,
    rules: AttributionRules | None = None,
) -> AttributionReport:
    """Count the lines each rule attributed to each discipline, and the conflicts between rules.

    Figures pass the cell-size rule: disciplines against the total, and each discipline's
    rules against the discipline's total, with complementary suppression
    (:func:`claimscope.analysis.suppression.suppress_cells`); a discipline whose total is
    hidden hides its rules too. Conflicts are judged one by one. Examples describe coding
    (code, modifiers, revenue code, taxonomy, specialty), never a patient or provider, and
    only combinations that pass the cell-size rule on their own are shown.
    """
    privacy = privacy or PrivacyPolicy()
    rules = rules or default_rules()
    filtered = apply_filters(lines, filters)
    coverage = describe_coverage(filtered)
    attributed = attribute_disciplines(filtered, rules, evidence=True)
    total = _counts(attributed, [], "total")[0]
    total.shown = coverage.empty or not _small(total, privacy)
    groups = _discipline_counts(attributed, total, rules, privacy)
    conflicts = _conflicts(attributed, rules, privacy, groups)
    notes = [] if not coverage.empty else ["no claim lines match these filters"]
    if "aggregate" in coverage.record_kinds:
        notes.append("aggregated sources count one line per row (one provider's yearly total)")
    if not total.shown:
        coverage = hide_periods(coverage)
    hidden = sum(not c.shown for g in groups for c in [g.total, *g.by_rule])
    block = suppression_block(
        privacy, primary=hidden, complementary=0, method=_METHOD, total_suppressed=not total.shown
    )
    perturbation = perturbation_for(privacy, COUNT_CELLS)
    if perturbation is not None:
        counts = [total, *(c for g in groups for c in [g.total, *g.by_rule])]
        for count in [*counts, *(c.count for c in conflicts)]:
            count.lines = perturbation.count(count.lines, count.cell_key)
            count.services = perturbation.count(count.services, count.cell_key)
        for conflict in conflicts:
            for example in conflict.examples:
                example["lines"] = int(perturbation.count(example["lines"], example["cell_key"]))
    for conflict in conflicts:
        for example in conflict.examples:
            example.pop("cell_key", None)
    return AttributionReport(
        filters.describe(), rules.precedence, total, groups, conflicts, coverage, block, notes,
        perturbation=perturbation_block(perturbation),
    )  # fmt: skip


def _discipline_counts(
    attributed: ir.Table, total: Count, rules: AttributionRules, privacy: PrivacyPolicy
) -> list[DisciplineCount]:
    per_discipline = _counts(attributed, [DISCIPLINE_COLUMN], DISCIPLINE_COLUMN)
    per_rule = _grouped(attributed, [DISCIPLINE_COLUMN, RULE_COLUMN])
    _suppress(per_discipline, total, privacy)
    groups: list[DisciplineCount] = []
    for count in sorted(per_discipline, key=lambda c: rules.names.index(c.key)):
        rows = [r for r in per_rule if r[DISCIPLINE_COLUMN] == count.key]
        by_rule = sorted((_count(r, RULE_COLUMN) for r in rows), key=lambda c: _order(c.key, rules))
        _suppress(by_rule, count, privacy)
        groups.append(DisciplineCount(count, by_rule))
    return groups


_METHOD: Final = (
    "disciplines against the total and each discipline's rules against its total: primary and "
    "complementary suppression per table; 'primary' counts every hidden figure"
)


def _order(rule: str, rules: AttributionRules) -> int:
    return rules.precedence.index(rule) if rule in rules.precedence else len(rules.precedence)


def _grouped(t: ir.Table, keys: list[str]) -> list[dict[str, Any]]:
    metrics = {"lines": t.count(), "services": t.units.sum(), **cell_counts(t)}
    expr = t.group_by(keys).aggregate(**metrics) if keys else t.aggregate(**metrics)
    return list(expr.to_pyarrow().to_pylist())


def _count(row: dict[str, Any], key: str) -> Count:
    return Count(
        str(row.get(key, key)),
        float(row["lines"] or 0),
        float(row["services"] or 0),
        cell_count(row),
        cell_key=row["cell_key"],
    )


def _counts(t: ir.Table, keys: list[str], key: str) -> list[Count]:
    return [_count(row, key) for row in _grouped(t, keys)]


def _suppress(cells: list[Count], total: Count, privacy: PrivacyPolicy) -> None:
    """Mark which of ``cells`` (which sum to ``total``) may be shown; a hidden total hides all.

    If even hiding every cell would leave one derivable, the total is hidden as well (hiding
    a figure of an already protected table only adds unknowns there).
    """
    # Lines and services are both printed, so each is protected as its own table and a
    # figure is shown only when both allow it (more hidden cells never narrow a range).
    tables = [
        suppress_cells(
            [getattr(c, measure) for c in cells],
            [c.cell_count for c in cells],
            getattr(total, measure),
            total.cell_count,
            privacy,
            keys=[c.key for c in cells],
        )
        for measure in ("lines", "services")
    ]
    if any(t.total_suppressed for t in tables):
        total.shown = False
    for i, cell in enumerate(cells):
        cell.shown = total.shown and all(t.is_shown(i) for t in tables)


def _has_conflict(t: ir.Table, rules: AttributionRules) -> ir.BooleanValue:
    """True where a rule is ambiguous or two rules name different disciplines.

    Written on the masks with bitwise OR (each mask read twice) rather than as the OR of
    every pair of verdicts: the engine evaluates it in a tenth of the time.
    """
    single = [1 << i for i in range(len(rules.disciplines))]
    masks = [t[mask_column(r)] for r in rules.precedence]
    said = [ibis.cases((m.isin(single), m), else_=0) for m in masks]
    union = reduce(lambda a, b: a | b, said)
    return any_of([~m.isin([0, *single]) for m in masks]) | ~union.isin([0, *single])


def _conflict_tags(t: ir.Table, rules: AttributionRules) -> list[ir.StringValue]:
    """One nullable tag per possible conflict: ``kind|rule_a|says_a|rule_b|says_b``."""
    tags: list[ir.StringValue] = []
    clear = [0, *(1 << i for i in range(len(rules.disciplines)))]
    for rule in rules.precedence:
        mask = t[mask_column(rule)]
        text = ibis.literal(f"ambiguous_{rule}|{rule}|").concat(
            mask.cast("string"), "|", t[RULE_COLUMN], "|", t[DISCIPLINE_COLUMN]
        )
        tags.append(ibis.cases((~mask.isin(clear), text), else_=ibis.null("string")))
    for i, first in enumerate(rules.precedence):
        for second in rules.precedence[i + 1 :]:
            a, b = t[evidence_column(first)], t[evidence_column(second)]
            text = ibis.literal(f"{first}_vs_{second}|{first}|").concat(a, f"|{second}|", b)
            clash = a.notnull() & b.notnull() & (a != b)
            tags.append(ibis.cases((clash, text), else_=ibis.null("string")))
    return tags


def _conflicts(
    t: ir.Table, rules: AttributionRules, privacy: PrivacyPolicy, groups: list[DisciplineCount]
) -> list[Conflict]:
    """Every kind of disagreement with its count and the commonest codings behind it."""
    flagged = t.filter(_has_conflict(t, rules))
    tags = _conflict_tags(flagged, rules)
    exploded = flagged.mutate(tag=ibis.array(tags).filter(lambda x: x.notnull())).unnest("tag")
    keys = ["tag", DISCIPLINE_COLUMN, RULE_COLUMN]
    examples: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in sorted(_grouped(exploded, [*keys, *_EXAMPLE_COLUMNS]), key=lambda r: -r["lines"]):
        shown = examples.setdefault(tuple(row[k] for k in keys), [])
        if not _small(_count(row, "tag"), privacy) and len(shown) < EXAMPLES:
            shown.append(_example(row))
    out: list[Conflict] = []
    for row in _grouped(exploded, keys):
        kind, first, first_says, second, second_says = row["tag"].split("|")
        if kind.startswith("ambiguous_"):
            first_says = disciplines_in_mask(int(first_says), rules)
        count = _count(row, DISCIPLINE_COLUMN)
        count.shown = not _small(count, privacy)
        found = examples.get(tuple(row[k] for k in keys), [])
        decided_by = row[RULE_COLUMN]
        out.append(
            Conflict(
                kind, first, first_says, second, second_says, count.key, decided_by, count, found
            )
        )
    cells = {(g.total.key, c.key) for g in groups for c in g.by_rule if c.shown}
    for conflict in out:
        # A conflict is a subset of its (discipline, rule) count: shown next to a hidden one
        # it would bound the hidden count from below.
        if (conflict.attributed, conflict.decided_by) not in cells:
            conflict.count.shown = False
        conflict.examples = _protected_examples(conflict, privacy.min_cell_size)
    _protect_remainders(out, groups, privacy.min_cell_size)
    out.sort(key=lambda c: (not c.count.shown, -c.count.lines, c.kind, c.first_says, c.second_says))
    return out


def _protect_remainders(
    conflicts: list[Conflict], groups: list[DisciplineCount], threshold: int
) -> None:
    """Hide conflicts whose shown counts, taken from their shown discipline-rule count, would
    leave a small remainder (1 to threshold-1 lines or services).

    Conflicts of one kind in one cell are disjoint subsets of it, so ``cell - their sum`` is
    exact; conflicts of different kinds overlap and give no such equation.
    """
    cells = {(g.total.key, c.key): c for g in groups for c in g.by_rule if c.shown}
    changed = True
    while changed:
        changed = False
        by_group: dict[tuple[str, str, str], list[Conflict]] = {}
        for c in conflicts:
            if c.count.shown and (c.attributed, c.decided_by) in cells:
                by_group.setdefault((c.attributed, c.decided_by, c.kind), []).append(c)
        for (discipline, rule, _), members in by_group.items():
            cell = cells[discipline, rule]
            rest_lines = cell.lines - sum(m.count.lines for m in members)
            rest_services = cell.services - sum(m.count.services for m in members)
            if any(0 < r < threshold for r in (rest_lines, rest_services)):
                min(members, key=lambda m: m.count.lines).count.shown = False
                changed = True


def _small(count: Count, privacy: PrivacyPolicy) -> bool:
    threshold = privacy.min_cell_size
    return is_small(count.lines, count.cell_count, threshold, COUNT_CELLS) or (
        0 < count.services < threshold
    )


def _protected_examples(conflict: Conflict, threshold: int) -> list[dict[str, Any]]:
    """The examples whose line counts, taken from the conflict's count, leave a remainder
    ("other codings") of 0 or at least the threshold; the smallest go first."""
    kept = sorted(conflict.examples, key=lambda e: -e["lines"])
    while kept and 0 < conflict.count.lines - sum(e["lines"] for e in kept) < threshold:
        kept.pop()
    return kept


def _example(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["hcpcs_code"],
        "modifiers": [row[c] for c in MODIFIER_COLUMNS if row[c]],
        "revenue_code": row["revenue_code"],
        "taxonomy": row["rendering_taxonomy"],
        "specialty": row["specialty"],
        "lines": int(row["lines"]),
        "cell_key": row["cell_key"],
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 2)
