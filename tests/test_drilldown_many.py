"""Many codes' drill-downs in one query per dimension equal ``explore CODE`` for each code."""

from __future__ import annotations

from pathlib import Path

from claimscope.analysis.drilldown import MODIFIER_NOTE
from claimscope.analysis.drilldown_many import REPORT_DIMENSIONS, explore_codes
from claimscope.analysis.query import PrivacyPolicy, build_filters
from claimscope.analysis.run import open_store, run_explore, store_lines
from tests.canonical import lines_for, write_store


def test_each_code_equals_its_own_explore(tmp_path: Path) -> None:
    records = (
        lines_for("97110", 30, state="CA")
        + lines_for("97110", 12, first_patient=50, state="TX", payer_type="medicare")
        + lines_for("97110", 3, first_patient=80, state="NY")  # hidden, with a complement
        + lines_for("97140", 25, first_patient=100, specialty="chiropractic", state="NY")
        + lines_for("97530", 6, first_patient=200)  # total below the threshold
    )
    store = write_store(tmp_path, records)
    filters = build_filters("pmr")
    with open_store(store) as connection:
        many = explore_codes(
            store_lines(connection, filters), ["97110", "97140", "97530", "97112"], filters
        )
    for code in ("97110", "97140", "97530", "97112"):
        one = run_explore(store, code, filters).to_dict()
        one["breakdowns"] = [b for b in one["breakdowns"] if b["dimension"] in REPORT_DIMENSIONS]
        # The modifier breakdown (and its note) is not among the report's dimensions.
        one["notes"] = [n for n in one["notes"] if n != MODIFIER_NOTE]
        got = many[code].to_dict()
        assert {k: v for k, v in got.items() if k != "data"} == {
            k: v for k, v in one.items() if k != "data"
        }, code
    payers = {r["key"]: r["value"] for r in many["97110"].to_dict()["breakdowns"][1]["rows"]}
    assert payers == {"commercial": 33, "medicare": 12}
    assert many["97110"].breakdowns[2].suppression["primary"] == 1  # NY's 3 patients
    assert many["97530"].total is None and many["97112"].total == 0


def test_perturbed_drilldowns_equal_perturbed_explore(tmp_path: Path) -> None:
    records = lines_for("97110", 30, state="CA") + lines_for(
        "97110", 14, first_patient=50, state="TX", payer_type="medicare"
    )
    store = write_store(tmp_path, records)
    filters = build_filters("pmr")
    privacy = PrivacyPolicy(perturb=True)
    with open_store(store) as connection:
        many = explore_codes(store_lines(connection, filters), ["97110"], filters, privacy=privacy)
    one = run_explore(store, "97110", filters, privacy=privacy).to_dict()
    got = many["97110"].to_dict()
    assert got["perturbation"]["applied"] is True
    assert got["total"] == one["total"]
    mine = {b["dimension"]: b["rows"] for b in got["breakdowns"]}
    theirs = {b["dimension"]: b["rows"] for b in one["breakdowns"] if b["dimension"] in mine}
    assert mine == theirs
