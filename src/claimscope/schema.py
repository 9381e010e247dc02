"""The canonical claim-line columns and their types, documented once.

Every source format is turned into rows of :data:`CLAIM_LINE` before it reaches the store.
Two kinds of record share the table:

* ``line`` records are single claim lines (one service on one claim, possibly several units);
* ``aggregate`` records already sum many services (the CMS provider-by-service public use
  file): they carry their own ``units`` (services) and ``beneficiaries`` counts and an annual
  period instead of a service date, and have no claim, line or patient identity.

Format readers do not build canonical rows themselves: they emit *staging* tables whose
columns are named in :data:`STAGING_COLUMNS` (all strings, as read), and the shared ingest
pipeline validates, types, pseudonymises and writes them. That keeps validation and
quarantine in one place for every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

RECORD_KINDS: Final = ("line", "aggregate")
CLAIM_TYPES: Final = ("professional", "institutional")
PAYER_TYPES: Final = ("medicare", "medicare_advantage", "medicaid", "commercial", "other")
LINE_STATUSES: Final = ("paid", "denied", "unknown")
SETTINGS: Final = ("facility", "non_facility")
MODIFIER_COLUMNS: Final = ("modifier_1", "modifier_2", "modifier_3", "modifier_4")


@dataclass(frozen=True)
class Column:
    """One canonical column: its Arrow type and what it means."""

    name: str
    type: pa.DataType
    doc: str
    required: bool = False


COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        "source",
        pa.string(),
        "Dataset label given at ingest (e.g. `synthetic`, `cms_puf_2012`).",
        True,
    ),
    Column(
        "source_format",
        pa.string(),
        "Reader that produced the row: generic, cms_puf, tuva, x12_837p, x12_837i, fhir_eob, cms_rif.",
        True,
    ),
    Column(
        "record_kind",
        pa.string(),
        "`line` for a claim line, `aggregate` for a row that already sums many services.",
        True,
    ),
    Column(
        "claim_id", pa.string(), "Claim identifier as the source gives it (null for aggregates)."
    ),
    Column(
        "claim_frequency",
        pa.string(),
        "Claim frequency code (CLM05-3): 1 original, 7 replacement, 8 void; null when unknown.",
    ),
    Column(
        "claim_type", pa.string(), "`professional` (837P/CMS-1500) or `institutional` (837I/UB-04)."
    ),
    Column("line_number", pa.int32(), "Line number within the claim (null for aggregates)."),
    Column(
        "patient_key",
        pa.int64(),
        "64-bit keyed hash of the source patient id (per-store secret). Raw ids are never stored.",
    ),
    Column(
        "record_key",
        pa.int64(),
        "Permanent random key of the row, 0 to 2^32-1, derived at ingest from the per-store "
        "secret and the row's source, file and row number; published counts get noise indexed "
        "by the sum of their rows' keys (cell-key perturbation, docs/privacy.md).",
    ),
    Column(
        "service_from",
        pa.date32(),
        "First date of service; for aggregates the first day of the period.",
        True,
    ),
    Column(
        "service_to",
        pa.date32(),
        "Last date of service; for aggregates the last day of the period.",
        True,
    ),
    Column(
        "service_month",
        pa.date32(),
        "First day of the month of `service_from`; the store is partitioned and sorted on it.",
        True,
    ),
    Column(
        "period_end_month",
        pa.date32(),
        "First day of the month of the last month the row covers (lines: = service_month).",
        True,
    ),
    Column("rendering_npi", pa.string(), "Rendering provider NPI (10 digits, check digit valid)."),
    Column("billing_npi", pa.string(), "Billing provider NPI."),
    Column(
        "rendering_taxonomy",
        pa.string(),
        "NUCC taxonomy code of the rendering provider (e.g. 225100000X).",
    ),
    Column(
        "specialty",
        pa.string(),
        "claimscope specialty slug (e.g. physical_therapy), from taxonomy, CMS specialty code or provider-type text.",
    ),
    Column(
        "payer_type",
        pa.string(),
        "medicare, medicare_advantage, medicaid, commercial or other.",
        True,
    ),
    Column(
        "state", pa.string(), "Two-letter US state (or territory) of service or of the provider."
    ),
    Column(
        "place_of_service",
        pa.string(),
        "CMS two-digit place-of-service code (professional claims).",
    ),
    Column(
        "setting",
        pa.string(),
        "`facility` or `non_facility`, from the place of service or given by the source (CMS F/O).",
    ),
    Column("revenue_code", pa.string(), "Four-digit UB-04 revenue code (institutional claims)."),
    Column(
        "hcpcs_code",
        pa.string(),
        "Five-character HCPCS Level I (CPT) or Level II code, upper case.",
        True,
    ),
    Column("modifier_1", pa.string(), "First HCPCS modifier."),
    Column("modifier_2", pa.string(), "Second HCPCS modifier."),
    Column("modifier_3", pa.string(), "Third HCPCS modifier."),
    Column("modifier_4", pa.string(), "Fourth HCPCS modifier."),
    Column("units", pa.float64(), "Units of service (aggregates: total services).", True),
    Column(
        "beneficiaries",
        pa.int64(),
        "Aggregates only: distinct beneficiaries behind the row (not additive across rows).",
    ),
    Column("charge_amount", pa.float64(), "Submitted charge, USD (aggregates: total)."),
    Column("allowed_amount", pa.float64(), "Allowed amount, USD (aggregates: total)."),
    Column("paid_amount", pa.float64(), "Paid amount, USD (aggregates: total)."),
    Column("line_status", pa.string(), "paid, denied or unknown.", True),
    Column(
        "batch_id", pa.string(), "Ingest batch that loaded the row (see the store ledger).", True
    ),
    Column("source_file", pa.string(), "File the row came from.", True),
    Column(
        "source_row",
        pa.int64(),
        "Row (or, for EDI, segment) number within that file, 1-based.",
        True,
    ),
)

CLAIM_LINE: Final[pa.Schema] = pa.schema([pa.field(c.name, c.type, nullable=True) for c in COLUMNS])
COLUMN_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS)

# Staging: what a format reader hands to the ingest pipeline. Strings as read (or already
# typed Arrow values where the reader knows them); the pipeline does validation and typing.
# `patient_id` is the raw identifier: it is hashed by the pipeline and never written.
STAGING_COLUMNS: Final[tuple[str, ...]] = (
    "record_kind",
    "claim_id",
    "claim_frequency",
    "claim_type",
    "line_number",
    "patient_id",
    "service_from",
    "service_to",
    "rendering_npi",
    "billing_npi",
    "rendering_taxonomy",
    "specialty",
    "medicare_specialty_code",
    "provider_type",
    "payer_type",
    "state",
    "place_of_service",
    "setting",
    "revenue_code",
    "hcpcs_code",
    *MODIFIER_COLUMNS,
    "units",
    "beneficiaries",
    "charge_amount",
    "allowed_amount",
    "paid_amount",
    "line_status",
    "source_row",
)


def column_docs_markdown() -> str:
    """Render the canonical columns as a Markdown table (used by docs and a docs test)."""
    lines = ["| column | type | required | meaning |", "|---|---|---|---|"]
    for c in COLUMNS:
        lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {c.doc} |")
    return "\n".join(lines)
