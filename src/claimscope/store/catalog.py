"""What a store holds, per source, from the ingest records in its log (no scan of lines)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claimscope.store.layout import Store
from claimscope.store.ledger import Ledger, LedgerEntry


@dataclass
class SourceSummary:
    """One source label: its formats, files, row counts and months covered."""

    name: str
    formats: set[str] = field(default_factory=set)
    files: int = 0
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    months: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        months = sorted(self.months)
        return {
            "name": self.name,
            "formats": sorted(self.formats),
            "files": self.files,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "first_month": months[0] if months else None,
            "last_month": months[-1] if months else None,
        }


def summarise_store(root: Path, as_of: str | int | None = None) -> list[SourceSummary]:
    """Sources in the store at ``root`` (at version ``as_of``), by name, from the records."""
    store = Store.open(root, create=False)
    return summarise_entries(Ledger(store, as_of).entries())


def summarise_entries(entries: Iterable[LedgerEntry]) -> list[SourceSummary]:
    """Sources of these ingest records, by name."""
    summaries: dict[str, SourceSummary] = {}
    for entry in entries:
        summary = summaries.setdefault(entry.source, SourceSummary(entry.source))
        summary.formats.add(entry.format)
        summary.files += 1
        summary.read += entry.read
        summary.loaded += entry.loaded
        summary.quarantined += entry.quarantined
        summary.months.update(entry.months)
    return [summaries[name] for name in sorted(summaries)]
