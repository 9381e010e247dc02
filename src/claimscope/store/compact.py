"""Compaction: one sorted Parquet file per (source, month) folder.

Every ingested file writes its own file into each month folder it touches, so a store fed
many small files (or refreshed month after month) collects many small files per folder, and
every query opens them all. Compaction rewrites each folder holding several files as one
file sorted by month and code, under the store lock, writing the new file before removing
the old ones. Rows keep their ``batch_id``, so a later ``ingest --replace`` still removes
exactly one batch's rows (see :func:`claimscope.store.writer.remove_batch`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store
from claimscope.store.writer import ROW_GROUP_ROWS, open_parquet, sort_lines, to_write_schema

COMPACTED_PREFIX: Final = "part-compacted-"


@dataclass
class CompactReport:
    """What compaction did: folders rewritten, files before and after, rows moved."""

    folders: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    rewritten: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folders": self.folders,
            "files_before": self.files_before,
            "files_after": self.files_after,
            "rows": self.rows,
        }


def compact_store(store: Store, *, source: str | None = None, min_files: int = 2) -> CompactReport:
    """Rewrite every month folder (of ``source``, or all) that holds ``min_files`` or more."""
    report = CompactReport()
    with store.lock():
        for name in [source] if source else store.sources():
            for folder in sorted(p for p in store.source_dir(name).iterdir() if p.is_dir()):
                parts = sorted(folder.glob("*.parquet"))
                if len(parts) >= min_files:
                    report.rows += _compact_folder(folder, parts)
                    report.folders += 1
                    report.files_before += len(parts)
                    report.files_after += 1
                    report.rewritten.append(f"{name}/{folder.name}")
    return report


def _compact_folder(folder: Path, parts: list[Path]) -> int:
    table = read_parts(parts)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = folder / f"{COMPACTED_PREFIX}{stamp}-{time.monotonic_ns() % 10**6:06d}.parquet"
    write_sorted(table, target)
    for part in parts:
        part.unlink()
    return table.num_rows


def read_parts(parts: list[Path]) -> pa.Table:
    """Store files read back with the canonical schema (the files store plain strings)."""
    tables = [pq.read_table(p, schema=CLAIM_LINE) for p in parts]
    return pa.concat_tables([to_write_schema(t) for t in tables])


def write_sorted(table: pa.Table, target: Path) -> None:
    """Write ``table`` sorted to ``target`` via a temporary name, so a crash leaves no half file
    with a name queries would read."""
    temporary = target.with_suffix(".parquet.tmp")
    writer = open_parquet(temporary)
    try:
        writer.write_table(sort_lines(table), ROW_GROUP_ROWS)
    finally:
        writer.close()
    temporary.replace(target)


def drop_batch_rows(store: Store, source: str, batch_id: str) -> list[Path]:
    """Rewrite the compacted files of ``source`` that hold rows of ``batch_id`` without them;
    a file left empty is deleted. Returns the files changed."""
    changed: list[Path] = []
    source_dir = store.lines_dir / source
    if not source_dir.is_dir():
        return changed
    for path in sorted(source_dir.glob(f"*/{COMPACTED_PREFIX}*.parquet")):
        batches = pq.read_table(path, columns=["batch_id"]).column("batch_id")
        keep = pc.not_equal(batches, batch_id)
        if pc.all(keep).as_py():
            continue
        table = read_parts([path]).filter(keep)
        if table.num_rows:
            write_sorted(table, path)
        else:
            path.unlink()
        changed.append(path)
    return changed
