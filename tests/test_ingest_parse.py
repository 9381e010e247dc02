"""Vectorised parsing primitives used by validation."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from claimscope.ingest import parse


def test_dates_accept_three_spellings_and_reject_impossible_days() -> None:
    values = pa.array(
        ["2017-12-14", "20171214", "12/14/2017", "2017-02-30", "2017-1-5", "14.12.2017", None, " "]
    )
    dates, bad = parse.parse_dates(values)
    assert dates.to_pylist() == [date(2017, 12, 14)] * 3 + [None] * 5
    assert bad.tolist() == [False, False, False, True, True, True, False, False]


def test_typed_dates_pass_through() -> None:
    values = pa.array([date(2020, 1, 2)], pa.date32())
    dates, bad = parse.parse_dates(values)
    assert dates.to_pylist() == [date(2020, 1, 2)] and not bad.any()


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
