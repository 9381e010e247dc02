"""The contract between format readers and the shared ingest pipeline.

A reader turns one input file into a stream of :class:`StagingBatch` objects: an Arrow table
whose columns are a subset of :data:`claimscope.schema.STAGING_COLUMNS` (missing columns are
treated as null) plus any rows the reader itself could not parse, as :class:`QuarantineRecord`.
The pipeline (:mod:`claimscope.ingest.pipeline`) validates, types, pseudonymises and writes the
rows, quarantining the invalid ones with the same record shape, so that for every file
``read == loaded + quarantined`` holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa


class IngestError(Exception):
    """A whole file cannot be read (wrong format, unreadable, truncated). Names the file."""


@dataclass(frozen=True)
class QuarantineRecord:
    """One input row that was not loaded, and why.

    ``row`` is 1-based within ``file`` (data rows for tabular files, segment number for X12,
    line number for NDJSON, entry index for Bundles); ``field`` names the offending column,
    element or JSON path; ``value`` is the offending raw value (truncated, never a patient id).
    """

    file: str
    row: int
    field: str
    reason: str
    value: str = ""


@dataclass
class StagingBatch:
    """Rows read from one file, as strings, plus the rows the reader rejected itself.

    ``rows_read`` counts every input row this batch accounts for (``table.num_rows`` plus
    ``len(quarantined)``), so that readers which fan one record out into several lines (an EDI
    claim with many service lines) still reconcile.

    Optional extras: ``warnings`` are file-level notes for the ingest report (e.g. columns
    ignored); ``bytes_read`` is how far into the file the reader has got (for progress bars);
    ``field_names`` maps staging column names to the source's own column names, so quarantine
    records name the column the user sees in the file (``units`` -> ``Tot_Srvcs``).
    """

    table: pa.Table
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    rows_read: int | None = None
    warnings: list[str] = field(default_factory=list)
    bytes_read: int | None = None
    field_names: Mapping[str, str] | None = None

    @property
    def read_count(self) -> int:
        if self.rows_read is not None:
            return self.rows_read
        return self.table.num_rows + len(self.quarantined)


@dataclass(frozen=True)
class ReadOptions:
    """Options every reader receives; ``batch_rows`` bounds memory per batch.

    ``year`` is the calendar year of an annual aggregate file (CMS PUF) when its name does not
    say; ``providers`` is an optional provider file used to enrich lines (Tuva provider layout).
    Readers ignore options that do not apply to them.
    """

    batch_rows: int = 500_000
    year: int | None = None
    providers: Path | None = None


class FormatReader(Protocol):
    """A source format: how to recognise it and how to read it into staging batches.

    A reader may also define ``default_source(path, options) -> str``, the source label used
    when the user gives none (e.g. ``cms_puf_2012``); otherwise the label is the format name.
    """

    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the first bytes (``head``, up to 64 KiB) look like this format."""
        ...

    def read(self, path: Path, options: ReadOptions) -> Iterator[StagingBatch]:
        """Yield staging batches; raise :class:`IngestError` when the file cannot be read."""
        ...
