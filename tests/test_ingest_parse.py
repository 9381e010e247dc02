"""Vectorised parsing primitives used by validation."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimscope.ingest import normalise, parse
from claimscope.terminology.npi import is_valid

D = date(2023, 3, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-03-05", D),
        ("2023-03-05 00:00:00", D),  # SQL / pandas export
        ("2023-03-05T08:30:00", D),
        ("2023-03-05T08:30:00Z", D),
        ("2023-03-05T23:59:59.123+01:00", D),  # the date as written, not shifted to UTC
        ("3/5/2023", D),  # Excel's M/D/YYYY
        ("03/05/2023", D),
        ("20230305", D),  # X12 D8, RIF
        ("2/29/2024", date(2024, 2, 29)),
    ],
)
def test_each_date_spelling(text: str, expected: date) -> None:
    parsed = parse.parse_dates(pa.array([text, None, " "]))
    assert parsed.dates.to_pylist() == [expected, None, None]
    assert not parsed.not_date.any() and not parsed.impossible.any()


def test_impossible_dates_are_told_apart_from_garbage() -> None:
    values = ["2023-02-30", "2/29/2023", "20231301", "13/01/2023", "2023-1-5", "14.12.2017", "x"]
    parsed = parse.parse_dates(pa.array(values))
    assert parsed.dates.to_pylist() == [None] * 7
    assert parsed.impossible.tolist() == [True, True, True, True, False, False, False]
    assert parsed.not_date.tolist() == [False, False, False, False, True, True, True]


def test_excel_serials_only_in_a_numeric_column() -> None:
    # 44990 is 2023-03-05 in Excel's 1900 date system; a fraction is the time of day.
    parsed = parse.parse_dates(pa.array(["44990", "44990.75", "20230305", None]))
    assert parsed.dates.to_pylist() == [D, D, D, None]
    typed = parse.parse_dates(pa.array([44990, 20230305, None], pa.int64()))
    assert typed.dates.to_pylist() == [D, D, None]
    mixed = parse.parse_dates(pa.array(["44990", "2023-03-05"]))
    assert mixed.dates.to_pylist() == [None, D] and mixed.not_date.tolist() == [True, False]


def test_typed_dates_pass_through() -> None:
    values = pa.array([date(2020, 1, 2)], pa.date32())
    parsed = parse.parse_dates(values)
    assert parsed.dates.to_pylist() == [date(2020, 1, 2)] and not parsed.not_date.any()
    stamps = pa.array([datetime(2020, 1, 2, 23, 0)], pa.timestamp("s"))
    assert parse.parse_dates(stamps).dates.to_pylist() == [date(2020, 1, 2)]


def test_numbers_from_text_with_stray_spaces_and_junk() -> None:
    numbers, bad = parse.parse_numbers(
        pa.array(["1", " 2.5 ", "-3", "abc", "", None, "nan", "1e2"])
    )
    assert numbers.to_pylist() == [1.0, 2.5, -3.0, None, None, None, None, 100.0]
    assert bad.tolist() == [False, False, False, True, False, False, True, False]


def test_npi_check_digit() -> None:
    # 1234567893 is CMS's worked example; 1003000126 is a real NPI from the 2012 PUF.
    values = pa.array(["1234567893", "1234567890", "1003000126", "123456789", "abcdefghij", None])
    assert parse.npi_valid(values).tolist() == [True, False, True, False, False, False]
    assert parse.npi_valid(values.slice(2)).tolist() == [True, False, False, False]
    assert parse.npi_shaped(values).tolist() == [True, True, True, False, False, False]


@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_vectorised_npi_check_agrees_with_the_scalar_rule(number: int) -> None:
    text = f"{number:010d}"
    assert parse.npi_valid(pa.array([text])).tolist() == [is_valid(text)]


def test_clean_strings_trims_blanks_and_upper_cases_per_distinct_value() -> None:
    cleaned = parse.clean_strings(pa.array([" g0283 ", "", None, "97110", " g0283 "]), upper=True)
    assert pa.types.is_dictionary(cleaned.type)
    assert cleaned.to_pylist() == ["G0283", None, None, "97110", "G0283"]
    assert len(cleaned.dictionary) == 2


def test_constant_strings_are_one_entry_dictionaries() -> None:
    values = parse.constant("medicare", 3, pa.string())
    assert values.to_pylist() == ["medicare"] * 3
    assert len(values.dictionary) == 1


@given(
    st.lists(st.one_of(st.none(), st.booleans()), max_size=70),
    st.integers(min_value=0, max_value=20),
)
def test_masks_match_arrow_for_any_slice(values: list[bool | None], start: int) -> None:
    """The bitmap shortcuts agree with Arrow's own is_valid/fill_null on sliced arrays."""
    array = pa.array(values, pa.bool_()).slice(start)
    expected_valid = [v is not None for v in values[start:]]
    assert parse.present(array).tolist() == expected_valid
    assert parse.bool_mask(array).tolist() == [bool(v) for v in values[start:]]
    text = pa.array([None if v is None else str(v) for v in values]).slice(start)
    assert parse.present(parse.dictionary_of(text)).tolist() == expected_valid


def test_alias_tables_translate_into_the_schema_vocabulary() -> None:
    tables = {
        "record_kind": normalise.RECORD_KIND_ALIASES,
        "claim_type": normalise.CLAIM_TYPE_ALIASES,
        "setting": normalise.SETTING_ALIASES,
        "line_status": normalise.LINE_STATUS_ALIASES,
    }
    for name, table in tables.items():
        assert set(table.values()) == set(normalise.VOCABULARY[name]), name
