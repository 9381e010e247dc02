"""One-dimensional suppression (rankings, breakdowns): crafted small cells, then the adversary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimscope.analysis.query import PrivacyPolicy, QueryError
from claimscope.analysis.result import CodeRow, Coverage, TopResult
from claimscope.privacy import (
    COUNT_CELLS,
    DOLLAR_CELLS,
    PATIENT_CELLS,
    suppress_cells,
    suppress_ranking,
)
from tests.privacy_adversary import Knowledge, attack_ranking, attack_table

POLICY = PrivacyPolicy()


def ranking(
    cells: list[tuple[str, float, float]], total_cells: float, *, measure: str = "services"
) -> TopResult:
    """A TopResult as top.py builds it: rows ranked by value with their cell counts."""
    ordered = sorted(cells, key=lambda c: (-c[1], c[0]))
    total = sum(c[1] for c in cells)
    rows = [
        CodeRow(code, None, value, value / total, rank, cell_count=count)
        for rank, (code, value, count) in enumerate(ordered, start=1)
    ]
    return TopResult(
        query={},
        measure=measure,
        measure_label=measure,
        total=total,
        rows=rows,
        coverage=Coverage([], [], {"line"}),
        total_cell_count=total_cells,
        codes_in_total=len(rows),
    )


def small_codes(cells: list[tuple[str, float, float]], threshold: int = 11) -> set[str]:
    return {c for c, value, count in cells if count < threshold or 0 < value < threshold}


def test_a_lone_small_cell_gets_a_complementary_partner_and_the_remainder_reveals_neither() -> None:
    cells = [("97110", 300, 60), ("97140", 120, 30), ("97530", 80, 20), ("97112", 7, 3)]
    result = suppress_ranking(ranking(cells, 100), POLICY, limit=None).to_dict()
    shown = [(r["rank"], r["code"], r["value"]) for r in result["rows"] if r["value"] is not None]
    assert shown == [(1, "97110", 300), (2, "97140", 120)]
    hidden = [r for r in result["rows"] if r.get("suppressed")]
    assert [r["code"] for r in hidden] == ["97112", "97530"]  # code order, not value order
    assert all(r["rank"] is None and r["share"] is None for r in hidden)
    assert result["total"] == 507
    assert result["suppression"]["primary"] == 1
    assert result["suppression"]["complementary"] == 1
    finding = attack_ranking(result, Knowledge(primary=small_codes(cells)))
    finding.assert_protected()
    assert finding.intervals["97112"] == (1, 76)  # 87 hidden: 7 + 80, the partner >= 11


@pytest.mark.parametrize(
    ("count", "suppressed"), [(1, True), (2, True), (7, True), (10, True), (11, False)]
)
def test_threshold_edges_for_the_patient_count(count: int, suppressed: bool) -> None:
    cells = [("97110", 500, 90), ("97140", 200, 40), ("97530", 150, 30), ("97112", 60, count)]
    result = suppress_ranking(ranking(cells, 160), POLICY, limit=None).to_dict()
    row = next(r for r in result["rows"] if r["code"] == "97112")
    assert row.get("suppressed", False) is suppressed
    attack_ranking(result, Knowledge(primary=small_codes(cells))).assert_protected()


def test_fifty_services_from_three_patients_is_a_small_cell() -> None:
    cells = [("97110", 500, 90), ("97140", 200, 40), ("97530", 150, 30), ("97112", 50, 3)]
    result = suppress_ranking(ranking(cells, 160), POLICY, limit=None).to_dict()
    assert next(r for r in result["rows"] if r["code"] == "97112")["value"] is None


def test_a_count_value_below_threshold_is_suppressed_even_with_many_patients() -> None:
    # Fractional units: 20 patients, 6 services. A shown "6" would be a count below 11.
    cells = [("97110", 500, 90), ("97140", 200, 40), ("97530", 150, 30), ("97112", 6, 20)]
    table = suppress_cells([c[1] for c in cells], [c[2] for c in cells], 856, 160, POLICY)
    assert table.status[3] == "primary"


def test_two_small_cells_alone_would_reveal_their_sum_so_a_large_one_joins_them() -> None:
    cells = [
        ("97110", 300, 60),
        ("97140", 120, 30),
        ("97530", 80, 20),
        ("97112", 4, 2),
        ("97116", 3, 1),
    ]
    table = suppress_cells([c[1] for c in cells], [c[2] for c in cells], 507, 100, POLICY)
    assert table.status == ("shown", "shown", "complementary", "primary", "primary")
    result = suppress_ranking(ranking(cells, 100), POLICY, limit=None).to_dict()
    finding = attack_ranking(result, Knowledge(primary=small_codes(cells)))
    finding.assert_protected()
    assert finding.groups[("97112", "97116")][0] <= 2 < 7 < finding.groups[("97112", "97116")][1]


def test_a_small_total_suppresses_the_whole_table() -> None:
    cells = [("97110", 30, 6), ("97140", 20, 4)]
    result = suppress_ranking(ranking(cells, 9), POLICY, limit=None).to_dict()
    assert result["total"] is None
    assert all(r["value"] is None and r["suppressed"] for r in result["rows"])
    assert result["suppression"]["total_suppressed"] is True
    assert "cell count below 11" in result["suppression"]["reason"]
    assert any("all figures suppressed" in n for n in result["notes"])


def test_a_count_total_below_threshold_is_suppressed_even_with_many_patients() -> None:
    table = suppress_cells([4.0, 3.0], [20, 15], 7.0, 30, POLICY)
    assert table.total_suppressed


def test_when_only_the_total_could_hide_a_small_cell_the_total_goes() -> None:
    # 1 service from 1 patient and 11 from 11: hiding both still leaves 12 = 1 + 11.
    table = suppress_cells([11.0, 1.0], [11, 1], 12.0, 12, POLICY)
    assert table.total_suppressed
    assert table.reason is not None


def test_ranks_are_recomputed_so_a_gap_cannot_betray_a_hidden_row() -> None:
    cells = [
        ("97110", 300, 60),
        ("97140", 200, 5),
        ("97530", 100, 30),
        ("97112", 90, 20),
        ("97116", 80, 20),
    ]
    rows = suppress_ranking(ranking(cells, 140), POLICY, limit=None).rows
    assert [(r.rank, r.code) for r in rows if not r.suppressed] == [
        (1, "97110"),
        (2, "97530"),
        (3, "97112"),
    ]


def test_shares_are_rounded_and_suppressed_rows_carry_no_cell_count() -> None:
    cells = [("97110", 300, 60), ("97140", 100, 30), ("97530", 100, 20), ("97112", 7, 3)]
    result = suppress_ranking(ranking(cells, 100), POLICY, limit=None)
    assert result.rows[0].share == round(300 / 507, 4)
    assert all(r.cell_count is None for r in result.rows if r.suppressed)
    assert result.suppression["shares_rounded_to"] == 4


def test_ties_at_the_limit_are_cut_by_code_with_a_note() -> None:
    cells = [("97110", 300, 60), ("97140", 100, 30), ("97530", 100, 20), ("97112", 100, 20)]
    result = suppress_ranking(ranking(cells, 130), POLICY, limit=2)
    assert [(r.rank, r.code) for r in result.rows] == [(1, "97110"), (2, "97112")]
    assert any("2 more code(s) tie" in n for n in result.notes)


def test_the_limit_never_changes_which_cells_are_suppressed() -> None:
    cells = [(f"971{i:02d}", 500 - 20 * i, 40) for i in range(10)] + [("97999", 5, 2)]
    full = suppress_ranking(ranking(cells, 300), POLICY, limit=None)
    short = suppress_ranking(ranking(cells, 300), POLICY, limit=3)
    hidden = {r.code for r in full.rows if r.suppressed}
    assert hidden == {r.code for r in short.rows if r.suppressed} == {"97109", "97999"}
    assert [r.code for r in short.rows if not r.suppressed] == ["97100", "97101", "97102"]
    # Both outputs together give the adversary nothing more than the full one.
    payload = short.to_dict()
    knowledge = Knowledge(primary={"97999"}, unshown=6)
    attack_ranking(payload, knowledge).assert_protected()


def test_patients_measure_where_the_partner_ties_the_last_shown_row() -> None:
    # Hiding only 20-patient 97530 leaves 97112 in [10, 10]: the partner's ceiling is the
    # other 20 still shown. A second partner is needed.
    cells = [("97110", 100, 100), ("97140", 20, 20), ("97530", 20, 20), ("97112", 10, 10)]
    result = suppress_ranking(ranking(cells, 150, measure="patients"), POLICY, limit=None)
    assert [r.code for r in result.rows if not r.suppressed] == ["97110"]
    knowledge = Knowledge(kind="patients", primary={"97112"})
    attack_ranking(result.to_dict(), knowledge).assert_protected()


def test_dollar_remainders_of_small_cells_are_protected_like_counts() -> None:
    cells = [
        ("97110", 9000.50, 60),
        ("97140", 3000.25, 30),
        ("97530", 2500.0, 20),
        ("97112", 350.0, 3),
    ]
    table = suppress_cells(
        [c[1] for c in cells], [c[2] for c in cells], 14850.75, 100, POLICY, kind=DOLLAR_CELLS
    )
    assert table.status == ("shown", "shown", "complementary", "primary")
    result = suppress_ranking(ranking(cells, 100, measure="allowed"), POLICY, limit=None)
    attack_ranking(
        result.to_dict(), Knowledge(kind="dollars", primary={"97112"})
    ).assert_protected()


def test_min_cell_size_below_11_is_refused_without_the_override() -> None:
    with pytest.raises(QueryError, match="allow_small_cells"):
        PrivacyPolicy(min_cell_size=5)


def test_the_override_is_recorded_and_applied() -> None:
    policy = PrivacyPolicy(min_cell_size=5, allow_small_cells=True)
    cells = [
        ("97110", 300, 60),
        ("97140", 100, 30),
        ("97530", 80, 20),
        ("97112", 7, 6),
        ("97116", 7, 3),
    ]
    result = suppress_ranking(ranking(cells, 100), policy, limit=None)
    block = result.suppression
    assert block["min_cell_size"] == 5 and block["allow_small_cells"] is True
    assert "not for publication" in block["override"]
    assert [r.code for r in result.rows if r.suppressed] == ["97112", "97116"]
    attack_ranking(result.to_dict(), Knowledge(threshold=5, primary={"97116"})).assert_protected()


def test_the_default_block_records_the_rule_and_no_override() -> None:
    cells = [("97110", 300, 60), ("97140", 100, 30)]
    block = suppress_ranking(ranking(cells, 90), POLICY, limit=None).suppression
    assert block["rule"] == "cms_cell_size" and block["min_cell_size"] == 11
    assert block["primary"] == 0 and block["complementary"] == 0
    assert "override" not in block


def test_naive_suppression_is_caught_by_the_adversary() -> None:
    """The adversary can fail: dropping the small row alone leaves it in total minus shown."""
    rows = [
        {"key": "97110", "value": 300, "share": None},
        {"key": "97140", "value": 120, "share": None},
        {"key": "97112", "value": None, "share": None},
    ]
    finding = attack_table(427, rows, Knowledge(primary={"97112"}))
    assert finding.violations and finding.intervals["97112"] == (7, 7)
    pair = [*rows[:1], {"key": "97140", "value": None, "share": None}, rows[2]]
    finding = attack_table(427, pair, Knowledge(primary={"97112", "97140"}))
    assert any("sum of small cells" in v for v in finding.violations)


# Random tables: whatever the mix of small and large cells, nothing is derivable.
cell = st.tuples(st.integers(1, 400), st.integers(1, 60))


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(cell, min_size=1, max_size=7),
    kind_name=st.sampled_from(["count", "patients", "dollars", "distinct"]),
    limit=st.sampled_from([None, 1, 2, 4]),
)
def test_random_tables_never_reveal_a_small_cell(
    cells: list[tuple[int, int]], kind_name: str, limit: int | None
) -> None:
    if kind_name == "patients":
        cells = [(count, count) for _, count in cells]
    coded = [(f"97{100 + i}", float(v), float(c)) for i, (v, c) in enumerate(cells)]
    total_cells = max(c for _, _, c in coded) + 5  # overlap allowed: union >= largest
    measure = {
        "count": "services",
        "patients": "patients",
        "dollars": "allowed",
        "distinct": "claims",
    }
    result = suppress_ranking(
        ranking(coded, total_cells, measure=measure[kind_name]), POLICY, limit=limit
    )
    hidden = {r.code for r in result.rows if r.suppressed}
    primary = {c for c, v, n in coded if n < 11 or (kind_name != "dollars" and v < 11)}
    knowledge = Knowledge(
        kind=kind_name, primary=primary & hidden, unshown=len(coded) - len(result.rows)
    )
    attack_ranking(result.to_dict(), knowledge).assert_protected()


def test_cell_kinds_of_the_measures() -> None:
    assert suppress_cells([], [], 0, 0, POLICY).status == ()
    assert PATIENT_CELLS.value_is_cell_count and not PATIENT_CELLS.additive
    assert COUNT_CELLS.count and not DOLLAR_CELLS.count
