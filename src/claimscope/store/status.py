"""``claimscope status``: one version of the store at a glance, from its log alone.

The version and its time, the sources loaded, the months covered with lines per month (row
counts of the log's add actions), the last ingests and the rows quarantined. On the API the
counts are protected like every published cell: a count of 1 to 10 is withheld, and when a
single month is withheld the next smallest is withheld too so the total cannot give it away.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from claimscope.store.catalog import summarise_entries
from claimscope.store.layout import Store
from claimscope.store.ledger import Ledger
from claimscope.store.table import snapshot

LAST_INGESTS: Final = 5
SMALL: Final = range(1, 11)  # the CMS cell-size rule: 1..10 is never published


@dataclass
class StoreStatus:
    """The JSON contract shared by ``claimscope status --format json`` and ``/api/status``."""

    version: int
    time: str
    sources: list[dict[str, Any]]
    months: list[dict[str, Any]]
    last_ingests: list[dict[str, Any]]
    quarantined: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "time": self.time,
            "sources": self.sources,
            "months": self.months,
            "last_ingests": self.last_ingests,
            "quarantined": self.quarantined,
        }


def store_status(
    root: Path, as_of: str | int | None = None, *, protect: bool = False
) -> StoreStatus:
    """The status of the store at ``root`` (at version ``as_of``, default the latest)."""
    store = Store.open(root, create=False)
    read = snapshot(store, as_of)
    per_month: Counter[str] = Counter()
    for data_file in read.files:
        per_month[data_file.month.strftime("%Y-%m")] += data_file.rows
    entries = Ledger(store, read.version).entries()
    sources = [s.to_dict() for s in summarise_entries(entries)]
    last = sorted(entries, key=lambda e: (e.version or 0, e.batch_id))[-LAST_INGESTS:]
    ingests = [
        {
            "version": e.version,
            "batch_id": e.batch_id,
            "identity": e.identity,
            "source": e.source,
            "format": e.format,
            "read": e.read,
            "loaded": e.loaded,
            "quarantined": e.quarantined,
            "ingested_at": e.ingested_at,
        }
        for e in reversed(last)
    ]
    months = [{"month": m, "lines": per_month[m]} for m in sorted(per_month)]
    quarantined: int | None = sum(e.quarantined for e in entries)
    if protect:
        _protect_months(months)
        for row in [*sources, *ingests]:
            for key in ("read", "loaded", "quarantined"):
                if row.get(key) in SMALL:
                    row[key] = None
        quarantined = None if quarantined in SMALL else quarantined
    return StoreStatus(read.version, read.time, sources, months, ingests, quarantined)


def _protect_months(months: list[dict[str, Any]]) -> None:
    """Withhold small month counts (and one more when only one would be withheld)."""
    small = [m for m in months if m["lines"] in SMALL]
    if len(small) == 1:
        others = sorted((m for m in months if m not in small and m["lines"]), key=_lines)
        small += others[:1]
    for month in small:
        month["lines"] = None
        month["suppressed"] = True


def _lines(month: dict[str, Any]) -> int:
    return int(month["lines"])
