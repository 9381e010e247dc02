"""Row validation of staging batches, vectorised: every check is a whole-column operation.

Two kinds of finding:

* *hard*: the row has no usable record kind, HCPCS code, service date or quantity (units).
  It cannot be counted, so it is quarantined with the *first* hard check it fails (checks
  run in the order of :func:`check_batch`; one reason per row);
* *soft*: an identifier or descriptive value fails validation (NPI check digit, taxonomy,
  state, modifier, place of service, amounts, missing claim or patient id...). The service
  happened, so the row loads with that value unknown (null); the raw value is kept for audit
  in the batch's warnings file and counted per field and reason. With ``strict`` a soft
  finding quarantines the row instead, as a hard one does.

A few *notes* never quarantine (fractional units load as given and are counted). Quarantine
and warnings rows share one shape, ``file, row, field, reason, value``; only those rows are
touched in Python.
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

QUARANTINE_SCHEMA: Final = pa.schema(
    [("file", pa.string()), ("row", pa.int64()), ("field", pa.string()),
     ("reason", pa.string()), ("value", pa.string())]
)  # fmt: skip
HCPCS_PATTERN: Final = r"^[A-Z0-9][0-9]{3}[A-Z0-9]$"
EARLIEST_SERVICE: Final = date(1990, 1, 1)
MAX_VALUE_CHARS: Final = 100
REDACTED: Final = "<redacted>"
AMOUNT_COLUMNS: Final = ("charge_amount", "allowed_amount", "paid_amount")

NOT_A_DATE: Final = (
    "not a date (expected YYYY-MM-DD, an ISO timestamp, M/D/YYYY, YYYYMMDD or an Excel serial)"
)
IMPOSSIBLE_DATE: Final = "impossible date (no such day or month)"
FRACTIONAL_UNITS: Final = "fractional units, loaded as given"


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
    """Typed columns of a staging batch, which rows passed, quarantine rows for the rest, and
    warnings rows (same shape) for soft findings on the rows that passed."""

    columns: dict[str, pa.Array]
    good: np.ndarray
    quarantine: pa.Table
    flagged: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    warnings: Counter[tuple[str, str]] = field(default_factory=Counter)


class _Checks:
    """Accumulates findings in check order: hard ones quarantine, soft ones warn."""

    def __init__(self, n: int, strict: bool) -> None:
        self.first = np.full(n, -1, dtype=np.int16)
        self.strict = strict
        self.entries: list[tuple[str, str, pa.Array]] = []
        self.soft_entries: list[tuple[str, str, np.ndarray, pa.Array]] = []

    def add(self, name: str, reason: str, bad: np.ndarray, raw: pa.Array) -> None:
        """A hard finding: ``bad`` rows are quarantined (unless an earlier check took them)."""
        if not bad.any():
            return
        fresh = bad & (self.first < 0)
        if fresh.any():
            self.first[fresh] = len(self.entries)
            self.entries.append((name, reason, raw))

    def soft(self, name: str, reason: str, bad: np.ndarray, raw: pa.Array) -> None:
        """A value that fails validation: loaded as null with a warning (strict: quarantined)."""
        if self.strict:
            self.add(name, reason, bad, raw)
        else:
            self.note(name, reason, bad, raw)

    def note(self, name: str, reason: str, rows: np.ndarray, raw: pa.Array) -> None:
        """A warning that never quarantines (the value loads as given or as null)."""
        if rows.any():
            self.soft_entries.append((name, reason, rows, raw))

    def warnings(self) -> Counter[tuple[str, str]]:
        """(field, reason) -> loaded rows with that finding."""
        good = self.first < 0
        counts: Counter[tuple[str, str]] = Counter()
        for name, reason, rows, _ in self.soft_entries:
            hits = int((rows & good).sum())
            if hits:
                counts[(name, reason)] += hits
        return counts


def check_batch(
    staging: pa.Table,
    *,
    file: str,
    rows: pa.Array,
    limits: Limits,
    field_names: dict[str, str] | None = None,
    strict: bool = False,
) -> Checked:
    """Validate and type one staging table; ``rows`` holds each row's 1-based input row."""
    n = staging.num_rows
    raw = {name: parse.as_array(staging.column(name)) for name in staging.column_names}
    missing = pa.nulls(n, pa.string())

    def col(name: str) -> pa.Array:
        return raw.get(name, missing)

    checks = _Checks(n, strict)
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
        checks.soft(
            name, f"missing {name.replace('_', ' ')}", is_line & ~parse.present(value), value
        )
        out[name] = value
    _check_line_number(col("line_number"), checks, out)
    out.update(normalise_codes(col, checks.soft))
    for name in AMOUNT_COLUMNS:
        _check_amount(name, col(name), checks, out, limits)
    _check_beneficiaries(col("beneficiaries"), checks, out)
    good = checks.first < 0
    names = field_names or {}
    return Checked(
        columns=out,
        good=good,
        quarantine=_quarantine_table(checks, file, rows, names),
        flagged=_flagged_table(checks, file, rows, names),
        warnings=Counter({(names.get(f, f), r): c for (f, r), c in checks.warnings().items()}),
    )


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
    today = np.datetime64(limits.today or date.today(), "D")
    earliest = np.datetime64(limits.earliest, "D")
    start = parse.parse_dates(from_raw)
    start_days = _days(start.dates)
    missing = ~start.not_date & ~start.impossible & np.isnat(start_days)
    checks.add("service_from", "missing service date", missing, from_raw)
    checks.add("service_from", NOT_A_DATE, start.not_date, from_raw)
    checks.add("service_from", IMPOSSIBLE_DATE, start.impossible, from_raw)
    checks.add(
        "service_from", f"before {limits.earliest.isoformat()}", start_days < earliest, from_raw
    )
    checks.add("service_from", "in the future", start_days > today, from_raw)
    end_parsed = parse.parse_dates(to_raw)
    end = pc.coalesce(end_parsed.dates, start.dates)
    end_days = _days(end)
    checks.add("service_to", NOT_A_DATE, end_parsed.not_date, to_raw)
    checks.add("service_to", IMPOSSIBLE_DATE, end_parsed.impossible, to_raw)
    checks.add("service_to", "before service_from", end_days < start_days, to_raw)
    checks.add("service_to", "in the future", end_days > today, to_raw)
    out["service_from"], out["service_to"] = start.dates, end


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
        checks.note("units", FRACTIONAL_UNITS, (arr > 0) & ~parse.integral(units), values)
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
    checks.soft("line_number", "not a whole number from 1", wrong, values)
    out["line_number"] = pc.if_else(pa.array(wrong), None, numbers).cast(pa.int32())


def _check_amount(
    name: str, values: pa.Array, checks: _Checks, out: dict[str, pa.Array], limits: Limits
) -> None:
    amounts, bad = parse.parse_numbers(values)
    checks.soft(name, "not a number", bad, values)
    arr = np.asarray(amounts.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        huge = np.abs(arr) > limits.max_abs_amount
    checks.soft(name, f"beyond +/-{limits.max_abs_amount:,.0f} USD", huge, values)
    out[name] = parse.null_where(amounts, huge)


def _check_beneficiaries(values: pa.Array, checks: _Checks, out: dict[str, pa.Array]) -> None:
    if values.null_count == len(values):
        out["beneficiaries"] = pa.nulls(len(values), pa.int64())
        return
    numbers, bad = parse.parse_numbers(values)
    arr = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        wrong = bad | (~np.isnan(arr) & (~parse.integral(numbers) | (arr < 0)))
    checks.soft("beneficiaries", "not a whole number of 0 or more", wrong, values)
    out["beneficiaries"] = pc.if_else(pa.array(wrong), None, numbers).cast(pa.int64())


def _quarantine_table(
    checks: _Checks, file: str, rows: pa.Array, names: dict[str, str]
) -> pa.Table:
    parts = [
        _finding_rows(file, rows, np.flatnonzero(checks.first == index), names, name, reason, raw)
        for index, (name, reason, raw) in enumerate(checks.entries)
    ]
    return pa.concat_tables(parts) if parts else QUARANTINE_SCHEMA.empty_table()


def _flagged_table(checks: _Checks, file: str, rows: pa.Array, names: dict[str, str]) -> pa.Table:
    """Warnings-file rows: one per soft finding on a row that was loaded."""
    good = checks.first < 0
    parts = [
        _finding_rows(file, rows, np.flatnonzero(mask & good), names, name, reason, raw)
        for name, reason, mask, raw in checks.soft_entries
        if (mask & good).any()
    ]
    return pa.concat_tables(parts) if parts else QUARANTINE_SCHEMA.empty_table()


def _finding_rows(
    file: str,
    rows: pa.Array,
    positions: np.ndarray,
    names: dict[str, str],
    name: str,
    reason: str,
    raw: pa.Array,
) -> pa.Table:
    """Rows ``positions`` as quarantine-shaped records (raw values cut short; ids redacted)."""
    idx = pa.array(positions)
    if name == "patient_id":
        value = pa.array([REDACTED] * len(idx), pa.string())
    else:
        value = pc.utf8_slice_codeunits(
            pc.fill_null(raw.take(idx).cast(pa.string()), ""), 0, MAX_VALUE_CHARS
        )
    return quarantine_rows(file, rows.take(idx), names.get(name, name), reason, value)


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
