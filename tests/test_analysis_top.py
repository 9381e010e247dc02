"""Ranked code shares over small stores built in code, with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimscope.analysis.query import PrivacyPolicy, QueryError, TopQuery, build_filters
from claimscope.analysis.run import run_top
from tests.canonical import line, lines_for, write_store


def top(store: Path, codes: str = "pmr", **kwargs: object) -> dict:
    filter_args = {k: kwargs.pop(k) for k in list(kwargs) if k not in ("measure", "limit")}
    query = TopQuery(build_filters(codes, **filter_args), **kwargs)  # type: ignore[arg-type]
    return run_top(store, query).to_dict()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    records = (
        lines_for("97110", 40, units=3)  # 120 services
        + lines_for("97530", 30, units=2, first_patient=100)  # 60 services
        + lines_for("97140", 30, units=2, first_patient=200)  # 60 services (tie with 97530)
        + lines_for("97112", 20, first_patient=300)  # 20 services
        + lines_for("99213", 50, first_patient=400)  # outside pmr
        + lines_for("97110", 15, month="2022-06", first_patient=500)  # outside the period
    )
    return write_store(tmp_path, records)


def test_shares_are_fractions_of_the_code_set_total_with_ties_ranked_alike(store: Path) -> None:
    result = top(store, "pmr", period_from="2023-01", period_to="2023-09")
    assert result["measure"] == "services"
    assert result["total"] == 260
    ranked = [(r["rank"], r["code"], r["value"]) for r in result["rows"]]
    assert ranked == [(1, "97110", 120), (2, "97140", 60), (2, "97530", 60), (4, "97112", 20)]
    assert result["rows"][0]["share"] == round(120 / 260, 4)  # shares are rounded to 4 places
    assert result["rows"][0]["name"]
    assert result["data"]["periods"] == ["2023-01"]
    assert result["data"]["sources"] == [
        {"name": "test", "format": "generic", "record_kind": "line"}
    ]


def test_limit_and_code_lists(store: Path) -> None:
    result = top(store, "97110,97112,99213", period_from="2023", period_to="2023", limit=2)
    assert [r["code"] for r in result["rows"]] == ["97110", "99213"]
    assert result["total"] == 120 + 20 + 50


def test_patients_measure_counts_distinct_people(store: Path) -> None:
    result = top(store, "97110", measure="patients")
    assert result["total"] == 55
    assert result["rows"][0]["value"] == 55


def test_void_claims_never_count(tmp_path: Path) -> None:
    records = lines_for("97110", 12) + lines_for("97110", 12, first_patient=50, claim_frequency="8")
    result = top(write_store(tmp_path, records), "97110")
    assert result["total"] == 12


def test_cohort_filters(tmp_path: Path) -> None:
    records = lines_for("97110", 20, payer_type="medicare", state="TX") + lines_for(
        "97110", 30, first_patient=100, payer_type="commercial", state="CA"
    )
    store = write_store(tmp_path, records)
    assert top(store, "pmr", payer_type=["medicare"])["total"] == 20
    assert top(store, "pmr", state=["ca"])["total"] == 30
    assert top(store, "pmr", specialty=["occupational_therapy"])["rows"] == []


def aggregate(code: str, services: float, benes: int, npi: str) -> dict:
    from datetime import date

    return line(
        code,
        month="2012-01",
        units=services,
        record_kind="aggregate",
        source="puf",
        source_format="cms_puf",
        claim_id=None,
        patient_key=None,
        beneficiaries=benes,
        rendering_npi=npi,
        service_to=date(2012, 12, 31),
        period_end_month=date(2012, 12, 1),
    )


def test_annual_aggregates_count_only_for_periods_that_contain_the_year(tmp_path: Path) -> None:
    store = write_store(
        tmp_path, [aggregate("97110", 500, 40, "1"), aggregate("97110", 300, 30, "2")]
    )
    assert top(store, "pmr", period_from="2012", period_to="2012")["total"] == 800
    assert top(store, "pmr", period_from="2012-01", period_to="2012-09")["rows"] == []
    assert top(store, "pmr", period_from="2012", period_to="2012")["data"]["periods"] == ["2012"]


def test_aggregates_refuse_line_measures_and_bound_patients(tmp_path: Path) -> None:
    store = write_store(
        tmp_path, [aggregate("97110", 500, 40, "1"), aggregate("97110", 300, 30, "2")]
    )
    with pytest.raises(QueryError, match="needs claim lines"):
        top(store, "pmr", measure="lines")
    result = top(store, "pmr", measure="patients")
    assert result["upper_bound"] is True
    assert result["total"] == 70


def test_bad_periods_are_clear_errors(store: Path) -> None:
    with pytest.raises(QueryError, match="is after"):
        top(store, "pmr", period_from="2023-09", period_to="2023-01")
    with pytest.raises(QueryError, match="not a year"):
        top(store, "pmr", period_from="Jan 2023")


def test_replacements_supersede_and_voids_cancel_the_original_claim(tmp_path: Path) -> None:
    originals = lines_for("97110", 20, units=2, batch_id="20230101T000000Z-aaaaaa")
    # Patients 1-5: the claim is replaced (units corrected to 1, 97140 instead of 97110)
    replaced = [
        line(
            "97140",
            patient=p,
            claim_id=f"c{p}-2023-01",
            claim_frequency="7",
            batch_id="20230201T000000Z-bbbbbb",
        )
        for p in range(1, 6)
    ]
    # Patients 6-8: the claim is voided later
    voided = [
        line(
            "97110",
            units=2,
            patient=p,
            claim_id=f"c{p}-2023-01",
            claim_frequency="8",
            batch_id="20230301T000000Z-cccccc",
        )
        for p in range(6, 9)
    ]
    store = write_store(tmp_path, originals + replaced + voided)
    query = TopQuery(
        build_filters("pmr"), privacy=PrivacyPolicy(min_cell_size=1, allow_small_cells=True)
    )
    result = run_top(store, query).to_dict()
    values = {r["code"]: r["value"] for r in result["rows"]}
    # 20 originals: 5 replaced (now 97140, 1 unit each), 3 voided, 12 untouched (2 units).
    assert values == {"97110": 24, "97140": 5}
