"""Keeping the claim table sound: ``claimscope check`` and ``claimscope vacuum``.

``check`` verifies one version against its log: every file the version references is
present, readable as Parquet, and holds the row count the log's add action records.
``vacuum`` deletes data files no version younger than the retention period references
(Delta's vacuum), plus files a killed writer left behind, and quarantine files of runs that
never committed. Versions older than the retention can no longer be read afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from claimscope.store.layout import Store
from claimscope.store.table import open_table, snapshot


@dataclass
class CheckReport:
    """What ``check`` found: the version checked, files and rows, and every problem."""

    version: int
    files: int
    rows: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "files": self.files,
            "rows": self.rows,
            "ok": self.ok,
            "problems": self.problems,
        }


def check_store(root: Path, as_of: str | int | None = None) -> CheckReport:
    """Check the version ``as_of`` (default the latest) of the store at ``root``."""
    store = Store.open(root, create=False)
    read = snapshot(store, as_of)
    report = CheckReport(read.version, len(read.files), read.rows)
    for data_file in read.files:
        if not data_file.path.is_file():
            report.problems.append(f"missing: {data_file.path}")
            continue
        try:
            rows = pq.read_metadata(data_file.path).num_rows
        except Exception as exc:  # any failure to read the footer means the file is damaged
            report.problems.append(f"unreadable: {data_file.path} ({exc})")
            continue
        if data_file.rows >= 0 and rows != data_file.rows:
            report.problems.append(
                f"row count: {data_file.path} holds {rows} rows, the log says {data_file.rows}"
            )
    return report


@dataclass
class VacuumReport:
    retain_days: float
    deleted: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "retain_days": self.retain_days,
            "deleted": len(self.deleted),
            "files": self.deleted,
        }


def vacuum_store(root: Path, retain_days: float, *, dry_run: bool = False) -> VacuumReport:
    """Delete files no version of the last ``retain_days`` days needs (under the lock)."""
    store = Store.open(root, create=False)
    with store.lock():
        table = open_table(store)
        deleted = table.vacuum(
            retention_hours=int(retain_days * 24),
            dry_run=dry_run,
            enforce_retention_duration=False,  # the user chose the period; 0 is allowed
            full=True,  # also files no version ever referenced (left by killed writers)
        )
        deleted += _stale_quarantine(store, retain_days, dry_run)
    return VacuumReport(retain_days, sorted(deleted))


def _stale_quarantine(store: Store, retain_days: float, dry_run: bool) -> list[str]:
    """Partial quarantine files of ingests that were killed before their commit."""
    cutoff = time.time() - retain_days * 86400
    out = []
    for path in sorted(store.quarantine_dir.glob(".*.partial.csv")):
        if path.stat().st_mtime <= cutoff:
            if not dry_run:
                path.unlink(missing_ok=True)
            out.append(str(path))
    return out
