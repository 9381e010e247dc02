"""Place of service (names, PFS facility setting) and payer types (X12 SBR09, free text)."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from claimscope.schema import PAYER_TYPES
from claimscope.terminology.payers import (
    filing_indicators,
    map_filing_indicators,
    map_payer_types,
    normalise_payer_type,
    payer_type_from_filing_indicator,
)
from claimscope.terminology.pos import (
    map_pos_names,
    map_settings,
    place_of_service_codes,
    pos_name,
    setting_for_pos,
)

FACILITY = "02 19 21 22 23 24 26 31 34 41 42 51 52 53 56 61".split()  # noqa: SIM905


def test_pos_names_and_settings() -> None:
    assert pos_name("11") == "Office"
    assert setting_for_pos("11") == "non_facility"
    assert setting_for_pos("22") == "facility"
    assert setting_for_pos("21") == "facility"
    assert setting_for_pos("12") == "non_facility"  # home
    assert setting_for_pos("62") == "non_facility"  # CORF is paid at the non-facility rate
    assert setting_for_pos("32") == "non_facility"  # nursing facility (not SNF)
    assert setting_for_pos("1") == "non_facility"  # "01" with its leading zero lost
    assert setting_for_pos("98") is None
    assert pos_name(None) is None


def test_facility_list_is_the_pfs_list(shared_data: Path) -> None:
    codes = place_of_service_codes()
    assert sorted(c for c in codes if setting_for_pos(c) == "facility") == FACILITY
    with open(shared_data / "tuva" / "place_of_service_codes.csv", encoding="utf-8-sig") as f:
        assert {r["code"] for r in csv.DictReader(f)} == set(codes)


def test_every_tuva_seed_pos_is_known(shared_data: Path) -> None:
    with open(shared_data / "tuva" / "medical_claim_seed.csv", newline="") as f:
        seen = {r["place_of_service_code"] for r in csv.DictReader(f)} - {""}
    assert seen and all(setting_for_pos(c) for c in seen)


def test_vectorised_pos() -> None:
    arr = pa.array(["11", "22", None, "77", "11"])
    assert map_settings(arr).to_pylist() == ["non_facility", "facility", None, None, "non_facility"]
    assert map_pos_names(arr).to_pylist()[1] == "On Campus Outpatient Hospital"


@pytest.mark.parametrize(
    ("code", "payer_type"),
    [
        ("MB", "medicare"),
        ("MA", "medicare"),
        ("16", "medicare_advantage"),
        ("MC", "medicaid"),
        ("CI", "commercial"),
        ("BL", "commercial"),
        ("HM", "commercial"),
        ("12", "commercial"),
        ("WC", "other"),
        ("CH", "other"),
        ("VA", "other"),
        ("ZZ", "other"),
        (" mb ", "medicare"),
    ],
)
def test_filing_indicators(code: str, payer_type: str) -> None:
    assert payer_type_from_filing_indicator(code) == payer_type


def test_the_full_x12_filing_indicator_list_is_covered() -> None:
    full = "11 12 13 14 15 16 17 AM BL CH CI DS FI HM LM MA MB MC OF TV VA WC ZZ".split()  # noqa: SIM905
    assert sorted(filing_indicators()) == sorted(full)
    assert all(payer_type_from_filing_indicator(c) in PAYER_TYPES for c in full)
    assert payer_type_from_filing_indicator("QQ") is None


def test_x12_examples_use_known_indicators(shared_data: Path) -> None:
    found = set()
    for path in sorted((shared_data / "x12").iterdir()):
        for seg in path.read_text().split("~"):
            parts = seg.strip().split("*")
            if parts[0] == "SBR" and len(parts) > 9 and parts[9]:
                found.add(parts[9])
    assert {"CI", "MB"} <= found
    assert all(payer_type_from_filing_indicator(c) for c in found)


@pytest.mark.parametrize(
    ("text", "payer_type"),
    [
        ("medicare", "medicare"),
        ("Medicare", "medicare"),
        ("Medicare Advantage", "medicare_advantage"),
        ("medicare_advantage", "medicare_advantage"),
        ("Medicaid", "medicaid"),
        ("managed medicaid", "medicaid"),
        ("commercial", "commercial"),
        ("Blue Cross Blue Shield", "commercial"),
        ("self-pay", "other"),
        ("Self Pay", "other"),
        ("Workers' Comp", "other"),
    ],
)
def test_free_text_payer_types(text: str, payer_type: str) -> None:
    assert normalise_payer_type(text) == payer_type


def test_unrecognised_payer_text_is_null() -> None:
    assert normalise_payer_type("Acme Health") is None
    assert normalise_payer_type("MA") is None  # ambiguous: Part A indicator vs Medicare Advantage
    assert normalise_payer_type(None) is None


def test_tuva_payer_values_are_recognised(shared_data: Path) -> None:
    with open(shared_data / "tuva" / "medical_claim_seed.csv", newline="") as f:
        payers = {r["payer"] for r in csv.DictReader(f)}
    assert {normalise_payer_type(p) for p in payers} == {"medicare"}


def test_vectorised_payers() -> None:
    assert map_filing_indicators(pa.array(["MB", None, "16"])).to_pylist() == [
        "medicare",
        None,
        "medicare_advantage",
    ]
    assert map_payer_types(pa.array(["Medicaid", "nope"])).to_pylist() == ["medicaid", None]
