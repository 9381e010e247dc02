"""Row validation of staging batches, vectorised: every check is a whole-column operation.

Checks run in the fixed order of :data:`CHECK_ORDER` and each row is quarantined with the
*first* check it fails (one reason per row; fix it and re-ingest to see the next). Failing
rows become quarantine rows ``file, row, field, reason, value``; only they are touched in
Python. Descriptive fields that are malformed (state, taxonomy, claim frequency) do not
quarantine the row: they are loaded as null and counted in the file's warnings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import parse
from claimscope.ingest.normalise import normalise_codes, normalise_kind
from claimscope.schema import MODIFIER_COLUMNS

QUARANTINE_SCHEMA: Final = pa.schema(
    [("file", pa.string()), ("row", pa.int64()), ("field", pa.string()),
     ("reason", pa.string()), ("value", pa.string())]
)  # fmt: skip
HCPCS_PATTERN: Final = r"^[A-Z0-9][0-9]{3}[A-Z0-9]$"
EARLIEST_SERVICE: Final = date(1990, 1, 1)
MAX_VALUE_CHARS: Final = 100
REDACTED: Final = "<redacted>"
AMOUNT_COLUMNS: Final = ("charge_amount", "allowed_amount", "paid_amount")

# The order in which fields are checked; a row is quarantined for the first that fails.
CHECK_ORDER: Final = (
    "record_kind", "hcpcs_code", "service_from", "service_to", "units", "claim_id",
    "patient_id", "line_number", "rendering_npi", "billing_npi", *MODIFIER_COLUMNS,
    "place_of_service", "revenue_code", "claim_type", "setting", "line_status",
    *AMOUNT_COLUMNS, "beneficiaries",
)  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """Plausibility bounds. Values beyond them are data errors, not care patterns."""

    max_line_units: float = 1_000
    max_aggregate_units: float = 1_000_000_000
    max_abs_amount: float = 100_000_000
    earliest: date = EARLIEST_SERVICE
    today: date | None = None  # default: the day of the ingest


@dataclass
class Checked:
    """Typed columns of a staging batch, which rows passed, and quarantine rows for the rest."""

    columns: dict[str, pa.Array]
    good: np.ndarray
    quarantine: pa.Table
    warnings: Counter[str] = field(default_factory=Counter)


class _Checks:
    """Accumulates (field, reason, bad-mask, raw-values) in check order."""

    def __init__(self, n: int) -> None:
        self.first = np.full(n, -1, dtype=np.int16)
        self.entries: list[tuple[str, str, pa.Array]] = []
        self.warning_masks: dict[str, np.ndarray] = {}

    def warn(self, message: str, rows: np.ndarray) -> None:
        """Note a warning for ``rows``; counted later over loaded rows only."""
        previous = self.warning_masks.get(message)
        self.warning_masks[message] = rows if previous is None else previous | rows

    def warnings(self) -> Counter[str]:
        good = self.first < 0
        counts = {m: int((mask & good).sum()) for m, mask in self.warning_masks.items()}
        return Counter({m: c for m, c in counts.items() if c})

    def add(self, name: str, reason: str, bad: np.ndarray, raw: pa.Array) -> None:
        if not bad.any():
            return
        fresh = bad & (self.first < 0)
        if fresh.any():
            self.first[fresh] = len(self.entries)
            self.entries.append((name, reason, raw))


def check_batch(
    staging: pa.Table,
    *,
    file: str,
    rows: pa.Array,
    limits: Limits,
    field_names: dict[str, str] | None = None,
) -> Checked:
    """Validate and type one staging table; ``rows`` holds each row's 1-based input row."""
    n = staging.num_rows
    raw = {name: parse.as_array(staging.column(name)) for name in staging.column_names}
    missing = pa.nulls(n, pa.string())

    def col(name: str) -> pa.Array:
        return raw.get(name, missing)

    checks = _Checks(n)
    out: dict[str, pa.Array] = {"record_kind": normalise_kind(col, checks.add)}
    is_line = parse.bool_mask(pc.equal(out["record_kind"], "line"))
    _check_hcpcs(col("hcpcs_code"), checks, out)
    _check_dates(col("service_from"), col("service_to"), checks, out, limits)
    _check_units(col("units"), is_line, checks, out, limits)
    for name in ("claim_id", "patient_id"):
        raw_value = col(name)
        if name == "claim_id" and pa.types.is_dictionary(raw_value.type):
            # Claim ids are mostly distinct: as a dictionary they only cost (to merge and write).
            raw_value = raw_value.cast(raw_value.type.value_type)
        value = parse.clean_strings(raw_value, unique=name != "claim_id")
        checks.add(
            name, f"missing {name.replace('_', ' ')}", is_line & ~parse.present(value), value
        )
        out[name] = value
    _check_line_number(col("line_number"), checks, out)
    out.update(normalise_codes(col, checks.add, checks.warn))
    for name in AMOUNT_COLUMNS:
        _check_amount(name, col(name), checks, out, limits)
    _check_beneficiaries(col("beneficiaries"), checks, out)
    good = checks.first < 0
    names = field_names or {}
    quarantine = _quarantine_table(checks, file, rows, names)
    return Checked(columns=out, good=good, quarantine=quarantine, warnings=checks.warnings())


def _check_hcpcs(values: pa.Array, checks: _Checks, out: dict[str, pa.Array]) -> None:
    code = parse.clean_strings(values, upper=True)
    has = parse.present(code)
    checks.add("hcpcs_code", "no HCPCS code", ~has, values)
    checks.add(
        "hcpcs_code",
        "not a HCPCS code (5 characters: letter or digit, 3 digits, letter or digit)",
        has & ~parse.regex_valid(code, HCPCS_PATTERN),
        values,
    )
    out["hcpcs_code"] = code


def _check_dates(
    from_raw: pa.Array,
    to_raw: pa.Array,
    checks: _Checks,
    out: dict[str, pa.Array],
    limits: Limits,
) -> None:
    not_a_date = "not a date (expected YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)"
    today = np.datetime64(limits.today or date.today(), "D")
    earliest = np.datetime64(limits.earliest, "D")
    start, start_bad = parse.parse_dates(from_raw)
    start_days = _days(start)
    checks.add("service_from", "missing service date", ~start_bad & np.isnat(start_days), from_raw)
    checks.add("service_from", not_a_date, start_bad, from_raw)
    checks.add(
        "service_from", f"before {limits.earliest.isoformat()}", start_days < earliest, from_raw
    )
    checks.add("service_from", "in the future", start_days > today, from_raw)
    end, end_bad = parse.parse_dates(to_raw)
    end = pc.coalesce(end, start)
    end_days = _days(end)
    checks.add("service_to", not_a_date, end_bad, to_raw)
    checks.add("service_to", "before service_from", end_days < start_days, to_raw)
    checks.add("service_to", "in the future", end_days > today, to_raw)
    out["service_from"], out["service_to"] = start, end


def _days(dates: pa.Array) -> np.ndarray:
    """date32 array as numpy datetime64[D] (null -> NaT); comparisons with NaT are False."""
    return np.asarray(dates.to_numpy(zero_copy_only=False), dtype="datetime64[D]")


def _check_units(
    values: pa.Array, is_line: np.ndarray, checks: _Checks, out: dict[str, pa.Array], limits: Limits
) -> None:
    units, bad = parse.parse_numbers(values)
    arr = np.asarray(units.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        checks.add("units", "missing units", ~bad & np.isnan(arr), values)
        checks.add("units", "not a number", bad, values)
        checks.add("units", "negative units", arr < 0, values)
        checks.add("units", "zero units", arr == 0, values)
        checks.add("units", f"more than {limits.max_line_units:g} units on one line",
                   is_line & (arr > limits.max_line_units), values)  # fmt: skip
        checks.add("units", f"more than {limits.max_aggregate_units:g} services",
                   ~is_line & (arr > limits.max_aggregate_units), values)  # fmt: skip
    out["units"] = units


def _check_line_number(values: pa.Array, checks: _Checks, out: dict[str, pa.Array]) -> None:
    if values.null_count == len(values):
        out["line_number"] = pa.nulls(len(values), pa.int32())
        return
    numbers, bad = parse.parse_numbers(values)
    arr = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    has = ~np.isnan(arr)
    with np.errstate(invalid="ignore"):
        wrong = bad | (has & (~parse.integral(numbers) | (arr < 1) | (arr > 2**31 - 1)))
    checks.add("line_number", "not a whole number from 1", wrong, values)
    out["line_number"] = pc.if_else(pa.array(wrong), None, numbers).cast(pa.int32())


def _check_amount(
    name: str, values: pa.Array, checks: _Checks, out: dict[str, pa.Array], limits: Limits
) -> None:
    amounts, bad = parse.parse_numbers(values)
    checks.add(name, "not a number", bad, values)
    arr = np.asarray(amounts.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        huge = np.abs(arr) > limits.max_abs_amount
    checks.add(name, f"beyond +/-{limits.max_abs_amount:,.0f} USD", huge, values)
    out[name] = amounts


def _check_beneficiaries(values: pa.Array, checks: _Checks, out: dict[str, pa.Array]) -> None:
    if values.null_count == len(values):
        out["beneficiaries"] = pa.nulls(len(values), pa.int64())
        return
    numbers, bad = parse.parse_numbers(values)
    arr = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        wrong = bad | (~np.isnan(arr) & (~parse.integral(numbers) | (arr < 0)))
    checks.add("beneficiaries", "not a whole number of 0 or more", wrong, values)
    out["beneficiaries"] = pc.if_else(pa.array(wrong), None, numbers).cast(pa.int64())


def _quarantine_table(
    checks: _Checks, file: str, rows: pa.Array, names: dict[str, str]
) -> pa.Table:
    parts = []
    for index, (name, reason, raw) in enumerate(checks.entries):
        idx = pa.array(np.flatnonzero(checks.first == index))
        if name == "patient_id":
            value = pa.array([REDACTED] * len(idx), pa.string())
        else:
            value = pc.utf8_slice_codeunits(
                pc.fill_null(raw.take(idx).cast(pa.string()), ""), 0, MAX_VALUE_CHARS
            )
        parts.append(quarantine_rows(file, rows.take(idx), names.get(name, name), reason, value))
    if not parts:
        return QUARANTINE_SCHEMA.empty_table()
    return pa.concat_tables(parts)


def quarantine_rows(
    file: str, rows: pa.Array, field_name: str, reason: str, values: pa.Array
) -> pa.Table:
    """Quarantine rows sharing one file, field and reason."""
    n = len(rows)
    return pa.table(
        [
            pa.array([file] * n, pa.string()),
            rows.cast(pa.int64()),
            pa.array([field_name] * n, pa.string()),
            pa.array([reason] * n, pa.string()),
            values.cast(pa.string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )
