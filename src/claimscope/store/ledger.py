"""The store's ingest records, read from the claim table's log.

Each ingest of a file is one Delta commit; its record (file, content hash, format, source,
counts, months, quarantine reasons, time) is that commit's metadata, so data and record are
written by the same atomic step and can never disagree. The live records of a version are
the ingest records up to it that no later commit (a ``--replace``) superseded.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from claimscope.store.layout import Store
from claimscope.store.table import Commit, commits


@dataclass(frozen=True)
class LedgerEntry:
    """One ingested file, as recorded in the commit that loaded it."""

    batch_id: str
    path: str
    size: int
    sha256: str
    format: str
    source: str
    read: int
    loaded: int
    quarantined: int
    months: list[str]
    ingested_at: str
    identity: str = ""
    quarantine_file: str | None = None
    quarantine_reasons: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warnings_file: str | None = None
    # Loaded rows whose identifier or description failed validation: [{field, reason, rows}].
    warning_reasons: list[dict[str, Any]] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("version")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: int | None = None) -> LedgerEntry:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["version"] = version
        return cls(**known)


def identity_of(source: str, name: str) -> str:
    """A loaded file's identity: its source and its name (or the batch key given instead)."""
    return f"{source}/{name}"


def live_entries(history: list[Commit]) -> list[LedgerEntry]:
    """Ingest records of ``history`` not replaced by a later commit, oldest first."""
    entries: dict[str, LedgerEntry] = {}
    for item in history:
        for batch_id in item.record.get("replaces", []):
            entries.pop(batch_id, None)
        # One ingest per commit; an upgrade commit carries every batch of the old store.
        for ingest in [item.record.get("ingest"), *item.record.get("ingests", [])]:
            if ingest:
                entry = LedgerEntry.from_dict(ingest, item.version)
                entries[entry.batch_id] = entry
    return list(entries.values())


class Ledger:
    """The live ingest records of the store (at one version, default the latest)."""

    def __init__(self, store: Store, as_of: str | int | None = None) -> None:
        self.store = store
        self.as_of = as_of

    def entries(self) -> list[LedgerEntry]:
        """Live records, oldest first (none for a store without a table yet)."""
        if not self.store.has_table():
            return []
        return live_entries(commits(self.store, upto=self.as_of))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (streamed by hashlib, the GIL released while hashing)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
