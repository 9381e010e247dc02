"""``claimscope history``: every version of the store and what its commit did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claimscope.store.layout import Store
from claimscope.store.table import Commit, commits


def version_history(root: Path) -> list[dict[str, Any]]:
    """One row per version, oldest first: version, time, operation, summary, record."""
    store = Store.open(root, create=False)
    return [
        {
            "version": c.version,
            "time": c.time,
            "operation": c.record.get("operation") or c.operation.lower(),
            "summary": summary(c),
            "record": c.record,
        }
        for c in commits(store)
    ]


def summary(item: Commit) -> str:
    """One line on what a commit did, from claimscope's record or Delta's own metrics."""
    record = item.record
    ingest = record.get("ingest")
    if ingest:
        text = (
            f"{ingest.get('identity')}: {ingest.get('loaded', 0):,} lines loaded, "
            f"{ingest.get('quarantined', 0):,} quarantined (batch {ingest.get('batch_id')})"
        )
        if record.get("replaces"):
            text += f"; replaces batch {', '.join(record['replaces'])}"
        return text
    if record.get("operation") == "upgrade":
        return f"upgraded the old layout: {len(record.get('ingests', []))} batches"
    if record.get("operation") == "record keys":
        lines, files = record.get("lines", 0), record.get("files", 0)
        return f"record keys derived for {lines:,} lines ({files} files rewritten)"
    if item.operation == "OPTIMIZE":
        metrics = item.metrics
        return (
            f"compacted {metrics.get('partitionsOptimized', 0)} months: "
            f"{metrics.get('numFilesRemoved', 0)} files -> {metrics.get('numFilesAdded', 0)}"
        )
    if item.operation == "CREATE TABLE":
        return "created the empty claim table"
    return item.operation.lower()
