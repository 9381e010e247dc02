"""Removing one ingest batch's rows from the claim table, as actions of a single commit.

A batch's own files (``part-<batch_id>-<n>.parquet``) hold its rows only and are simply
removed. Files written by compaction mix batches: those holding rows of the batch are
rewritten without them (new file added, old one removed), exactly what Delta's DELETE does.
The caller commits these actions together with the new batch's add actions, so a
``--replace`` is one version: readers see the old rows or the new ones, never both or neither.
"""

from __future__ import annotations

import re
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction, RemoveAction

from claimscope.store.faults import fault_point
from claimscope.store.layout import Store, StoreError
from claimscope.store.ledger import LedgerEntry
from claimscope.store.table import (
    PARTITION,
    DataFile,
    Snapshot,
    commit,
    ensure_table,
    now_millis,
    snapshot_of,
)
from claimscope.store.writer import (
    FILE_SCHEMA,
    ROW_GROUP_ROWS,
    add_action,
    open_parquet,
    to_write_schema,
)

REWRITE_PREFIX: Final = "restated"
# A batch's own file (see BatchWriter; ``keyed-``: rewritten with its record keys by
# store.keys): holds rows of that batch only.
BATCH_FILE: Final = re.compile(r"^(?:part|keyed)-(\d{8}T\d{6}Z-[0-9a-f]{6})-\d+\.parquet$")


def removal_actions(
    store: Store, current: Snapshot, batch_ids: set[str], writing_batch: str
) -> list[AddAction | RemoveAction]:
    """Actions that take every row of ``batch_ids`` out of ``current``."""
    actions: list[AddAction | RemoveAction] = []
    if not batch_ids:
        return actions
    for index, data_file in enumerate(current.files):
        owner = BATCH_FILE.match(data_file.relative.rsplit("/", 1)[-1])
        if owner is None:  # written by compaction or a restatement: may mix batches
            actions.extend(_rewrite_without(store, data_file, batch_ids, writing_batch, index))
        elif owner.group(1) in batch_ids:
            actions.append(remove_action(data_file))
    return actions


def remove_action(data_file: DataFile, *, data_change: bool = True) -> RemoveAction:
    return RemoveAction(
        data_file.relative,
        data_change,
        now_millis(),
        data_file.size,
        {PARTITION: data_file.month.isoformat()},
    )


def _rewrite_without(
    store: Store, data_file: DataFile, batch_ids: set[str], writing_batch: str, index: int
) -> list[AddAction | RemoveAction]:
    batches = pq.read_table(data_file.path, columns=["batch_id"]).column("batch_id")
    keep = pc.invert(pc.is_in(batches, value_set=_values(batch_ids)))
    if pc.all(keep).as_py():
        return []
    actions: list[AddAction | RemoveAction] = [remove_action(data_file)]
    table = pq.read_table(data_file.path).filter(keep)
    if table.num_rows:
        folder = store.table_dir / data_file.relative.rsplit("/", 1)[0]
        target = folder / f"{REWRITE_PREFIX}-{writing_batch}-{index}.parquet"
        writer = open_parquet(target)
        try:
            writer.write_table(to_write_schema(table.select(FILE_SCHEMA.names), FILE_SCHEMA),
                               ROW_GROUP_ROWS)  # fmt: skip
        finally:
            writer.close()
        actions.append(add_action(store, target))
    return actions


def _values(batch_ids: set[str]) -> pa.Array:
    return pa.array(sorted(batch_ids), pa.string())


def commit_batch(
    store: Store, actions: list[AddAction], entry: LedgerEntry, *, replaces: set[str]
) -> int:
    """Commit one ingested file: its data files, its record, and (``--replace``) the removal
    of the batches it replaces, all as one version. Returns the version."""
    table = ensure_table(store)  # opened once: its snapshot and the commit below
    fault_point("ingest:files-written")
    removals = removal_actions(store, snapshot_of(table, store), replaces, entry.batch_id)
    fault_point("ingest:before-commit")
    record = {
        "operation": "replace" if replaces else "ingest",
        "ingest": entry.to_dict(),
        "replaces": sorted(replaces),
    }
    try:
        version = commit(store, [*removals, *actions], record, table=table)
    except (OSError, DeltaError) as exc:
        raise StoreError(
            f"cannot commit to the store at {store.root}: {exc}; the store is unchanged"
        ) from exc
    fault_point("ingest:committed")
    return version
