"""Helpers shared by the claim-format reader tests (X12, FHIR, RIF, round trips).

Kept in a ``test_x12_*`` module because that is the file namespace these tests own; it holds
no tests itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from claimscope.ingest.base import FormatReader, QuarantineRecord, ReadOptions
from claimscope.ingest.validate import Limits, check_batch


@dataclass
class ReadResult:
    """Everything a reader produced for one file, batches combined."""

    table: pa.Table
    quarantined: list[QuarantineRecord]
    read_count: int
    batches: int

    def rows(self) -> list[dict[str, object]]:
        """Rows as dicts, in file order."""
        return self.table.to_pylist()

    def column(self, name: str) -> list[object]:
        """One column as a list."""
        return self.table.column(name).to_pylist()


def read_all(reader: FormatReader, path: Path, batch_rows: int = 500_000) -> ReadResult:
    """Read ``path`` completely with ``reader`` and combine its batches."""
    batches = list(reader.read(path, ReadOptions(batch_rows=batch_rows)))
    assert batches, "a reader yields at least one batch"
    for batch in batches:
        assert batch.read_count == batch.table.num_rows + len(batch.quarantined)
    tables = [b.table for b in batches if b.table.num_rows]
    table = pa.concat_tables(tables, promote_options="default") if tables else batches[0].table
    quarantined = [q for b in batches for q in b.quarantined]
    return ReadResult(table, quarantined, sum(b.read_count for b in batches), len(batches))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (str as Latin-1) to ``tmp_path / name``; return the path."""
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1") if isinstance(content, str) else content)
    return path


def loads_cleanly(result: ReadResult) -> np.ndarray:
    """Which rows of ``result`` pass the pipeline's validation (default, non-strict)."""
    table = result.table
    checked = check_batch(
        table,
        file="fuzz",
        rows=pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)),
        limits=Limits(today=date(2030, 1, 1)),
    )
    return checked.good
