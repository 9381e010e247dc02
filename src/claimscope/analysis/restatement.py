"""``claimscope diff``: how a restatement moved a ranking between two store versions.

The same ranking (:func:`claimscope.analysis.run.run_top`, suppression included) runs on
both versions; rows are matched by code. A row is reported when its value, share or rank
moved, and codes entering or leaving the top N are listed. A code suppressed in either
version shows as suppressed there and its change is not computed, so the diff publishes
nothing the two rankings do not already publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claimscope.analysis.query import TopQuery
from claimscope.analysis.result import CodeRow, TopResult, plain_number
from claimscope.analysis.run import AsOf, run_top


@dataclass
class RowChange:
    """One code's row in both versions (``None``: not in that version's top N)."""

    code: str
    name: str | None
    before: CodeRow | None
    after: CodeRow | None

    @property
    def change(self) -> str:
        if self.before is None:
            return "entered"
        if self.after is None:
            return "left"
        if self.before.suppressed or self.after.suppressed:
            return "suppressed"
        return "moved"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name, "change": self.change}
        out["before"] = _side(self.before)
        out["after"] = _side(self.after)
        if self.change == "moved" and self.before is not None and self.after is not None:
            out["value_change"] = _delta(self.before.value, self.after.value)
            out["share_change"] = _share_delta(self.before.share, self.after.share)
            if self.before.rank is not None and self.after.rank is not None:
                out["rank_change"] = self.after.rank - self.before.rank
        return out


@dataclass
class DiffResult:
    """Two versions' rankings and what moved between them."""

    before: TopResult
    after: TopResult
    changes: list[RowChange] = field(default_factory=list)

    @property
    def entered(self) -> list[str]:
        return [c.code for c in self.changes if c.change == "entered"]

    @property
    def left(self) -> list[str]:
        return [c.code for c in self.changes if c.change == "left"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.after.query,
            "measure": self.after.measure,
            "from": _version(self.before),
            "to": _version(self.after),
            "total": {
                "before": plain_number(self.before.total),
                "after": plain_number(self.after.total),
            },
            "rows": [c.to_dict() for c in self.changes],
            "entered": self.entered,
            "left": self.left,
            "data": self.after.coverage.to_dict(),
            "suppression": self.after.suppression,
        }


def run_diff(
    store_root: Path,
    query: TopQuery,
    from_version: AsOf,
    to_version: AsOf,
    *,
    engine: str = "duckdb",
) -> DiffResult:
    """Rank ``query`` at both versions and list what moved."""
    before = run_top(store_root, query, engine=engine, as_of=from_version)
    after = run_top(store_root, query, engine=engine, as_of=to_version)
    return diff_rankings(before, after)


def diff_rankings(before: TopResult, after: TopResult) -> DiffResult:
    """Rows whose value, share or rank moved, and codes entering or leaving the list."""
    old = {r.code: r for r in before.rows}
    new = {r.code: r for r in after.rows}
    order = [r.code for r in after.rows] + [c for c in old if c not in new]
    changes = []
    for code in order:
        a, b = old.get(code), new.get(code)
        if a is not None and b is not None and _same(a, b):
            continue
        shown = b if b is not None else a
        changes.append(RowChange(code, shown.name if shown else None, a, b))
    return DiffResult(before, after, changes)


def _same(a: CodeRow, b: CodeRow) -> bool:
    if a.suppressed and b.suppressed:
        return True
    return (a.suppressed, a.rank, a.value, a.share) == (b.suppressed, b.rank, b.value, b.share)


def _side(row: CodeRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    if row.suppressed:
        return {"suppressed": True}
    return {"rank": row.rank, "value": plain_number(row.value), "share": row.share}


def _delta(a: float | None, b: float | None) -> float | int | None:
    if a is None or b is None:
        return None
    return plain_number(b - a)


def _share_delta(a: float | None, b: float | None) -> float | None:
    """Shares are published to 4 decimals; so is their change."""
    return None if a is None or b is None else round(b - a, 4)


def _version(result: TopResult) -> dict[str, Any]:
    return {
        "store_version": result.coverage.store_version,
        "store_time": result.coverage.store_time,
    }
