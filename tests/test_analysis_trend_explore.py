"""Trend and drill-down analyses on small stores built in code, with hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimscope.analysis.query import PrivacyPolicy, QueryError, build_filters
from claimscope.analysis.run import run_explore, run_trend
from claimscope.analysis.trend import TrendQuery
from tests.canonical import lines_for, write_store


@pytest.fixture
def store(tmp_path: Path) -> Path:
    records = []
    # 97110 grows from 40 to 60 services while 97140 stays at 30; 97112 is tiny in 2023-02.
    records += lines_for("97110", 20, month="2023-01", units=2)
    records += lines_for("97140", 30, month="2023-01", first_patient=100)
    records += lines_for("97110", 30, month="2023-02", units=2, first_patient=200)
    records += lines_for("97140", 30, month="2023-02", first_patient=300)
    records += lines_for("97112", 12, month="2023-01", first_patient=400)
    records += lines_for("97112", 12, month="2023-02", first_patient=500)
    return write_store(tmp_path, records)


def test_trend_follows_the_leading_codes_with_period_shares(store: Path) -> None:
    query = TrendQuery(build_filters("pmr"), grain="month", codes_limit=2)
    result = run_trend(store, query).to_dict()
    assert result["periods"] == ["2023-01", "2023-02"]
    assert result["totals"] == [82, 102]
    by_code = {s["code"]: s for s in result["series"]}
    assert list(by_code) == ["97110", "97140", "other"]
    assert by_code["97110"]["values"] == [40, 60]
    assert by_code["97110"]["shares"] == [round(40 / 82, 4), round(60 / 102, 4)]
    assert by_code["97110"]["change_pp"] == pytest.approx(
        round((round(60 / 102, 4) - round(40 / 82, 4)) * 100, 2)
    )
    assert by_code["other"]["values"] == [12, 12]


def test_trend_quarter_grain_and_refusals(store: Path) -> None:
    result = run_trend(store, TrendQuery(build_filters("pmr"), grain="quarter")).to_dict()
    assert result["periods"] == ["2023-Q1"]
    assert result["totals"] == [184]
    with pytest.raises(QueryError, match="grain"):
        TrendQuery(build_filters("pmr"), grain="week")
    with pytest.raises(QueryError, match="additive"):
        run_trend(store, TrendQuery(build_filters("pmr"), measure="patients"))


def test_trend_suppresses_a_small_cell_and_its_complement(tmp_path: Path) -> None:
    records = lines_for("97110", 40, month="2023-01") + lines_for("97110", 40, month="2023-02")
    records += lines_for("97140", 3, month="2023-01", first_patient=100)  # small
    records += lines_for("97140", 30, month="2023-02", first_patient=200)
    records += lines_for("97112", 25, month="2023-01", first_patient=300)
    records += lines_for("97112", 25, month="2023-02", first_patient=400)
    store = write_store(tmp_path, records)
    result = run_trend(store, TrendQuery(build_filters("pmr"), codes_limit=3)).to_dict()
    by_code = {s["code"]: s for s in result["series"]}
    assert by_code["97140"]["values"][0] is None
    assert by_code["97140"]["shares"][0] is None
    hidden = sum(v is None for s in result["series"] for v in s["values"])
    hidden += sum(t is None for t in result["totals"])
    block = result["suppression"]
    # Exactly one cell is small (97140 in January: 3 patients); every other hidden cell is a
    # complement, and the block reports exactly the cells the output hides.
    assert block["primary"] == 1
    assert hidden == block["primary"] + block["complementary"]
    assert result["totals"] == [68, 95]  # month totals stay: the hidden cells protect them
    january = [s["values"][0] for s in result["series"] if s["code"] != "other"]
    assert january.count(None) >= 2, "a lone suppressed cell is recoverable from the total"


def test_explore_breaks_one_code_down_by_dimension(tmp_path: Path) -> None:
    records = lines_for("97110", 30, payer_type="medicare", units=2)
    records += lines_for("97110", 20, first_patient=100, payer_type="commercial")
    records += lines_for("97110", 15, first_patient=200, payer_type="medicaid", modifier_1="GO")
    records += lines_for("97140", 50, first_patient=300)
    store = write_store(tmp_path, records)
    result = run_explore(store, "97110", build_filters("pmr")).to_dict()
    assert result["code"] == "97110"
    assert result["total"] == 95
    payers = next(b for b in result["breakdowns"] if b["dimension"] == "payer_type")
    assert [(r["key"], r["value"]) for r in payers["rows"]] == [
        ("medicare", 60),
        ("commercial", 20),
        ("medicaid", 15),
    ]
    units = next(b for b in result["breakdowns"] if b["dimension"] == "units_per_line")
    assert {r["key"]: r["value"] for r in units["rows"]} == {"2": 60, "1": 35}
    modifiers = next(b for b in result["breakdowns"] if b["dimension"] == "modifier")
    assert {r["key"]: r["value"] for r in modifiers["rows"]} == {"none": 80, "GO": 15}


def test_explore_suppresses_small_breakdown_cells_with_a_complement(tmp_path: Path) -> None:
    records = lines_for("97110", 40, state="CA") + lines_for(
        "97110", 4, first_patient=100, state="VT"
    )
    records += lines_for("97110", 30, first_patient=200, state="TX")
    store = write_store(tmp_path, records)
    result = run_explore(store, "97110", build_filters("pmr")).to_dict()
    states = next(b for b in result["breakdowns"] if b["dimension"] == "state")
    hidden = [r["key"] for r in states["rows"] if r.get("suppressed")]
    # VT (4 patients) is small; the smallest other state, TX (30), hides with it so that
    # 74 - 40 cannot be split; CA stays.
    assert hidden == ["TX", "VT"]
    assert [(r["key"], r["value"]) for r in states["rows"] if not r.get("suppressed")] == [
        ("CA", 40)
    ]
    assert (states["suppression"]["primary"], states["suppression"]["complementary"]) == (1, 1)
    assert all(r["value"] is None for r in states["rows"] if r.get("suppressed"))


def test_explore_hides_everything_for_a_small_code(tmp_path: Path) -> None:
    store = write_store(tmp_path, lines_for("97110", 40) + lines_for("97750", 5, first_patient=90))
    result = run_explore(store, "97750", build_filters("pmr"), privacy=PrivacyPolicy()).to_dict()
    assert result["total"] is None
    assert result["breakdowns"] == []


def _modifiers(result: dict[str, object]) -> dict[str, object]:
    breakdowns = result["breakdowns"]
    assert isinstance(breakdowns, list)
    return next(b for b in breakdowns if b["dimension"] == "modifier")


def test_explore_counts_each_modifier_at_any_position(tmp_path: Path) -> None:
    records = lines_for("97140", 30, modifier_1="GP")
    records += lines_for("97140", 20, first_patient=100, modifier_1="GP", modifier_2="59")
    records += lines_for("97140", 15, first_patient=200, modifier_3="59")
    records += lines_for("97140", 12, first_patient=300, modifier_1="KX", modifier_4="GP")
    records += lines_for("97140", 25, first_patient=400)
    store = write_store(tmp_path, records)
    result = run_explore(store, "97140", build_filters("pmr")).to_dict()
    assert result["total"] == 102
    modifiers = _modifiers(result)
    # GP: 30 + 20 + 12 (4th position); 59: 20 (2nd) + 15 (3rd); a line counts under each.
    assert [(r["key"], r["value"]) for r in modifiers["rows"]] == [
        ("GP", 62), ("59", 35), ("none", 25), ("KX", 12),
    ]  # fmt: skip
    assert [r["share"] for r in modifiers["rows"]] == [
        round(62 / 102, 4), round(35 / 102, 4), round(25 / 102, 4), round(12 / 102, 4),
    ]  # fmt: skip
    assert "a line counts under every modifier it carries" in modifiers["note"]
    assert "a line may count under several" in modifiers["title"]  # shown by every renderer
    assert (modifiers["suppression"]["primary"], modifiers["suppression"]["complementary"]) == (
        0, 0,
    )  # fmt: skip


def test_a_modifier_repeated_on_a_line_counts_once(tmp_path: Path) -> None:
    records = lines_for("97140", 30, modifier_1="GP", modifier_2="GP")
    records += lines_for("97140", 20, first_patient=100, modifier_1="59", modifier_3="GP",
                         modifier_4="59")  # fmt: skip
    records += lines_for("97140", 15, first_patient=200)
    store = write_store(tmp_path, records)
    modifiers = _modifiers(run_explore(store, "97140", build_filters("pmr")).to_dict())
    assert [(r["key"], r["value"]) for r in modifiers["rows"]] == [
        ("GP", 50), ("59", 20), ("none", 15),
    ]  # fmt: skip


def test_explore_hides_a_modifier_whose_absence_is_a_small_cell(tmp_path: Path) -> None:
    # 135 lines carry GP and 5 do not: showing GP = 135 next to the total 140 would tell that
    # 5 lines lack it, so GP is hidden with the 'none' row (5, small). The partition check
    # over the rows does not know GP is already hidden and hides the smallest shown row (59)
    # as the complement of 'none': more than needed here, never less.
    records = lines_for("97110", 95, modifier_2="GP") + lines_for("97110", 5, first_patient=500)
    records += lines_for("97110", 40, first_patient=900, modifier_1="59", modifier_2="GP")
    store = write_store(tmp_path, records)
    result = run_explore(store, "97110", build_filters("pmr")).to_dict()
    assert result["total"] == 140
    modifiers = _modifiers(result)
    assert [(r["key"], r["value"], r.get("suppressed", False)) for r in modifiers["rows"]] == [
        ("59", None, True), ("GP", None, True), ("none", None, True),
    ]  # fmt: skip
    assert (modifiers["suppression"]["primary"], modifiers["suppression"]["complementary"]) == (
        1, 2,
    )  # fmt: skip


def test_explore_hides_the_complement_of_a_small_modifier(tmp_path: Path) -> None:
    # No line carries two modifiers: the rows partition the total, and a lone small row (KX,
    # 4 patients) would be the total minus the others, so the smallest other row hides too.
    records = lines_for("97110", 50, modifier_1="GP") + lines_for(
        "97110", 4, first_patient=100, modifier_1="KX"
    )
    records += lines_for("97110", 30, first_patient=200)
    store = write_store(tmp_path, records)
    modifiers = _modifiers(run_explore(store, "97110", build_filters("pmr")).to_dict())
    assert [(r["key"], r["value"]) for r in modifiers["rows"]] == [
        ("GP", 50), ("KX", None), ("none", None),
    ]  # fmt: skip
