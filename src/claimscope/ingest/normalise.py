"""Normalising coded staging fields: spellings accepted per field, and what is invalid.

Each function receives ``col(name) -> raw array`` and ``add(field, reason, bad_mask, raw)``
(the validator's check accumulator) and returns the normalised columns. Accepted spellings are
translation tables, matched case-insensitively after trimming; a value outside the table is a
data error (row quarantined) for fields the analyses filter on, and a warning (value loaded as
null) for descriptive fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import parse
from claimscope.schema import MODIFIER_COLUMNS

Col = Callable[[str], pa.Array]
Add = Callable[[str, str, np.ndarray, pa.Array], None]
Warn = Callable[[str, np.ndarray], None]

RECORD_KIND_ALIASES: Final = {"line": "line", "aggregate": "aggregate"}
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

MODIFIER_PATTERN: Final = r"^[A-Z0-9]{2}$"
POS_PATTERN: Final = r"^[0-9]{2}$"
REVENUE_PATTERN: Final = r"^[0-9]{4}$"
TAXONOMY_PATTERN: Final = r"^[0-9]{3}[0-9A-Z]{6}X$"
STATE_PATTERN: Final = r"^[A-Z]{2}$"
FREQUENCY_PATTERN: Final = r"^[0-9]$"
MEDICARE_SPECIALTY_PATTERN: Final = r"^[0-9A-Z]{2}$"


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
    mapped, unknown = translate(col(name), table)
    accepted = ", ".join(sorted(set(table.values())))
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
    bad = parse.present(values) & ~parse.regex_valid(values, pattern)
    add(name, reason, bad, values)
    return values


def normalise_codes(col: Col, add: Add, warn: Warn) -> dict[str, pa.Array]:
    """NPIs, modifiers, place of service, revenue code, claim type, setting, line status
    (quarantine when invalid), then the descriptive fields (null + warning when invalid)."""
    out: dict[str, pa.Array] = {}
    for name in ("rendering_npi", "billing_npi"):
        npi = parse.clean_strings(col(name))
        bad = parse.present(npi) & ~parse.npi_valid(npi)
        add(name, "not a valid NPI (10 digits ending in the check digit)", bad, col(name))
        out[name] = npi
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
    out["claim_type"] = _enum("claim_type", CLAIM_TYPE_ALIASES, col, add)
    out["setting"] = _enum("setting", SETTING_ALIASES, col, add)
    out["line_status"] = _enum("line_status", LINE_STATUS_ALIASES, col, add)
    out["rendering_taxonomy"] = _descriptive(
        col("rendering_taxonomy"), TAXONOMY_PATTERN, "rendering_taxonomy", warn
    )
    out["state"] = _descriptive(col("state"), STATE_PATTERN, "state", warn)
    out["claim_frequency"] = _descriptive(
        col("claim_frequency"), FREQUENCY_PATTERN, "claim_frequency", warn
    )
    out["medicare_specialty_code"] = _descriptive(
        _padded(col("medicare_specialty_code"), 2),
        MEDICARE_SPECIALTY_PATTERN,
        "medicare_specialty_code",
        warn,
    )
    for name in ("provider_type", "specialty", "payer_type"):
        out[name] = parse.clean_strings(col(name))
    return out


def _descriptive(values: pa.Array, pattern: str, name: str, warn: Warn) -> pa.Array:
    text = parse.clean_strings(values, upper=True)
    bad = parse.present(text) & ~parse.regex_valid(text, pattern)
    if bad.any():
        warn(f"{name}: malformed value loaded as null", bad)
        text = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)
    return text
