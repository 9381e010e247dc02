"""The quarantine and warnings CSVs of one batch: ``file,row,field,reason,value``.

The quarantine file has one line per row not loaded; the warnings file one line per value of
a loaded row that failed validation and was loaded as unknown (or, for notes such as
fractional units, as given), with the raw value for audit. Both are written under the staging
folder while the file is read and moved with the batch (only when they have rows) to
``<store>/quarantine/<batch_id>.csv`` and ``<store>/warnings/<batch_id>.csv``.
Values of the ``patient_id`` field are replaced by ``<redacted>``: raw patient ids are never
written anywhere.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from claimscope.ingest.base import QuarantineRecord
from claimscope.ingest.validate import MAX_VALUE_CHARS, QUARANTINE_SCHEMA, REDACTED
from claimscope.store.layout import Store

PATIENT_FIELDS = frozenset({"patient_id"})
WARNINGS_DIR = "warnings"


def warnings_file(store: Store, batch_id: str) -> Path:
    """Where a batch's warnings CSV lives once the batch is committed."""
    return store.root / WARNINGS_DIR / f"{batch_id}.csv"


class QuarantineWriter:
    """Appends quarantine-shaped rows (quarantine or warnings) to a CSV file, created on the
    first row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        # (field, reason) -> rows, so the report can say why rows were not loaded.
        self.reasons: Counter[tuple[str, str]] = Counter()
        self._writer: pacsv.CSVWriter | None = None

    def write_table(self, table: pa.Table) -> None:
        """Append rows shaped like :data:`QUARANTINE_SCHEMA`."""
        if table.num_rows == 0:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pacsv.CSVWriter(str(self.path), QUARANTINE_SCHEMA)
        self._writer.write_table(table.cast(QUARANTINE_SCHEMA))
        self.rows += table.num_rows
        tally = table.group_by(["field", "reason"]).aggregate([("row", "count")])
        for row in tally.to_pylist():
            self.reasons[(row["field"], row["reason"])] += row["row_count"]

    def write_records(self, records: Sequence[QuarantineRecord]) -> None:
        """Append rows a reader rejected itself (patient-id values redacted)."""
        if not records:
            return
        values = [
            REDACTED if r.field in PATIENT_FIELDS else r.value[:MAX_VALUE_CHARS] for r in records
        ]
        table = pa.table(
            {
                "file": [r.file for r in records],
                "row": pa.array([r.row for r in records], pa.int64()),
                "field": [r.field for r in records],
                "reason": [r.reason for r in records],
                "value": values,
            },
            schema=QUARANTINE_SCHEMA,
        )
        self.write_table(table)

    def commit(self, target: Path) -> Path | None:
        """Close and move the file to ``target``; None when nothing was quarantined."""
        if self._writer is None:
            return None
        self._writer.close()
        self._writer = None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        return target

    def abort(self) -> None:
        """Close and delete the file."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.path.unlink(missing_ok=True)
