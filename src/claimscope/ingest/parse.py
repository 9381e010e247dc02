"""Vectorised parsing of staging values (strings as read, or already typed Arrow arrays).

Everything here works on whole Arrow arrays. Columns with few distinct values (codes, dates,
NPIs) are dictionary-encoded and only the distinct values are parsed, then expanded back with
a take: a 2-million-row batch typically has a few thousand distinct dates.

``parse_numbers`` returns the typed array (null where missing or invalid) and a numpy mask of
the rows whose value was present but invalid; ``parse_dates`` returns :class:`ParsedDates`,
which tells values in no accepted spelling apart from impossible days (``2023-02-30``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.terminology.npi import check_digits

# Accepted date spellings (named groups y, m, d), tried in order. Fields are checked for a
# real calendar day afterwards, so 2023-02-30 is "impossible", not "not a date".
DATE_PATTERNS: Final = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$",
    r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$",
    r"^(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4})$",
)
_SERIAL_RE: Final = r"^[0-9]+(\.[0-9]+)?$"
# Excel's last serial day, 9999-12-31.
EXCEL_SERIAL_LIMIT: Final = 2_958_466
_NUMBER_RE: Final = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (chunked columns are combined)."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def bool_mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as a numpy mask, nulls counted as False."""
    array = as_array(values)
    if array.null_count:
        array = as_array(pc.fill_null(array, False))
    return _bits(array.buffers()[1], array.offset, len(array))


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """Unpack an Arrow bitmap (values or validity) into a numpy bool array."""
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little")[offset : offset + n].view(bool)


def dictionary_of(values: pa.Array) -> pa.DictionaryArray:
    """``values`` as a dictionary array (encoded now unless it already is one)."""
    if pa.types.is_dictionary(values.type):
        return values
    encoded: pa.DictionaryArray = pc.dictionary_encode(values)
    return encoded


def map_unique(values: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """Apply ``fn`` to the distinct values only and expand the result to every row."""
    encoded = dictionary_of(values)
    return pc.take(fn(encoded.dictionary), encoded.indices)


def map_dictionary(values: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.DictionaryArray:
    """Like :func:`map_unique` for string results, but the result stays dictionary-encoded.

    The new dictionary is re-encoded so that it holds each value once and no nulls (a value
    mapped to null becomes a null row); only integer indices are moved per row.
    """
    encoded = dictionary_of(values)
    new_values = fn(encoded.dictionary)
    if new_values.null_count == 0 and new_values.equals(encoded.dictionary):
        return encoded  # already clean (the usual case): no per-row work at all
    mapped = pc.dictionary_encode(new_values)
    indices = pc.take(mapped.indices, encoded.indices)
    # Indices come from dictionary_encode: in range by construction, no need to re-check.
    return pa.DictionaryArray.from_arrays(indices, mapped.dictionary, safe=False)


def coalesce_dictionaries(*arrays: pa.Array) -> pa.DictionaryArray:
    """The first non-null value of each row across ``arrays``, as one dictionary array.

    Works on the integer indices only (the dictionaries are concatenated), so it costs a few
    numpy passes however long the strings are; ``pc.coalesce`` would unify dictionaries.
    """
    encoded = [dictionary_of(a) if a.null_count < len(a) else None for a in arrays]
    n = len(arrays[0])
    choice = np.full(n, -1, dtype=np.int32)
    offset = 0
    parts: list[pa.Array] = []
    for item in encoded:
        if item is None:
            continue
        indices = np.asarray(item.indices.fill_null(-1).to_numpy(zero_copy_only=False))
        take = (choice < 0) & (indices >= 0)
        choice[take] = indices[take] + offset
        parts.append(item.dictionary)
        offset += len(item.dictionary)
    if not parts:
        return pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.string()))
    indices_array = pa.array(choice, mask=choice < 0)
    combined = pa.DictionaryArray.from_arrays(indices_array, pa.concat_arrays(parts), safe=False)
    return map_dictionary(combined, lambda d: d)  # one entry per distinct value


def _clean_dense(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def clean_strings(values: pa.Array, *, upper: bool = False, unique: bool = True) -> pa.Array:
    """Strings trimmed, empty -> null, optionally upper-cased.

    With ``unique`` (the default, for columns with repeated values) the work is done once per
    distinct value and the result is a dictionary array; otherwise a plain string array.
    """

    def fn(arr: pa.Array) -> pa.Array:
        out = _clean_dense(arr)
        return pc.utf8_upper(out) if upper else out

    if values.null_count == len(values):
        return pa.nulls(len(values), pa.string())
    if unique or pa.types.is_dictionary(values.type):
        return map_dictionary(values, fn)
    return fn(values)


def present(values: pa.Array) -> np.ndarray:
    """Mask of non-null rows (read straight from the validity bitmap)."""
    n = len(values)
    if values.null_count == 0:
        return np.ones(n, dtype=bool)
    if values.null_count == n:
        return np.zeros(n, dtype=bool)
    validity = values.buffers()[0]
    if validity is None:  # types without a validity bitmap
        return bool_mask(pc.is_valid(values))
    return _bits(validity, values.offset, n)


@dataclass(frozen=True)
class ParsedDates:
    """Dates parsed from one column: the dates, and which present values failed and why.

    ``not_date``: the value is in none of the accepted spellings; ``impossible``: it is in
    one, but names a day that does not exist (``2023-02-30``, month 13).
    """

    dates: pa.Array
    not_date: np.ndarray
    impossible: np.ndarray


def parse_dates(values: pa.Array) -> ParsedDates:
    """Dates from date/timestamp arrays, numbers (Excel serials, ``YYYYMMDD``) or strings.

    Strings may be ISO dates or timestamps (``2023-03-05``, ``2023-03-05 00:00:00``,
    ``2023-03-05T08:30:00Z``; the date is taken as written), ``M/D/YYYY`` (``3/5/2023``,
    ``03/05/2023``) or ``YYYYMMDD``. A column whose present values are all numbers holds
    Excel serial day numbers (``44990`` = 2023-03-05), except 8-digit ``YYYYMMDD`` values.
    """
    n = len(values)
    none = np.zeros(n, dtype=bool)
    if pa.types.is_date32(values.type):
        return ParsedDates(values, none, none)
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        return ParsedDates(values.cast(pa.date32()), none, none)
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        values = values.cast(pa.string())
    text = clean_strings(values)
    if text.null_count == n:
        return ParsedDates(pa.nulls(n, pa.date32()), none, none)
    encoded = dictionary_of(text)
    serials = _all_numbers(encoded.dictionary)
    days, impossible = _parse_date_strings(encoded.dictionary, serials=serials)
    dates = pc.take(days, encoded.indices)
    has_text, has_date = present(text), present(dates)
    impossible_rows = has_text & bool_mask(pc.take(pa.array(impossible), encoded.indices))
    return ParsedDates(dates, has_text & ~has_date & ~impossible_rows, impossible_rows)


def _all_numbers(text: pa.Array) -> bool:
    """True when every (non-null) distinct value is a plain number: an Excel serial column."""
    valid = text.drop_null()
    return len(valid) > 0 and bool(pc.all(pc.match_substring_regex(valid, _SERIAL_RE)).as_py())


def _parse_date_strings(text: pa.Array, *, serials: bool) -> tuple[pa.Array, np.ndarray]:
    """(date32 per value, mask of values shaped like a date that name no real day)."""
    n = len(text)
    fields = {part: np.zeros(n, dtype=np.int64) for part in "ymd"}
    shaped = np.zeros(n, dtype=bool)
    for pattern in DATE_PATTERNS:
        found = pc.extract_regex(text, pattern)
        hit = present(found) & ~shaped
        for part, target in fields.items():
            if hit.any():
                digits = pc.fill_null(pc.struct_field(found, part), "0").cast(pa.int64())
                target[hit] = np.asarray(digits)[hit]
        shaped |= hit
    year, month, day = fields["y"], fields["m"], fields["d"]
    month_start = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    first_day = month_start.astype("datetime64[D]")
    length = ((month_start + 1).astype("datetime64[D]") - first_day).astype(np.int64)
    real = shaped & (month >= 1) & (month <= 12) & (day >= 1) & (day <= length)
    days = first_day + np.where(real, day - 1, 0)
    if serials:
        serial_days, is_serial = _excel_serials(text, shaped)
        days = np.where(is_serial, serial_days, days)
        real |= is_serial
    return pa.array(days, pa.date32(), mask=~real), shaped & ~real


def _excel_serials(text: pa.Array, shaped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel (1900 system) serial day numbers as dates, for values not read as YYYYMMDD.

    Serial 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was, so serials
    from 61 on are days since 1899-12-30; a fraction is the time of day and is dropped.
    """
    numbers = np.asarray(pc.cast(text, pa.float64(), safe=False).fill_null(-1.0))
    usable = ~shaped & (numbers >= 61) & (numbers < EXCEL_SERIAL_LIMIT)
    whole = np.floor(np.where(usable, numbers, 0)).astype(np.int64)
    return np.datetime64("1899-12-30") + whole, usable


def parse_numbers(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Float64 values from numeric arrays or decimal strings (NaN and infinity are invalid)."""
    if values.null_count == len(values):
        return pa.nulls(len(values), pa.float64()), np.zeros(len(values), dtype=bool)
    if (
        pa.types.is_floating(values.type)
        or pa.types.is_integer(values.type)
        or pa.types.is_decimal(values.type)
    ):
        numbers = values.cast(pa.float64())
    else:
        numbers = _strings_to_float(values)
    finite = pc.is_finite(numbers)
    raw_present = present(values) if not _is_text(values) else present(clean_strings(values))
    bad = raw_present & ~bool_mask(finite)
    if bad.any():
        numbers = pc.if_else(pa.array(bad), pa.scalar(None, pa.float64()), numbers)
    return numbers, bad


def _is_text(values: pa.Array) -> bool:
    t = values.type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t)


def _strings_to_float(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        return map_unique(values, _strings_to_float)
    if values.type == pa.null():
        return pa.nulls(len(values), pa.float64())
    text = values.cast(pa.string())
    try:
        # Happy path: one C++ cast. Empty strings make it fail, as do stray spaces or words.
        return pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        pass
    cleaned = _clean_dense(text)
    ok = pc.match_substring_regex(cleaned, _NUMBER_RE)
    return pc.if_else(ok, cleaned, pa.scalar(None, pa.string())).cast(pa.float64())


def regex_valid(values: pa.Array, pattern: str) -> np.ndarray:
    """Mask of rows whose (non-null) string matches ``pattern``; checked per distinct value."""
    if values.null_count == len(values):
        return np.zeros(len(values), dtype=bool)
    matched = map_unique(values, lambda d: pc.match_substring_regex(d, pattern))
    return bool_mask(matched)


def npi_valid(values: pa.Array) -> np.ndarray:
    """Mask of rows holding a valid NPI: 10 digits whose last is the check digit
    (:func:`claimscope.terminology.npi.check_digits`, computed per distinct value)."""
    if values.null_count == len(values):
        return np.zeros(len(values), dtype=bool)
    return bool_mask(map_unique(values, _npi_valid_dense))


def _npi_valid_dense(npis: pa.Array) -> pa.Array:
    shaped = bool_mask(pc.match_substring_regex(npis, r"^[0-9]{10}$"))
    ok = np.zeros(len(npis), dtype=bool)
    if shaped.any():
        digits = _digit_matrix(npis.filter(pa.array(shaped)).cast(pa.string()), 10)
        base = digits[:, :9] @ (10 ** np.arange(8, -1, -1, dtype=np.int64))
        ok[shaped] = check_digits(base) == digits[:, 9]
    return pa.array(ok)


def npi_shaped(values: pa.Array) -> np.ndarray:
    """Mask of rows holding 10 ASCII digits (the shape of an NPI, check digit aside)."""
    return regex_valid(values, r"^[0-9]{10}$")


def _digit_matrix(text: pa.Array, width: int) -> np.ndarray:
    """(n, width) int matrix of the digits of n strings that are all ``width`` ASCII digits."""
    _, offsets_buf, data_buf = text.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(-1, width).astype(np.int64) - ord("0")


def null_where(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """``values`` with ``rows`` set to null (returned unchanged when no row is set)."""
    if not rows.any():
        return values
    return pc.if_else(pa.array(rows), pa.scalar(None, values.type), values)


def integral(numbers: pa.Array) -> np.ndarray:
    """Mask of rows whose float value is a whole number (nulls False)."""
    arr = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(arr) & (np.floor(arr) == arr)


def constant(value: object, n: int, type_: pa.DataType) -> pa.Array:
    """An array of ``n`` copies of ``value``; strings come dictionary-encoded (one entry)."""
    if value is None:
        return pa.nulls(n, type_)
    zeros = pa.array(np.zeros(n, dtype=np.int32))
    if pa.types.is_string(type_):
        return pa.DictionaryArray.from_arrays(zeros, pa.array([value], type_), safe=False)
    return pc.take(pa.array([value], type_), zeros)
