"""Discipline attribution: every rule, the precedence between them, and ambiguous lines."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from claimscope.analysis.attribution import (
    RULES,
    attribute_disciplines,
    default_rules,
    discipline_filter,
    disciplines,
    disciplines_in_mask,
)
from claimscope.schema import CLAIM_LINE, COLUMN_NAMES
from tests.canonical import line

PT, OT, SLP, OTHER = (
    "physical_therapy",
    "occupational_therapy",
    "speech_language_pathology",
    "other",
)


def table(records: list[dict[str, Any]]) -> ir.Table:
    columns = {name: [r.get(name) for r in records] for name in COLUMN_NAMES}
    return ibis.memtable(pa.table(columns, schema=CLAIM_LINE))


def bare(code: str = "97110", **extra: Any) -> dict[str, Any]:
    """A line with no discipline evidence unless given: no specialty, taxonomy or modifier."""
    return line(code, **{"specialty": None, **extra})


# (line, expected discipline, expected deciding rule, why)
CASES = [
    (bare(modifier_1="GP"), PT, "modifier", "plan-of-care modifier alone"),
    (bare(modifier_4="GN"), SLP, "modifier", "any modifier position"),
    (bare(modifier_2="GO", rendering_taxonomy="225100000X"), OT, "modifier", "GO by a PT"),
    (bare(modifier_1="GP", revenue_code="0430"), PT, "modifier", "modifier beats revenue code"),
    (
        bare(modifier_1="GP", modifier_2="GO", rendering_taxonomy="225XH1200X"),
        OT,
        "taxonomy",
        "GP+GO is ambiguous: the next rule decides",
    ),
    (
        bare(modifier_1="GP", modifier_2="GO"),
        OTHER,
        "none",
        "GP+GO and nothing else: undecided",
    ),
    (bare(modifier_1="59", modifier_2="GP"), PT, "modifier", "non-therapy modifiers ignored"),
    (bare(revenue_code="0440"), SLP, "revenue_code", "044x speech-language pathology"),
    (bare(revenue_code="0424", specialty=OT), PT, "revenue_code", "revenue code beats specialty"),
    (bare(rendering_taxonomy="224Z00000X"), OT, "taxonomy", "OT assistant"),
    (bare(rendering_taxonomy="225200000X"), PT, "taxonomy", "PT assistant"),
    (bare(rendering_taxonomy="235Z00000X"), SLP, "taxonomy", "speech-language pathologist"),
    (bare(rendering_taxonomy="225400000X"), OTHER, "none", "2254 is a rehab practitioner"),
    (bare(rendering_taxonomy="2251X0800X", specialty=OT), PT, "taxonomy", "taxonomy > specialty"),
    (bare(specialty=OT), OT, "specialty", "specialty slug"),
    (bare("97161"), PT, "code", "PT evaluation code"),
    (bare("97166", specialty=PT), PT, "specialty", "specialty beats an OT evaluation code"),
    (bare(specialty="chiropractic"), OTHER, "none", "non-therapy specialty"),
    (bare(), OTHER, "none", "no evidence at all"),
]


def test_each_rule_decides_in_precedence_order() -> None:
    records = [dict(case[0], source_row=i) for i, case in enumerate(CASES)]
    out = attribute_disciplines(table(records)).order_by("source_row").to_pyarrow().to_pylist()
    got = [(r["discipline"], r["attribution_rule"]) for r in out]
    expected = [(d, rule) for _, d, rule, _ in CASES]
    mismatches = [
        (CASES[i][3], got[i], expected[i]) for i in range(len(CASES)) if got[i] != expected[i]
    ]
    assert mismatches == []


def test_evidence_columns_say_what_each_rule_alone_saw() -> None:
    records = [bare(modifier_1="GP", modifier_2="GO", rendering_taxonomy="225X00000X")]
    row = attribute_disciplines(table(records), evidence=True).to_pyarrow().to_pylist()[0]
    assert row["discipline_by_modifier"] is None
    assert row["mask_modifier"] == 0b011
    assert disciplines_in_mask(row["mask_modifier"]) == "physical_therapy+occupational_therapy"
    assert row["discipline_by_taxonomy"] == OT
    assert row["mask_taxonomy"] == 0b010
    assert row["mask_revenue_code"] == 0
    plain = attribute_disciplines(table(records))
    assert "discipline_by_modifier" not in plain.columns
    assert plain.columns[-2:] == ("discipline", "attribution_rule")


def test_discipline_filter_keeps_attributed_lines() -> None:
    records = [bare(modifier_1="GP"), bare(modifier_1="GO"), bare(specialty=PT), bare()]
    kept = discipline_filter(table(records), (PT,)).count().to_pyarrow().as_py()
    assert kept == 2


def test_the_shipped_policy_is_complete_and_disjoint() -> None:
    rules = default_rules()
    assert rules.precedence == RULES
    assert disciplines() == (PT, OT, SLP, OTHER)
    # No marker may point at two disciplines, or attribution would depend on file order.
    for key in ("modifiers", "revenue_prefixes", "taxonomy_prefixes", "specialties", "codes"):
        seen: dict[str, str] = {}
        for markers in rules.disciplines:
            for value in getattr(markers, key):
                assert value not in seen, f"{key} {value} in {seen.get(value)} and {markers}"
                seen[value] = markers.discipline
                # prefixes must not nest either (2251 vs 22510...)
                for other, owner in seen.items():
                    if owner != markers.discipline and key.endswith("prefixes"):
                        assert not value.startswith(other) and not other.startswith(value)


def test_taxonomy_prefixes_match_the_nucc_code_set(shared_data: Any) -> None:
    """Every NUCC code a prefix takes in is a therapist of that discipline, and vice versa."""
    import csv

    path = shared_data / "nucc" / "nucc_taxonomy_240.csv"
    with path.open(encoding="utf-8-sig") as handle:
        nucc = {r["Code"]: r["Classification"] for r in csv.DictReader(handle)}
    wanted = {
        PT: {"Physical Therapist", "Physical Therapy Assistant", "Clinic/Center"},
        OT: {"Occupational Therapist", "Occupational Therapy Assistant"},
        SLP: {"Speech-Language Pathologist", "Specialist/Technologist"},
    }
    for markers in default_rules().disciplines:
        matched = {c for c in nucc if any(c.startswith(p) for p in markers.taxonomy_prefixes)}
        assert matched, markers.discipline
        assert {nucc[c] for c in matched} <= wanted[markers.discipline]
    # Every therapist / assistant code in NUCC is covered by its discipline.
    names = {"Physical Therapist": PT, "Occupational Therapist": OT}
    names |= {"Physical Therapy Assistant": PT, "Occupational Therapy Assistant": OT}
    names |= {"Speech-Language Pathologist": SLP}
    markers_by = {m.discipline: m for m in default_rules().disciplines}
    for code, classification in nucc.items():
        if classification in names:
            prefixes = markers_by[names[classification]].taxonomy_prefixes
            assert any(code.startswith(p) for p in prefixes), code


@pytest.mark.parametrize("bad", [("modifier", "modifier"), ("modifier", "zodiac")])
def test_precedence_must_list_known_rules_once(bad: tuple[str, ...]) -> None:
    from claimscope.analysis.attribution import AttributionRules

    with pytest.raises(ValueError, match="distinct rules"):
        AttributionRules(precedence=bad, disciplines=default_rules().disciplines)


def test_discipline_filter_agrees_with_attribution_on_every_case() -> None:
    records = [dict(case[0], source_row=i) for i, case in enumerate(CASES)]
    t = table(records)
    attributed = attribute_disciplines(t).to_pyarrow().to_pylist()
    for discipline in disciplines():
        expected = {r["source_row"] for r in attributed if r["discipline"] == discipline}
        selected = discipline_filter(t, (discipline,)).to_pyarrow().column("source_row")
        assert set(selected.to_pylist()) == expected, discipline
    both = discipline_filter(t, (PT, OT)).count().to_pyarrow().as_py()
    assert both == sum(1 for _, d, _, _ in CASES if d in (PT, OT))
