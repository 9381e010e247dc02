"""Compaction: Delta's optimize, one commit that rewrites small files of each month.

Every ingested file writes its own file into each month it touches, so a store fed many
small files collects many small files per month, and every query opens them all. Delta's
Z-order optimize on ``hcpcs_code`` rewrites each month partition's files as few files
sorted by code (one column: the Z-curve is plain code order), so the store keeps its order
of month then code. It is one commit with ``dataChange=false`` actions: no reader ever sees
a change of content, and versions before it still read their old files until vacuumed.
Rows keep their ``batch_id``, so a later ``ingest --replace`` still removes exactly one
batch's rows (see :mod:`claimscope.store.batches`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from deltalake import CommitProperties, WriterProperties

from claimscope.store.layout import Store
from claimscope.store.table import PARTITION, RECORD_KEY, open_table, snapshot_of

SORT_COLUMN: Final = "hcpcs_code"


@dataclass
class CompactReport:
    """What compaction did: months rewritten, files before and after, rows moved."""

    folders: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    version: int | None = None
    rewritten: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folders": self.folders,
            "files_before": self.files_before,
            "files_after": self.files_after,
            "rows": self.rows,
            "version": self.version,
        }


def compact_store(store: Store, *, source: str | None = None, min_files: int = 2) -> CompactReport:
    """Optimize every month partition holding ``min_files`` or more files, in one commit.

    ``source`` is accepted for the command's compatibility; Delta partitions are months, so
    every source's files of a month are compacted together.
    """
    del source  # months, not sources, are the unit of a Delta partition
    report = CompactReport()
    with store.lock():
        table = open_table(store)
        before = snapshot_of(table, store)
        per_month = Counter(f.month for f in before.files)
        months = sorted(m for m, n in per_month.items() if n >= min_files)
        if not months:
            return report
        table.optimize.z_order(
            [SORT_COLUMN],
            partition_filters=[(PARTITION, "in", [m.isoformat() for m in months])],
            writer_properties=WriterProperties(compression="ZSTD"),
            commit_properties=CommitProperties(
                custom_metadata={RECORD_KEY: {"operation": "compact", "months": len(months)}}
            ),
        )
        table.update_incremental()
        after = snapshot_of(table, store)
    chosen = set(months)
    report.folders = len(months)
    report.files_before = sum(per_month[m] for m in months)
    report.files_after = sum(1 for f in after.files if f.month in chosen)
    report.rows = sum(f.rows for f in after.files if f.month in chosen)
    report.version = after.version
    report.rewritten = [m.strftime("%Y-%m") for m in months]
    return report
