"""Vectorised parsing of staging values (strings as read, or already typed Arrow arrays).

Everything here works on whole Arrow arrays. Columns with few distinct values (codes, dates,
NPIs) are dictionary-encoded and only the distinct values are parsed, then expanded back with
a take: a 2-million-row batch typically has a few thousand distinct dates.

Each ``parse_*`` function returns the typed array (null where missing or invalid) and a numpy
mask of the rows whose value was present but invalid, for quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Accepted date spellings, tried in order. Each is checked by formatting the parsed date back
# and comparing, because Arrow's strptime rolls invalid days over (2017-02-30 -> 2017-03-02).
DATE_FORMATS: Final = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y")
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


def parse_dates(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Dates from date/timestamp arrays or strings in :data:`DATE_FORMATS`."""
    if pa.types.is_date32(values.type):
        return values, np.zeros(len(values), dtype=bool)
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        return values.cast(pa.date32()), np.zeros(len(values), dtype=bool)
    text = clean_strings(values)
    parsed = map_unique(text, _parse_date_strings) if text.null_count < len(text) else None
    if parsed is None:
        return pa.nulls(len(values), pa.date32()), np.zeros(len(values), dtype=bool)
    bad = present(text) & ~present(parsed)
    return parsed, bad


def _parse_date_strings(text: pa.Array) -> pa.Array:
    result = pa.nulls(len(text), pa.date32())
    for fmt in DATE_FORMATS:
        stamp = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        # Reject spellings Arrow accepts leniently: rolled-over days, unpadded fields.
        exact = pc.equal(pc.strftime(stamp, format=fmt), text)
        dates = pc.if_else(exact, stamp.cast(pa.date32()), pa.scalar(None, pa.date32()))
        result = pc.coalesce(result, dates)
    return result


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
    """Mask of rows holding a valid NPI: 10 digits whose last is the Luhn check digit.

    The check digit is computed over the constant prefix 80840 plus the first 9 digits, which
    is the standard Luhn sum of the 9 digits plus 24.
    """
    if values.null_count == len(values):
        return np.zeros(len(values), dtype=bool)
    return bool_mask(map_unique(values, _npi_valid_dense))


def _npi_valid_dense(npis: pa.Array) -> pa.Array:
    shaped = bool_mask(pc.match_substring_regex(npis, r"^[0-9]{10}$"))
    ok = np.zeros(len(npis), dtype=bool)
    if shaped.any():
        digits = _digit_matrix(npis.filter(pa.array(shaped)).cast(pa.string()), 10)
        body = digits[:, :9]
        # Double every other digit starting from the right of the 9-digit body.
        doubled = body[:, ::2] * 2
        doubled = doubled // 10 + doubled % 10
        total = 24 + doubled.sum(axis=1) + body[:, 1::2].sum(axis=1)
        check = (10 - total % 10) % 10
        ok[shaped] = check == digits[:, 9]
    return pa.array(ok)


def _digit_matrix(text: pa.Array, width: int) -> np.ndarray:
    """(n, width) int matrix of the digits of n strings that are all ``width`` ASCII digits."""
    _, offsets_buf, data_buf = text.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(-1, width).astype(np.int64) - ord("0")


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
