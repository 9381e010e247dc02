"""The attribution report: counts per rule and discipline, conflicts, examples, suppression."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from claimscope.analysis.attribution_report import attribution_report
from claimscope.analysis.query import build_filters
from claimscope.schema import CLAIM_LINE, COLUMN_NAMES
from tests.canonical import line

PT, OT, SLP = "physical_therapy", "occupational_therapy", "speech_language_pathology"


def table(records: list[dict[str, Any]]) -> ir.Table:
    columns = {name: [r.get(name) for r in records] for name in COLUMN_NAMES}
    return ibis.memtable(pa.table(columns, schema=CLAIM_LINE))


class Patients:
    """Hands out fresh patient keys so every group is its own set of people."""

    def __init__(self) -> None:
        self.next = 1

    def lines(self, n: int, code: str = "97110", units: float = 1, **extra: Any) -> list[dict]:
        out = [
            line(code, patient=self.next + i, units=units, **{"specialty": None, **extra})
            for i in range(n)
        ]
        self.next += n
        return out


def crafted() -> list[dict[str, Any]]:
    p = Patients()
    return (
        p.lines(40, modifier_1="GP", rendering_taxonomy="225100000X", specialty=PT, units=2)
        # 20 GO lines billed by physical therapists: modifier decides OT; two conflicts each
        + p.lines(20, modifier_1="GO", rendering_taxonomy="225100000X", specialty=PT)
        # 15 GP lines billed by an OT (taxonomy only)
        + p.lines(15, "97530", modifier_1="GP", rendering_taxonomy="225X00000X")
        # 12 lines with GP and GO at once, an OT taxonomy decides
        + p.lines(12, "97140", modifier_1="GP", modifier_2="GO", rendering_taxonomy="225X00000X")
        # 25 institutional lines: PT revenue centre, no modifier
        + p.lines(25, revenue_code="0420", claim_type="institutional")
        # 14 institutional GO lines posted to the PT revenue centre
        + p.lines(14, "97535", revenue_code="0421", modifier_1="GO")
        # 30 OT lines by specialty only
        + p.lines(30, "97535", specialty=OT)
        # 5 SLP lines by taxonomy: a small cell, suppressed with a complement
        + p.lines(5, "97530", rendering_taxonomy="235Z00000X")
        # 3 GN lines by a physical therapist: a small conflict
        + p.lines(3, "97112", modifier_1="GN", specialty=PT)
        # 22 physician lines with no evidence
        + p.lines(22, specialty="orthopedic_surgery")
        # outside the code set: ignored by the filters
        + p.lines(50, "99213", modifier_1="GP")
    )


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return attribution_report(table(crafted()), build_filters("pmr")).to_dict()


def by_discipline(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["discipline"]: d for d in result["disciplines"]}


def test_counts_per_discipline_and_rule(result: dict[str, Any]) -> None:
    assert result["precedence"] == [
        "modifier",
        "revenue_code",
        "taxonomy",
        "specialty",
        "code",
        "none",
    ]
    # 186 lines in pmr; services: 40 lines of 2 units + 146 lines of 1
    assert result["total"] == {"lines": 186, "services": 226}
    groups = by_discipline(result)
    assert list(groups) == [PT, OT, SLP, "other"]
    # PT: 40 (modifier) + 15 (GP by an OT, modifier) + 25 (revenue code) = 80 lines, 120 services
    assert groups[PT]["lines"] == 80 and groups[PT]["services"] == 120
    assert [(r["rule"], r["lines"]) for r in groups[PT]["by_rule"]] == [
        ("modifier", 55),
        ("revenue_code", 25),
    ]
    # OT: 20 GO + 14 GO in a PT revenue centre (modifier), 12 GP+GO (taxonomy), 30 specialty
    assert groups[OT]["lines"] == 76
    assert [(r["rule"], r["lines"]) for r in groups[OT]["by_rule"]] == [
        ("modifier", 34),
        ("taxonomy", 12),
        ("specialty", 30),
    ]
    assert [r["rule"] for r in groups["other"]["by_rule"]] == ["none"]


def test_small_cells_are_suppressed_with_a_complement(result: dict[str, Any]) -> None:
    groups = by_discipline(result)
    # SLP: 5 taxonomy lines + 3 GN lines (modifier) = 8 lines: below 11, hidden
    assert groups[SLP]["lines"] is None and groups[SLP]["suppressed"] is True
    assert all(r["lines"] is None for r in groups[SLP]["by_rule"])
    # With SLP hidden, the total minus the others would give it away: the smallest other
    # discipline total (other, 22 lines) is hidden too.
    assert groups["other"]["lines"] is None
    assert groups["other"]["by_rule"][0]["suppressed"] is True
    assert groups[PT]["lines"] == 80


def test_conflicts_are_counted_with_examples(result: dict[str, Any]) -> None:
    conflicts = {(c["kind"], c["first_says"], c["second_says"]): c for c in result["conflicts"]}
    go_by_pt = conflicts[("modifier_vs_taxonomy", OT, PT)]
    assert go_by_pt["lines"] == 20 and go_by_pt["attributed"] == OT
    assert go_by_pt["examples"] == [
        {
            "code": "97110",
            "modifiers": ["GO"],
            "revenue_code": None,
            "taxonomy": "225100000X",
            "specialty": PT,
            "lines": 20,
        }
    ]
    assert conflicts[("modifier_vs_specialty", OT, PT)]["lines"] == 20
    assert conflicts[("modifier_vs_taxonomy", PT, OT)]["lines"] == 15
    assert conflicts[("modifier_vs_revenue_code", OT, PT)]["lines"] == 14
    ambiguous = conflicts[("ambiguous_modifier", f"{PT}+{OT}", OT)]
    assert ambiguous["second_rule"] == "taxonomy" and ambiguous["lines"] == 12
    assert ambiguous["examples"][0]["modifiers"] == ["GP", "GO"]
    # 3 GN lines by a PT: a count of 3 is never shown, nor are its examples
    small = conflicts[("modifier_vs_specialty", SLP, PT)]
    assert small == {**small, "lines": None, "suppressed": True, "examples": []}
    # largest first, suppressed last
    assert result["conflicts"][0]["lines"] == 20
    assert result["conflicts"][-1].get("suppressed") is True


def test_no_patient_or_provider_identity_in_the_output(result: dict[str, Any]) -> None:
    text = repr(result)
    assert "1234567893" not in text  # the rendering NPI of every line
    assert "patient" not in text


def test_filters_apply_and_empty_selections_report_nothing() -> None:
    records = crafted()
    assert attribution_report(table(records), build_filters("97535")).total.lines == 44
    empty = attribution_report(table(records), build_filters("97799")).to_dict()
    assert empty["disciplines"] == [] and empty["conflicts"] == []
    assert empty["notes"] == ["no claim lines match these filters"]


def test_a_conflict_that_would_leave_a_small_remainder_is_hidden() -> None:
    p = Patients()
    records = (
        # PT by modifier: 25 lines, of which 18 are GP lines billed by OTs. Showing 25 and 18
        # would tell that 7 GP lines were billed by someone else: the conflict is hidden.
        p.lines(7, modifier_1="GP")
        + p.lines(18, "97530", modifier_1="GP", rendering_taxonomy="225X00000X")
        + p.lines(40, specialty=OT)
    )
    result = attribution_report(table(records), build_filters("pmr")).to_dict()
    pt = next(d for d in result["disciplines"] if d["discipline"] == PT)
    assert pt["by_rule"] == [{"rule": "modifier", "lines": 25, "services": 25}]
    conflict = next(c for c in result["conflicts"] if c["kind"] == "modifier_vs_taxonomy")
    assert conflict["decided_by"] == "modifier"
    assert conflict["lines"] is None and conflict["suppressed"] is True
    assert conflict["examples"] == []


def test_conflicts_say_which_rule_decided(result: dict[str, Any]) -> None:
    decided = {(c["kind"], c["first_says"]): c["decided_by"] for c in result["conflicts"]}
    assert decided["modifier_vs_taxonomy", OT] == "modifier"
    assert decided["ambiguous_modifier", f"{PT}+{OT}"] == "taxonomy"
