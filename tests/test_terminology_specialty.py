"""Specialty slugs from NUCC taxonomy, CMS specialty codes and CMS provider-type text."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest

from claimscope.terminology.specialty import (
    map_medicare_codes,
    map_provider_types,
    map_taxonomies,
    medicare_specialty_descriptions,
    specialties,
    specialty_from_medicare_code,
    specialty_from_provider_type,
    specialty_from_taxonomy,
    specialty_label,
)

REQUIRED = [
    "physical_therapy", "occupational_therapy", "speech_language_pathology",
    "physical_medicine_rehabilitation", "chiropractic", "orthopedic_surgery", "sports_medicine",
    "podiatry", "athletic_training", "massage_therapy", "family_medicine", "internal_medicine",
    "nurse_practitioner", "physician_assistant", "neurology", "pain_medicine", "rheumatology",
    "hospital", "skilled_nursing_facility", "home_health", "rehabilitation_agency", "other",
]  # fmt: skip


def test_vocabulary_has_the_required_slugs_with_labels() -> None:
    vocab = specialties()
    assert set(REQUIRED) <= set(vocab)
    assert specialty_label("physical_therapy") == "Physical therapy"
    assert specialty_label("no_such_slug") is None
    assert all(label.strip() for label in vocab.values())


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ("225100000X", "physical_therapy"),
        ("2251S0007X", "physical_therapy"),  # sports PT stays PT
        ("225200000X", "physical_therapy"),  # PT assistant
        ("225X00000X", "occupational_therapy"),
        ("225XH1200X", "occupational_therapy"),  # hand OT
        ("235Z00000X", "speech_language_pathology"),
        ("208100000X", "physical_medicine_rehabilitation"),
        ("111N00000X", "chiropractic"),
        ("111NS0005X", "chiropractic"),
        ("207X00000X", "orthopedic_surgery"),
        ("207XX0005X", "sports_medicine"),
        ("207QS0010X", "sports_medicine"),
        ("2255A2300X", "athletic_training"),
        ("225700000X", "massage_therapy"),
        ("213E00000X", "podiatry"),
        ("213ES0000X", "podiatry"),  # podiatric sports medicine stays podiatry
        ("207Q00000X", "family_medicine"),
        ("207R00000X", "internal_medicine"),
        ("207RC0000X", "cardiology"),
        ("207RR0500X", "rheumatology"),
        ("363L00000X", "nurse_practitioner"),
        ("363A00000X", "physician_assistant"),
        ("2084N0400X", "neurology"),
        ("208VP0014X", "pain_medicine"),
        ("282N00000X", "hospital"),
        ("314000000X", "skilled_nursing_facility"),
        ("251E00000X", "home_health"),
        ("261QR0401X", "rehabilitation_agency"),
        ("261QR0400X", "rehabilitation_agency"),
        ("261QP2000X", "physical_therapy"),
        ("174M00000X", "other"),  # veterinarian: known but outside the categories
        (" 225100000x ", "physical_therapy"),
    ],
)
def test_taxonomy_codes(code: str, slug: str) -> None:
    assert specialty_from_taxonomy(code) == slug


def test_unknown_taxonomy_is_null_not_other() -> None:
    assert specialty_from_taxonomy("999999999X") is None
    assert specialty_from_taxonomy("") is None
    assert specialty_from_taxonomy(None) is None


def test_every_nucc_code_has_a_slug(shared_data: Path) -> None:
    with open(shared_data / "nucc" / "nucc_taxonomy_240.csv", encoding="utf-8-sig") as f:
        codes = [r["Code"] for r in csv.DictReader(f)]
    assert len(codes) == 874
    vocab = specialties()
    assert all(specialty_from_taxonomy(c) in vocab for c in codes)


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ("65", "physical_therapy"),
        ("67", "occupational_therapy"),
        ("25", "physical_medicine_rehabilitation"),
        ("35", "chiropractic"),
        ("15", "speech_language_pathology"),
        ("20", "orthopedic_surgery"),
        ("23", "sports_medicine"),
        ("48", "podiatry"),
        ("09", "pain_medicine"),
        ("9", "pain_medicine"),  # zero-padded
        ("b4", "rehabilitation_agency"),
        ("A1", "skilled_nursing_facility"),
        ("A4", "home_health"),
        ("A0", "hospital"),
        ("D5", "behavioral_health"),
    ],
)
def test_medicare_specialty_codes(code: str, slug: str) -> None:
    assert specialty_from_medicare_code(code) == slug


def test_unknown_medicare_codes_are_null() -> None:
    assert specialty_from_medicare_code("ZZ") is None
    assert specialty_from_medicare_code("88") is None  # "Unknown Supplier/Provider Specialty"
    assert specialty_from_medicare_code(None) is None


def test_every_crosswalk_specialty_code_is_known(shared_data: Path) -> None:
    path = (
        shared_data / "cms-specialty-crosswalk" / "medicare-provider-taxonomy-crosswalk-2019.json"
    )
    rows = json.loads(path.read_text(encoding="utf-8"))
    codes = {
        r["medicare_specialty_code"].split("[")[0]
        for r in rows
        if r.get("medicare_specialty_code") and not r["medicare_specialty_code"].startswith("[")
    }
    descriptions = medicare_specialty_descriptions()
    assert codes <= set(descriptions)
    assert descriptions["65"] == "Physical Therapist in Private Practice"
    assert descriptions["87"] == "All Other Suppliers"  # footnote marker "[3]" removed
    assert all(specialty_from_medicare_code(c) for c in codes - {"88"})


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Physical Therapist", "physical_therapy"),
        ("physical   therapist", "physical_therapy"),
        ("Physical Therapist in Private Practice", "physical_therapy"),
        ("Occupational therapist", "occupational_therapy"),
        ("OCCUPATIONAL THERAPIST IN PRIVATE PRACTICE", "occupational_therapy"),
        ("Physical Medicine and Rehabilitation", "physical_medicine_rehabilitation"),
        ("Physical Medicine & Rehabilitation", "physical_medicine_rehabilitation"),
        ("Chiropractic", "chiropractic"),
        ("Speech Language Pathologist", "speech_language_pathology"),
        ("Physician/Orthopedic Surgery", "orthopedic_surgery"),
        ("CRNA", "anesthesiology"),
        (
            "Hospital-Children\u2019s (PPS excluded)",
            "hospital",
        ),  # curly apostrophe as CMS writes it
        ("Athletic Trainer", "athletic_training"),
        ("Massage Therapist", "massage_therapy"),
        ("physical_therapy", "physical_therapy"),  # a slug is accepted as itself
    ],
)
def test_provider_type_text(text: str, slug: str) -> None:
    assert specialty_from_provider_type(text) == slug


def test_unknown_or_ambiguous_provider_type_is_null() -> None:
    assert specialty_from_provider_type("Wizard") is None
    # NUCC classification name used in two groupings with different slugs: ambiguous
    assert specialty_from_provider_type("Specialist/Technologist") is None
    assert specialty_from_provider_type("") is None


def test_every_puf_provider_type_maps(shared_data: Path) -> None:
    path = shared_data / "cms-puf-2012" / "Medicare_Provider_Util_Payment_PUF_CY2012_first_rows.txt"
    with open(path, newline="") as f:
        types = {r["provider_type"] for r in csv.DictReader(f, delimiter="\t")}
    assert len(types) > 60
    assert sorted(t for t in types if specialty_from_provider_type(t) is None) == []


def test_every_tuva_provider_row_gets_a_specialty(shared_data: Path) -> None:
    path = shared_data / "tuva" / "provider_data__provider_sample.csv"
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["primary_taxonomy_code"]]
    assert all(specialty_from_taxonomy(r["primary_taxonomy_code"]) for r in rows)
    described = [r for r in rows if r["primary_specialty_description"]]
    assert all(specialty_from_provider_type(r["primary_specialty_description"]) for r in described)


def test_vectorised_maps_agree_with_scalar_lookups() -> None:
    taxonomies = ["225100000X", None, "225X00000X", "bogus", "225100000X"]
    got = map_taxonomies(pa.array(taxonomies)).to_pylist()
    assert got == ["physical_therapy", None, "occupational_therapy", None, "physical_therapy"]
    chunked = pa.chunked_array([["65", "67"], [None, "5"]], type=pa.string())
    assert map_medicare_codes(chunked).to_pylist() == [
        "physical_therapy",
        "occupational_therapy",
        None,
        "anesthesiology",
    ]
    encoded = pa.array(
        ["Physical Therapist", "Chiropractic", "Physical Therapist"]
    ).dictionary_encode()
    assert map_provider_types(encoded).to_pylist() == [
        "physical_therapy",
        "chiropractic",
        "physical_therapy",
    ]
    assert map_taxonomies(pa.array([], type=pa.string())).to_pylist() == []
    assert map_taxonomies(pa.array([None, None], type=pa.large_string())).to_pylist() == [
        None,
        None,
    ]
