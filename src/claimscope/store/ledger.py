"""The store's ledger: one JSON line per ingested file.

Each line records what was loaded from which file (by SHA-256), so a file already in the
store is recognised and skipped, and a batch can be replaced or traced back. The ledger lists
live batches only: replacing a batch rewrites the ledger without the old entry (atomically,
via a temporary file) and the new entry names the batch ids it replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LedgerEntry:
    """One ingested file."""

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
    files: list[str] = field(default_factory=list)
    quarantine_file: str | None = None
    warnings: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerEntry:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class LedgerError(Exception):
    """A ledger line cannot be parsed."""


class Ledger:
    """Read and update ``ledger.jsonl``. Writers hold the store lock while calling it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[LedgerEntry]:
        """All live entries, oldest first."""
        if not self.path.exists():
            return []
        out = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    out.append(LedgerEntry.from_dict(json.loads(line)))
                except (ValueError, TypeError) as exc:
                    raise LedgerError(f"{self.path} line {number}: {exc}") from exc
        return out

    def find(self, sha256: str, source: str) -> list[LedgerEntry]:
        """Entries that loaded a file with this content into ``source``."""
        return [e for e in self.entries() if e.sha256 == sha256 and e.source == source]

    def append(self, entry: LedgerEntry) -> None:
        """Add one entry (flushed and synced before returning)."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(entry.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def remove(self, batch_ids: Iterable[str]) -> None:
        """Drop the entries of ``batch_ids``, rewriting the ledger atomically."""
        drop = set(batch_ids)
        keep = [e for e in self.entries() if e.batch_id not in drop]
        tmp = self.path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for entry in keep:
                handle.write(entry.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (streamed by hashlib, the GIL released while hashing)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
