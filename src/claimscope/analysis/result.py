"""Result types shared by every analysis, and their JSON contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CodeRow:
    """One code in a ranking.

    ``cell_count`` is what suppression judges the row by (distinct patients, or services for
    aggregated sources). It is internal: never serialised, never shown.
    """

    code: str
    name: str | None
    value: float | None
    share: float | None
    rank: int | None
    suppressed: bool = False
    cell_count: float | None = field(default=None, repr=False)
    # Sum of the rows' record keys (consistent perturbation); internal like cell_count.
    cell_key: int | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "rank": self.rank,
            "code": self.code,
            "name": self.name,
            "value": plain_number(self.value),
            "share": self.share,
        }
        if self.suppressed:
            row["suppressed"] = True
        return row


@dataclass
class Coverage:
    """Which data answered a query: sources (name, format, record kind), periods, and the
    store version read (``store_version``, committed at ``store_time``, ISO 8601 UTC)."""

    sources: list[dict[str, str]]
    periods: list[str]
    record_kinds: set[str]
    store_version: int | None = None
    store_time: str | None = None

    @property
    def empty(self) -> bool:
        return not self.sources

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sources": self.sources, "periods": self.periods}
        if self.store_version is not None:
            out["store_version"] = self.store_version
            out["store_time"] = self.store_time
        return out


@dataclass
class TopResult:
    """A ranked code-share table (``claimscope top``).

    ``total`` is the measure over every code of the code set that matched the filters, so
    shares are fractions of the whole family of care, not of the rows shown.
    ``total_cell_count`` may be a lower bound once it reaches the suppression threshold: it
    is only ever compared with that threshold.
    """

    query: dict[str, Any]
    measure: str
    measure_label: str
    total: float | None
    rows: list[CodeRow]
    coverage: Coverage
    upper_bound: bool = False
    total_cell_count: float | None = field(default=None, repr=False)
    codes_in_total: int = 0
    suppression: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    perturbation: dict[str, Any] = field(default_factory=lambda: {"applied": False})

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract other tools build on."""
        out: dict[str, Any] = {
            "query": self.query,
            "measure": self.measure,
            "total": plain_number(self.total),
            "rows": [row.to_dict() for row in self.rows],
            "data": self.coverage.to_dict(),
        }
        if self.upper_bound:
            out["upper_bound"] = True
        if self.suppression:
            out["suppression"] = self.suppression
        out["perturbation"] = self.perturbation
        if self.notes:
            out["notes"] = self.notes
        return out


def plain_number(value: float | None) -> float | int | None:
    """Whole numbers as ints (services, counts); money keeps cents."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 2)
