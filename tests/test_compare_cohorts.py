"""Comparing the built-in cohorts on crafted lines, with every figure computed by hand."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from claimscope.analysis.cohorts import builtin_cohorts, resolve_cohort
from claimscope.analysis.compare import compare_cohorts
from claimscope.analysis.query import QueryError, TopQuery, build_filters
from claimscope.insight.sentences import explain_comparison
from claimscope.schema import CLAIM_LINE, COLUMN_NAMES
from tests.canonical import line


def table(records: list[dict[str, Any]]) -> ir.Table:
    columns = {name: [r.get(name) for r in records] for name in COLUMN_NAMES}
    return ibis.memtable(pa.table(columns, schema=CLAIM_LINE))


def group(code: str, patients: int, units: float, first: int, **extra: Any) -> list[dict]:
    return [
        line(code, patient=first + i, units=units, **{"specialty": None, **extra})
        for i in range(patients)
    ]


@pytest.fixture(scope="module")
def lines() -> ir.Table:
    gp, go = {"modifier_1": "GP"}, {"modifier_1": "GO"}
    records = (
        # PT (GP): 97110 120, 97140 60, 97530 40, 97112 15 services -> total 235
        group("97110", 40, 3, 1, **gp)
        + group("97140", 30, 2, 100, **gp)
        + group("97530", 20, 2, 200, **gp)
        + group("97112", 15, 1, 300, **gp)
        # OT (GO): 97110 60, 97530 50, 97535 40, 97140 12 services -> total 162
        + group("97110", 30, 2, 400, **go)
        + group("97530", 25, 2, 500, **go)
        + group("97535", 20, 2, 600, **go)
        + group("97140", 12, 1, 700, **go)
        # no discipline evidence: 97012 12 + 5 (in Texas) services, only in rehab
        + group("97012", 12, 1, 800, specialty="chiropractic")
        + group("97012", 5, 1, 850, specialty="chiropractic", state="TX")
        # SLP (GN): 97530 12 services
        + group("97530", 12, 1, 900, modifier_1="GN")
    )
    return table(records)


def compare(lines: ir.Table, names: list[str], limit: int = 4) -> dict[str, Any]:
    known = builtin_cohorts()
    query = TopQuery(build_filters("pmr"), limit=limit)
    return explain_comparison(lines, [known[n] for n in names], query).to_dict()


@pytest.fixture(scope="module")
def three(lines: ir.Table) -> dict[str, Any]:
    return compare(lines, ["rehab", "pt", "ot"])


@pytest.fixture(scope="module")
def two(lines: ir.Table) -> dict[str, Any]:
    return compare(lines, ["pt", "ot"])


def ranks(result: dict[str, Any], cohort: str) -> list[tuple[int, str, float]]:
    block = next(c for c in result["cohorts"] if c["name"] == cohort)
    return [(r["rank"], r["code"], r["value"]) for r in block["rows"] if r["rank"] is not None]


def test_each_cohort_is_ranked_like_top(three: dict[str, Any]) -> None:
    result = three
    # rehab = everything: 97110 180, 97530 102, 97140 72, 97535 40 (97012 17, 97112 15 cut)
    assert ranks(result, "rehab") == [
        (1, "97110", 180),
        (2, "97530", 102),
        (3, "97140", 72),
        (4, "97535", 40),
    ]
    assert ranks(result, "pt") == [
        (1, "97110", 120),
        (2, "97140", 60),
        (3, "97530", 40),
        (4, "97112", 15),
    ]
    assert ranks(result, "ot") == [
        (1, "97110", 60),
        (2, "97530", 50),
        (3, "97535", 40),
        (4, "97140", 12),
    ]
    pt = next(c for c in result["cohorts"] if c["name"] == "pt")
    assert pt["total"] == 235 and pt["rows"][0]["share"] == round(120 / 235, 4)
    assert pt["definition"] == {
        "name": "pt",
        "label": "PT",
        "discipline": ["physical_therapy"],
        "origin": "built-in",
    }
    assert set(pt) >= {"query", "measure", "total", "rows", "data"}
    assert pt["query"]["limit"] == 4 and pt["query"]["specialty"] == []


def test_two_cohorts_give_one_overlap_block(two: dict[str, Any]) -> None:
    overlap = two["overlap"]
    # PT 110 140 530 112 / OT 110 530 535 140: 3 shared of 5 -> Jaccard 0.6
    assert overlap["jaccard_top_n"] == 0.6
    # RBO: X = 1, 1, 2, 3; (1/9)(0.9 + 0.405 + 0.486 + 0.492075) + 0.75 * 0.6561 = 0.74575
    assert overlap["rank_biased_overlap"] == pytest.approx(0.7458, abs=1e-4)
    assert overlap["rbo_p"] == 0.9
    # shared 110 140 530: PT 1 2 3, OT 1 4 2 -> 2 concordant, 1 discordant: tau_b = 1/3
    assert overlap["kendall_tau_b"] == pytest.approx(0.3333, abs=1e-4)
    assert overlap["shared"] == ["97110", "97140", "97530"]
    assert overlap["only_a"] == ["97112"] and overlap["only_b"] == ["97535"]
    moves = {m["code"]: (m["rank_a"], m["rank_b"], m["change"]) for m in overlap["movements"]}
    assert moves["97140"] == (2, 4, -2)
    assert moves["97530"] == (3, 2, 1)
    assert moves["97535"] == (None, 3, None)


def test_three_cohorts_give_pairwise_entries_and_sentences(three: dict[str, Any]) -> None:
    result = three
    pairs = [(o["a"], o["b"]) for o in result["overlap"]]
    assert pairs == [("rehab", "pt"), ("rehab", "ot"), ("pt", "ot")]
    assert result["sentences"] == [
        "Therapeutic exercise (97110) ranks first in all three lists.",
        "Manual therapy (97140) ranks second for PT, third for rehab and fourth for OT.",
        "Therapeutic activities (97530) ranks second for rehab and OT, and third for PT.",
        "Self-care and home management training (97535) ranks third for OT and fourth for "
        "rehab; it is not ranked for PT.",
        # 97112 is 6th for rehab (15 services, after 97012's 17): outside the top 4 but ranked
        "Neuromuscular re-education (97112) ranks fourth for PT and sixth for rehab; it is not "
        "ranked for OT.",
        # 180/426 (rehab includes 12 SLP and 17 unattributed services), 120/235, 60/162
        "Therapeutic exercise (97110) accounts for 42.3% of services in the rehab list, 51.1% "
        "in the PT list and 37.0% in the OT list.",
        # rehab 110 530 140 535 / PT 110 140 530 112: X = 1, 1, 3, 3
        # RBO = (0.9 + 0.405 + 0.729 + 0.492075) / 9 + 0.492075 = 0.77275
        # tau-b on 110 530 140: one discordant pair of three -> 1/3
        "The rehab and PT top-4 lists share 3 of 5 codes (Jaccard 0.60); rank-biased overlap "
        "0.77; Kendall tau-b 0.33 on the shared codes.",
        # rehab 110 530 140 535 / OT 110 530 535 140: X = 1, 2, 2, 4
        # RBO = (0.9 + 0.81 + 0.486 + 0.6561) / 9 + 0.6561 = 0.9730
        # tau-b: only (140, 535) discordant of 6 pairs -> 4/6
        "The rehab and OT top-4 lists share 4 of 4 codes (Jaccard 1.00); rank-biased overlap "
        "0.97; Kendall tau-b 0.67 on the shared codes.",
        "The PT and OT top-4 lists share 3 of 5 codes (Jaccard 0.60); rank-biased overlap "
        "0.75; Kendall tau-b 0.33 on the shared codes.",
    ]


def test_side_by_side_places_codes_outside_a_top_list(two: dict[str, Any]) -> None:
    rows = two["side_by_side"]
    assert [r["code"] for r in rows] == ["97110", "97140", "97530", "97535", "97112"]
    by_code = {r["code"]: r["cohorts"] for r in rows}
    assert by_code["97140"]["ot"] == {"rank": 4, "share": round(12 / 162, 4), "in_top": True}
    assert by_code["97112"]["ot"] == {"absent": True}
    assert by_code["97112"]["pt"]["in_top"] is True


def test_a_cohort_too_small_to_show_is_all_suppressed(lines: ir.Table) -> None:
    known = builtin_cohorts()
    texas = resolve_cohort("name=texas;state=TX", known)  # 5 lines
    query = TopQuery(build_filters("pmr"), limit=4)
    result = explain_comparison(lines, [known["pt"], texas], query).to_dict()
    tx = result["cohorts"][1]
    assert tx["total"] is None
    assert all(r["rank"] is None and r.get("suppressed") for r in tx["rows"])
    assert result["overlap"]["jaccard_top_n"] == 0.0
    assert result["overlap"]["kendall_tau_b"] is None
    # No sentence gives a figure of the suppressed cohort.
    assert not any("texas" in s and "%" in s for s in result["sentences"])
    assert "97110" in result["sentences"][0] and "not ranked for texas" in result["sentences"][0]


def test_nested_cohorts_may_not_reveal_a_small_difference() -> None:
    gp, go, gn = {"modifier_1": "GP"}, {"modifier_1": "GO"}, {"modifier_1": "GN"}
    records = group("97110", 30, 1, 1, **gp) + group("97110", 25, 1, 100, **go)
    small_slp = table(records + group("97110", 6, 1, 200, **gn))
    known = builtin_cohorts()
    query = TopQuery(build_filters("pmr"), limit=5)
    # rehab 61 - PT 30 - OT 25 = 6 SLP services: the smaller of PT and OT is withheld
    result = compare_cohorts(small_slp, [known["rehab"], known["pt"], known["ot"]], query)
    blocks = result.to_dict()["cohorts"]
    assert [b["total"] for b in blocks] == [61, 30, None]
    assert blocks[2]["rows"] == [
        {"rank": None, "code": "97110", "name": blocks[0]["rows"][0]["name"], "value": None,
         "share": None, "suppressed": True}
    ]  # fmt: skip
    assert "withheld: with the 'rehab' cohort" in blocks[2]["notes"][-1]
    # Two cohorts alone leave 31 (OT + SLP): nothing to withhold.
    pair = compare_cohorts(small_slp, [known["rehab"], known["pt"]], query).to_dict()
    assert [b["total"] for b in pair["cohorts"]] == [61, 30]
    # With 12 SLP services the three-way remainder is 12: all shown.
    enough = table(records + group("97110", 12, 1, 200, **gn))
    shown = compare_cohorts(enough, [known["rehab"], known["pt"], known["ot"]], query).to_dict()
    assert [b["total"] for b in shown["cohorts"]] == [67, 30, 25]


def test_inline_cohorts_and_errors(lines: ir.Table) -> None:
    known = builtin_cohorts()
    gp_only = resolve_cohort("name=gp_110;discipline=physical_therapy;codes=97110,97140", known)
    query = TopQuery(build_filters("pmr"), limit=4)
    result = compare_cohorts(lines, [gp_only, known["ot"]], query)
    assert [r.code for r in result.cohorts[0].ranked] == ["97110", "97140"]
    assert result.cohorts[0].top.total == 180
    with pytest.raises(QueryError, match="at least two cohorts"):
        compare_cohorts(lines, [known["pt"]], query)
    with pytest.raises(QueryError, match="repeat"):
        compare_cohorts(lines, [known["pt"], known["pt"]], query)


def test_lines_scope_opens_what_every_cohort_needs() -> None:
    from datetime import date

    from claimscope.analysis.compare import lines_scope

    known = builtin_cohorts()
    a = resolve_cohort("name=a;source=cms_puf_2012;from=2012;to=2012", known)
    b = resolve_cohort("name=b;source=synthetic;from=2021-03;to=2023-09", known)
    query = TopQuery(build_filters("pmr"), limit=4)
    assert lines_scope([a, b], query) == {
        "sources": ("cms_puf_2012", "synthetic"),
        "month_from": date(2012, 1, 1),
        "month_to": date(2023, 9, 1),
    }
    # one unrestricted cohort opens everything
    assert lines_scope([a, known["pt"]], query) == {
        "sources": (),
        "month_from": None,
        "month_to": None,
    }
