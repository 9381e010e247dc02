"""Normalising coded staging fields: spellings accepted per field, and what is invalid.

Each function receives ``col(name) -> raw array`` and a finding callback
``report(field, reason, bad_mask, raw)`` of the validator, and returns the normalised columns.
Accepted spellings are translation tables, matched case-insensitively after trimming. Only
``record_kind`` is structural (an unknown kind quarantines the row); every other field here
is an identifier or a description: a value that fails validation is loaded as null and
reported as a soft finding (warning, or quarantine under ``strict``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import parse
from claimscope.schema import CLAIM_TYPES, LINE_STATUSES, MODIFIER_COLUMNS, RECORD_KINDS, SETTINGS

Col = Callable[[str], pa.Array]
Add = Callable[[str, str, np.ndarray, pa.Array], None]

RECORD_KIND_ALIASES: Final = {kind: kind for kind in RECORD_KINDS}
CLAIM_TYPE_ALIASES: Final = {
    "professional": "professional", "p": "professional", "837p": "professional",
    "cms-1500": "professional", "carrier": "professional", "dme": "professional",
    "institutional": "institutional", "i": "institutional", "837i": "institutional",
    "ub-04": "institutional", "outpatient": "institutional", "inpatient": "institutional",
}  # fmt: skip
SETTING_ALIASES: Final = {
    "facility": "facility", "f": "facility",
    "non_facility": "non_facility", "non-facility": "non_facility", "nonfacility": "non_facility",
    "o": "non_facility",
}  # fmt: skip
LINE_STATUS_ALIASES: Final = {
    "paid": "paid", "p": "paid", "allowed": "paid",
    "denied": "denied", "d": "denied", "rejected": "denied",
    "unknown": "unknown",
}  # fmt: skip

# The schema's vocabulary of each enumerated field: what the alias tables translate into.
VOCABULARY: Final = {
    "record_kind": RECORD_KINDS,
    "claim_type": CLAIM_TYPES,
    "setting": SETTINGS,
    "line_status": LINE_STATUSES,
}

MODIFIER_PATTERN: Final = r"^[A-Z0-9]{2}$"
POS_PATTERN: Final = r"^[0-9]{2}$"
REVENUE_PATTERN: Final = r"^[0-9]{4}$"
TAXONOMY_PATTERN: Final = r"^[0-9]{3}[0-9A-Z]{6}X$"
STATE_PATTERN: Final = r"^[A-Z]{2}$"
FREQUENCY_PATTERN: Final = r"^[0-9]$"
MEDICARE_SPECIALTY_PATTERN: Final = r"^[0-9A-Z]{2}$"
# Descriptive fields: (field, pattern, reason when a value does not match).
DESCRIPTIVE: Final = (
    ("rendering_taxonomy", TAXONOMY_PATTERN, "not a NUCC taxonomy code (10 characters, ending X)"),
    ("state", STATE_PATTERN, "not a two-letter state code"),
    ("claim_frequency", FREQUENCY_PATTERN, "not a claim frequency code (1 digit)"),
    ("medicare_specialty_code", MEDICARE_SPECIALTY_PATTERN,
     "not a CMS specialty code (2 letters/digits)"),
)  # fmt: skip


def translate(values: pa.Array, table: Mapping[str, str]) -> tuple[pa.Array, np.ndarray]:
    """Map spellings through ``table`` (case-insensitive); returns (mapped, present-but-unknown)."""
    text = parse.clean_strings(values)
    if text.null_count == len(text):
        return text, np.zeros(len(text), dtype=bool)
    keys = pa.array(list(table), pa.string())
    targets = pa.array(list(table.values()), pa.string())

    def fn(dictionary: pa.Array) -> pa.Array:
        return pc.take(targets, pc.index_in(pc.utf8_lower(dictionary), value_set=keys))

    mapped = parse.map_dictionary(text, fn)
    return mapped, parse.present(text) & ~parse.present(mapped)


def _enum(name: str, table: Mapping[str, str], col: Col, add: Add) -> pa.Array:
    """Translated values; unknown spellings become null (``translate`` maps them to null)."""
    mapped, unknown = translate(col(name), table)
    accepted = ", ".join(VOCABULARY[name])
    add(name, f"unknown {name.replace('_', ' ')} (accepted: {accepted})", unknown, col(name))
    return mapped


def normalise_kind(col: Col, add: Add) -> pa.Array:
    """``record_kind``; missing means ``line``."""
    kind = _enum("record_kind", RECORD_KIND_ALIASES, col, add)
    return pc.fill_null(kind, "line")


def _padded(values: pa.Array, width: int) -> pa.Array:
    """Digit codes left-padded with zeros to ``width`` (``1`` -> ``01``); others unchanged."""
    text = parse.clean_strings(values, upper=True)
    if text.null_count == len(text):
        return text

    def fn(d: pa.Array) -> pa.Array:
        digits = pc.match_substring_regex(d, r"^[0-9]+$")
        return pc.if_else(digits, pc.utf8_lpad(d, width, "0"), d)

    return parse.map_dictionary(text, fn)


def _coded(name: str, values: pa.Array, pattern: str, reason: str, add: Add) -> pa.Array:
    """``values`` with those not matching ``pattern`` reported and set to null."""
    bad = parse.present(values) & ~parse.regex_valid(values, pattern)
    add(name, reason, bad, values)
    return parse.null_where(values, bad)


def _npi(name: str, col: Col, add: Add) -> pa.Array:
    """An NPI column: malformed values and failed check digits reported and set to null."""
    npi = parse.clean_strings(col(name))
    has = parse.present(npi)
    shaped = has & parse.npi_shaped(npi)
    add(name, "not an NPI (10 digits)", has & ~shaped, col(name))
    wrong_digit = shaped & ~parse.npi_valid(npi)
    add(name, "NPI check digit does not match", wrong_digit, col(name))
    return parse.null_where(npi, (has & ~shaped) | wrong_digit)


def normalise_codes(col: Col, add: Add) -> dict[str, pa.Array]:
    """NPIs, modifiers, place of service, revenue code, claim type, setting, line status, and
    the descriptive fields; every invalid value is reported through ``add`` and set to null."""
    out: dict[str, pa.Array] = {
        name: _npi(name, col, add) for name in ("rendering_npi", "billing_npi")
    }
    for name in MODIFIER_COLUMNS:
        mod = parse.clean_strings(col(name), upper=True)
        out[name] = _coded(name, mod, MODIFIER_PATTERN, "not a modifier (2 letters/digits)", add)
    pos = _padded(col("place_of_service"), 2)
    out["place_of_service"] = _coded(
        "place_of_service", pos, POS_PATTERN, "not a place-of-service code (2 digits)", add
    )
    rev = _padded(col("revenue_code"), 4)
    out["revenue_code"] = _coded(
        "revenue_code", rev, REVENUE_PATTERN, "not a revenue code (4 digits)", add
    )
    for name, table in (("claim_type", CLAIM_TYPE_ALIASES), ("setting", SETTING_ALIASES),
                        ("line_status", LINE_STATUS_ALIASES)):  # fmt: skip
        out[name] = _enum(name, table, col, add)
    for name, pattern, reason in DESCRIPTIVE:
        values = col(name)
        if name == "medicare_specialty_code":
            values = _padded(values, 2)
        out[name] = _coded(name, parse.clean_strings(values, upper=True), pattern, reason, add)
    for name in ("provider_type", "specialty", "payer_type"):
        out[name] = parse.clean_strings(col(name))
    return out
