"""Build tiny canonical stores in tests: rows as dicts, sensible defaults for the rest."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from claimscope.schema import CLAIM_LINE, COLUMN_NAMES


def line(
    code: str, *, month: str = "2023-01", units: float = 1, patient: int = 1, **extra: Any
) -> dict[str, Any]:
    """A claim line record with defaults: one unit, commercial, paid, physical therapy."""
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    record: dict[str, Any] = {
        "source": "test",
        "source_format": "generic",
        "record_kind": "line",
        "claim_id": f"c{patient}-{month}",
        "line_number": 1,
        "patient_key": patient,
        "service_from": first,
        "service_to": first,
        "service_month": first,
        "period_end_month": first,
        "rendering_npi": "1234567893",
        "specialty": "physical_therapy",
        "payer_type": "commercial",
        "state": "CA",
        "place_of_service": "11",
        "setting": "non_facility",
        "hcpcs_code": code,
        "units": float(units),
        "allowed_amount": 30.0 * units,
        "paid_amount": 25.0 * units,
        "line_status": "paid",
        "batch_id": "b1",
        "source_file": "test.csv",
        "source_row": 1,
    }
    record.update(extra)
    # A stable stand-in for the ingest's record key (see ingest.pseudonymise.record_keys).
    identity = f"{code}|{month}|{patient}|{sorted(extra.items())}".encode()
    record.setdefault(
        "record_key", int.from_bytes(hashlib.blake2b(identity, digest_size=4).digest())
    )
    return record


def lines_for(
    code: str, patients: int, *, first_patient: int = 1, **extra: Any
) -> list[dict[str, Any]]:
    """One line of ``code`` for each of ``patients`` distinct patients."""
    return [line(code, patient=first_patient + i, **extra) for i in range(patients)]


def write_store(root: Path, records: list[dict[str, Any]]) -> Path:
    """Write records in the store layout (lines/<source>/<YYYY-MM>/part-*.parquet)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        month: date = record["service_month"]
        groups[(record["source"], f"{month.year:04d}-{month.month:02d}")].append(record)
    for (source, month_label), rows in groups.items():
        folder = root / "lines" / source / month_label
        folder.mkdir(parents=True, exist_ok=True)
        columns = {name: [r.get(name) for r in rows] for name in COLUMN_NAMES}
        pq.write_table(pa.table(columns, schema=CLAIM_LINE), folder / "part-test-0.parquet")
    return root
