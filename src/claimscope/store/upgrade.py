"""``claimscope upgrade``: bringing an older store up to date, counts checked.

A store of the pre-Delta layout (``lines/`` folders and ``ledger.jsonl``) is converted: every
old month folder is read once, its rows given their record keys (:mod:`claimscope.store.keys`,
derived exactly as ingest derives them) and rewritten per batch as data files of the claim
table, and all of them committed as ONE version whose metadata carries every batch's ingest
record (from the old ledger; rows no ledger entry accounts for, left by a killed old ingest,
get a record saying so). Row counts per batch and in total are compared before and after the
commit; only then are the old files removed. A run killed at any point either left the old
store untouched (no commit) or is finished by the next run (the commit exists, the old files
are just removed). A Delta table with lines from before record keys existed gets them in one
commit of its own (:func:`claimscope.store.keys.fill_record_keys`).
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
from claimscope.store.keys import KeyDeriver, fill_record_keys
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
    """What the upgrade did: old batches moved, rows before and after, lines given record
    keys, the last version it committed."""

    batches: int
    rows_before: int
    rows_after: int
    version: int | None
    keys: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "version": self.version,
            "keys": self.keys,
        }


def upgrade_if_needed(store: Store) -> UpgradeReport | None:
    """Upgrade ``store`` when it still has the old layout (callers hold the store lock)."""
    return upgrade(store) if store.has_old_layout() else None


def upgrade(store: Store) -> UpgradeReport | None:
    """Everything ``claimscope upgrade`` does (callers hold the store lock): convert the old
    layout, then give every line still without a record key its key. None: nothing to do."""
    moved = upgrade_store(store) if store.has_old_layout() else None
    if moved is not None and moved.version is not None:
        return moved  # converted just now: every line got its key on the way
    if not store.has_table():
        return moved
    keyed = fill_record_keys(store)
    if keyed.version is None:
        return moved
    if moved is None:
        return UpgradeReport(0, keyed.rows, keyed.rows, keyed.version, keyed.lines)
    moved.version, moved.keys = keyed.version, keyed.lines
    return moved


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
    deriver = KeyDeriver.for_store(store)
    for folder in sorted(store.lines_dir.glob("*/*")):
        parts = sorted(folder.glob("*.parquet"))
        if folder.is_dir() and parts:
            actions += _rewrite_folder(store, folder, parts, (counts, sources), deriver)
    before = sum(counts.values())
    records = [_record(b, counts[b], sources[b], ledger.get(b)) for b in sorted(counts)]
    fault_point("upgrade:files-written")
    record = {"operation": "upgrade", "ingests": records, "rows": before, "keys": deriver.derived}
    version = commit(store, actions, record)
    after = snapshot(store, version).rows
    if after != before:
        raise StoreError(
            f"upgrade of {store.root}: {before} rows in the old files but {after} in version "
            f"{version}; the old files are kept"
        )
    _remove_old_layout(store)
    return UpgradeReport(len(records), before, after, version, deriver.derived)


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
    tally: tuple[Counter[str], dict[str, str]],
    deriver: KeyDeriver,
) -> list[AddAction]:
    counts, sources = tally
    # Old files have no record_key column (read as null), so every line gets its key here.
    old = [deriver.fill(pq.read_table(p, schema=CLAIM_LINE)) for p in parts]
    table = sort_lines(pa.concat_tables([to_write_schema(t) for t in old]))
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
