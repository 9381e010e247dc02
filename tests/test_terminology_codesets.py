"""Code sets and the code-spec language: what a user types to pick a family of procedures."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from claimscope.terminology.codesets import (
    CodeSpec,
    CodeSpecError,
    code_sets,
    parse_code_spec,
    subsection_of,
)


def test_pmr_holds_the_reference_study_codes_and_not_level_ii() -> None:
    pmr = parse_code_spec("pmr")
    for code in ["97110", "97530", "97140", "97112", "97116", "97535", "97014", "97010", "97161"]:
        assert pmr.matches(code), code
    assert not pmr.matches("G0283")
    assert not pmr.matches("97802")  # medical nutrition therapy lies above 97799
    assert not pmr.matches("97001")  # retired evaluations lie below 97010
    assert not pmr.matches("99213")


def test_range_and_level_ii_mix_matches_both() -> None:
    spec = parse_code_spec("97010-97799,G0283")
    assert spec.matches("97110")
    assert spec.matches("G0283")
    assert spec.matches("g0283 ")
    assert not spec.matches("G0281")
    assert spec.ranges == (("97010", "97799"),)
    assert spec.codes == frozenset({"G0283"})
    assert spec.label == "97010-97799,G0283"


def test_spec_is_whitespace_and_case_tolerant_and_normalises_its_label() -> None:
    spec = parse_code_spec("  97010 - 97799 ,  g0283 , PMR ,")
    assert spec.label == "97010-97799,G0283,pmr"
    assert spec.ranges == (("97010", "97799"),)  # pmr's range is the same one, kept once
    assert isinstance(spec, CodeSpec)


def test_list_spec_matches_only_listed_codes() -> None:
    spec = parse_code_spec("97110,97530")
    assert spec.matches("97110") and spec.matches("97530")
    assert not spec.matches("97112")
    assert spec.ranges == ()


def test_ranges_compare_five_character_text() -> None:
    spec = parse_code_spec("97010-97799")
    assert spec.matches("9701T")  # sorts between the ends as text
    assert not spec.matches("970100")  # not five characters
    assert not spec.matches("9700T")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("97799-97010", "starts after it ends (97799 > 97010)"),
        ("97010-977", "'977'"),
        ("9711", "'9711'"),
        ("pmrr", "Did you mean 'pmr'?"),
        ("97110,hello world", "'hello world'"),
    ],
)
def test_bad_specs_name_the_item_and_list_the_sets(spec: str, fragment: str) -> None:
    with pytest.raises(CodeSpecError) as err:
        parse_code_spec(spec)
    message = str(err.value)
    assert fragment in message
    assert "pmr" in message and "pt_evals" in message and "timed" in message


def test_empty_spec_is_an_error() -> None:
    with pytest.raises(CodeSpecError, match="empty code spec"):
        parse_code_spec(" , ")


def test_subsections_of_pmr() -> None:
    assert subsection_of("97110") == "therapeutic_procedures"
    assert subsection_of("97530") == "therapeutic_procedures"
    assert subsection_of("97010") == "supervised_modalities"
    assert subsection_of("97035") == "constant_attendance_modalities"
    assert subsection_of("97153") == "adaptive_behavior"  # nested inside 97110-97546
    assert subsection_of("97163") == "evaluations"  # nested inside 97110-97546
    assert subsection_of("97597") == "active_wound_care"
    assert subsection_of("97750") == "tests_and_measurements"
    assert subsection_of("97763") == "orthotic_prosthetic_management"
    assert subsection_of("97799") == "unlisted"
    assert subsection_of("97802") is None
    assert subsection_of("G0283") is None


def test_nested_subsections_come_before_the_ones_containing_them() -> None:
    """First match in file order must be the most specific match."""
    subs = code_sets()["pmr"].subsections
    for i, early in enumerate(subs):
        for late in subs[i + 1 :]:
            for lo, hi in early.ranges:
                for lo2, hi2 in late.ranges:
                    overlaps = lo <= hi2 and lo2 <= hi
                    if overlaps:
                        assert lo2 <= lo and hi <= hi2, (early.slug, late.slug)


def test_every_pfs_97xxx_code_up_to_97799_has_a_subsection(shared_data: Path) -> None:
    with open(shared_data / "cms-pfs-2023" / "pfs_2023_rvu_97xxx.csv", newline="") as f:
        codes = [r["hcpcs"] for r in csv.DictReader(f)]
    inside = [c for c in codes if c <= "97799"]
    assert len(inside) == 66
    assert all(subsection_of(c) for c in inside)
    assert [c for c in codes if not code_sets()["pmr"].contains(c)] == [
        "97802",
        "97803",
        "97804",
        "97810",
        "97811",
        "97813",
        "97814",
    ]


def test_evaluation_and_timed_sets() -> None:
    sets = code_sets()
    assert [c for c in ["97161", "97164", "97165"] if sets["pt_evals"].contains(c)] == [
        "97161",
        "97164",
    ]
    assert sets["ot_evals"].contains("97168") and not sets["ot_evals"].contains("97164")
    assert sets["eval_retired"].contains("97001") and sets["eval_retired"].contains("97006")
    timed = sets["timed"]
    assert timed.contains("97110") and timed.contains("97530") and timed.contains("97035")
    assert not timed.contains("97010")  # supervised modality: one unit per session
    assert not timed.contains("97161")  # evaluations are untimed
    assert not timed.contains("97150")  # group therapy is untimed
    assert not sets["pmr_core"].contains("97153")
    assert sets["pmr_core"].contains("97161")
    assert not sets["therapeutic_procedures"].contains("97155")


def test_matches_array_agrees_with_matches() -> None:
    spec = parse_code_spec("pmr,G0283")
    values = ["97110", " 97530", "g0283", "99213", None, "970100", "9701T", "97161"]
    got = spec.matches_array(pa.array(values, type=pa.string())).to_pylist()
    assert got == [spec.matches(v) for v in values]
    assert got == [True, True, True, False, False, False, True, True]
    chunked = pa.chunked_array([values[:3], values[3:]], type=pa.string())
    assert spec.matches_array(chunked).to_pylist() == got
    encoded = pa.array(values, type=pa.large_string()).dictionary_encode()
    assert spec.matches_array(encoded).to_pylist() == got
    assert spec.matches_array(pa.array([None, None])).to_pylist() == [False, False]


def test_describe_names_built_in_sets() -> None:
    text = parse_code_spec("pmr,G0283").describe()
    assert "Physical medicine and rehabilitation" in text
    assert "97010-97799" in text and "G0283" in text
