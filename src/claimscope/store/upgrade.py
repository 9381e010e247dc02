"""Converting a store of the pre-Delta layout (``lines/`` folders and ``ledger.jsonl``).

Every old month folder is read once, its rows rewritten per batch as data files of the claim
table, and all of them committed as ONE version whose metadata carries every batch's ingest
record (from the old ledger; rows no ledger entry accounts for, left by a killed old ingest,
get a record saying so). Row counts per batch and in total are compared before and after the
commit; only then are the old files removed. A run killed at any point either left the old
store untouched (no commit) or is finished by the next run (the commit exists, the old files
are just removed).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

from claimscope.schema import CLAIM_LINE
from claimscope.store.faults import fault_point
from claimscope.store.layout import Store, StoreError
from claimscope.store.ledger import LedgerEntry, identity_of
from claimscope.store.table import commit, commits, ensure_table, snapshot
from claimscope.store.writer import (
    FILE_SCHEMA,
    ROW_GROUP_ROWS,
    add_action,
    month_folder,
    open_parquet,
    sort_lines,
    to_write_schema,
)


@dataclass
class UpgradeReport:
    """What the upgrade moved: batches, rows before and after, the version it committed."""

    batches: int
    rows_before: int
    rows_after: int
    version: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "version": self.version,
        }


def upgrade_if_needed(store: Store) -> UpgradeReport | None:
    """Upgrade ``store`` when it still has the old layout (callers hold the store lock)."""
    return upgrade_store(store) if store.has_old_layout() else None


def upgrade_store(store: Store) -> UpgradeReport:
    """Convert the old layout into the claim table (see the module doc)."""
    done = _upgrade_commit(store)
    if done is not None:  # a previous run committed, then died before cleaning up
        _remove_old_layout(store)
        return UpgradeReport(0, done, snapshot(store).rows, None)
    ledger = _old_ledger(store)
    ensure_table(store)
    counts: Counter[str] = Counter()
    sources: dict[str, str] = {}
    actions: list[AddAction] = []
    for folder in sorted(store.lines_dir.glob("*/*")):
        parts = sorted(folder.glob("*.parquet"))
        if folder.is_dir() and parts:
            actions += _rewrite_folder(store, folder, parts, counts, sources)
    before = sum(counts.values())
    records = [_record(b, counts[b], sources[b], ledger.get(b)) for b in sorted(counts)]
    fault_point("upgrade:files-written")
    version = commit(store, actions, {"operation": "upgrade", "ingests": records, "rows": before})
    after = snapshot(store, version).rows
    if after != before:
        raise StoreError(
            f"upgrade of {store.root}: {before} rows in the old files but {after} in version "
            f"{version}; the old files are kept"
        )
    _remove_old_layout(store)
    return UpgradeReport(len(records), before, after, version)


def _upgrade_commit(store: Store) -> int | None:
    if not store.has_table():
        return None
    for item in commits(store):
        if item.record.get("operation") == "upgrade":
            return int(item.record.get("rows", 0))
    return None


def _old_ledger(store: Store) -> dict[str, dict[str, Any]]:
    """Old ledger entries by batch id; a torn last line (a crash while appending) is skipped."""
    out: dict[str, dict[str, Any]] = {}
    if not store.ledger_path.exists():
        return out
    for line in store.ledger_path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "batch_id" in entry:
            out[entry["batch_id"]] = entry
    return out


def _rewrite_folder(
    store: Store,
    folder: Path,
    parts: list[Path],
    counts: Counter[str],
    sources: dict[str, str],
) -> list[AddAction]:
    table = pa.concat_tables([to_write_schema(pq.read_table(p, schema=CLAIM_LINE)) for p in parts])
    table = sort_lines(table)
    actions = []
    month = folder.name
    target_dir = store.table_dir / month_folder(month)
    target_dir.mkdir(parents=True, exist_ok=True)
    batches = pc.unique(table.column("batch_id").combine_chunks().cast(pa.string()))
    for batch_id in batches.to_pylist():
        rows = table.filter(pc.equal(table.column("batch_id").cast(pa.string()), batch_id))
        target = target_dir / f"part-{batch_id}-0.parquet"  # one per batch and month
        writer = open_parquet(target)
        try:
            writer.write_table(rows.select(FILE_SCHEMA.names), ROW_GROUP_ROWS)
        finally:
            writer.close()
        actions.append(add_action(store, target))
        counts[batch_id] += rows.num_rows
        sources[batch_id] = folder.parent.name
    return actions


def _record(batch_id: str, rows: int, source: str, old: dict[str, Any] | None) -> dict[str, Any]:
    if old is not None:
        entry = LedgerEntry.from_dict(old)
        name = Path(entry.path).name
        record = entry.to_dict() | {"identity": identity_of(entry.source, name)}
        if entry.loaded != rows:
            record["warnings"] = [
                *entry.warnings,
                f"old ledger said {entry.loaded} rows loaded; the old files held {rows}",
            ]
            record["loaded"] = rows
        return record
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return LedgerEntry(
        batch_id=batch_id, path="", size=0, sha256="", format="unknown", source=source,
        read=rows, loaded=rows, quarantined=0, months=[], ingested_at=now,
        identity=identity_of(source, f"untracked-{batch_id}"),
        warnings=["rows found in the old store with no ledger entry (an interrupted ingest)"],
    ).to_dict()  # fmt: skip


def _remove_old_layout(store: Store) -> None:
    fault_point("upgrade:committed")
    if store.lines_dir.is_dir():
        shutil.rmtree(store.lines_dir)
    store.ledger_path.unlink(missing_ok=True)
    shutil.rmtree(store.root / ".staging", ignore_errors=True)
