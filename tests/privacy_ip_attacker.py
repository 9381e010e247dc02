"""The integer-programming attacker over whole outputs (part of the test adversary).

Kept independent of ``claimscope``: it reads only published JSON and what a well-informed
attacker knows about how the data is made (which disjoint groups of lines, "parts", each
published table sums). Unknowns are whole numbers of at least 0 per (part, code); every
shown figure is an equation; every listed suppressed row is at least 1; a code a table does
not list is 0 there. For each hidden small figure it asks HiGHS (``scipy.optimize.milp``)
for the exact integer range. The criterion of docs/privacy.md: the range still reaches 1
and threshold-1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass
class System:
    """Linear knowledge over named whole-number unknowns."""

    names: list[str] = field(default_factory=list)
    equal: list[tuple[list[str], float]] = field(default_factory=list)
    at_least: list[tuple[list[str], float]] = field(default_factory=list)

    def unknown(self, name: str) -> str:
        if name not in self.names:
            self.names.append(name)
        return name

    def integer_range(self, figure: list[str]) -> tuple[float, float]:
        """Exact integer min and max of the sum of ``figure`` (inf when unbounded)."""
        index = {n: k for k, n in enumerate(self.names)}
        rows, low, high = [], [], []
        for terms, value in self.equal:
            rows.append(self._row(terms, index))
            low.append(value)
            high.append(value)
        for terms, value in self.at_least:
            rows.append(self._row(terms, index))
            low.append(value)
            high.append(np.inf)
        constraints = [LinearConstraint(np.array(rows), low, high)] if rows else []
        objective = self._row(figure, index)
        n = len(self.names)
        bounds = Bounds(np.zeros(n), np.full(n, np.inf))
        ends = []
        for sign in (1.0, -1.0):
            found = milp(sign * objective, constraints=constraints, integrality=np.ones(n),
                         bounds=bounds)  # fmt: skip
            if found.status == 0:
                ends.append(sign * found.fun)
            elif found.status == 2:
                raise AssertionError("the published figures are inconsistent")
            else:
                ends.append(-sign * np.inf)
        return ends[0], ends[1]

    def _row(self, terms: Iterable[str], index: Mapping[str, int]) -> np.ndarray:
        row = np.zeros(len(self.names))
        for term in terms:
            row[index[term]] += 1.0
        return row


def var(part: str, code: str) -> str:
    return f"{part}|{code}"


def add_ranking(
    system: System, table: Mapping[str, Any], parts: Iterable[str], codes: Iterable[str]
) -> None:
    """What one ranked table (a ``top`` payload or one cohort of ``compare``) publishes.

    ``parts`` are the disjoint groups of lines the table sums; ``codes`` every code of the
    output (a code the table does not list has no line there).
    """
    parts = list(parts)
    listed = {r["code"]: r for r in table["rows"]}
    everything: list[str] = []
    for code in codes:
        terms = [system.unknown(var(p, code)) for p in parts]
        everything += terms
        row = listed.get(code)
        if row is None:
            system.equal.append((terms, 0.0))
        elif row.get("value") is not None:
            system.equal.append((terms, float(row["value"])))
        else:
            system.at_least.append((terms, 1.0))
    if table.get("total") is not None:
        system.equal.append((everything, float(table["total"])))


def output_codes(*tables: Mapping[str, Any]) -> list[str]:
    return sorted({r["code"] for t in tables for r in t["rows"]})


def violations(system: System, small: Mapping[str, list[str]], threshold: int = 11) -> list[str]:
    """Hidden small figures (name -> its unknowns) whose range misses 1 or threshold-1."""
    found = []
    for name, terms in small.items():
        low, high = system.integer_range(terms)
        if low > 1 or high < threshold - 1:
            found.append(f"{name}: between {low:g} and {high:g}")
    return found


def add_trend(system: System, trend: Mapping[str, Any], codes: Iterable[str]) -> None:
    """What a ``trend`` payload publishes about the unknowns ``code|period``: shown cells,
    listed suppressed cells (at least 1), "other" (the codes not led), period totals."""
    codes = list(codes)
    periods = list(trend["periods"])
    leaders = [s["code"] for s in trend["series"] if s["code"] != "other"]
    for series in trend["series"]:
        members = (
            [series["code"]]
            if series["code"] != "other"
            else [c for c in codes if c not in leaders]
        )
        for j, period in enumerate(periods):
            terms = [system.unknown(var(period, c)) for c in members]
            value = series["values"][j]
            if value is not None:
                system.equal.append((terms, float(value)))
            elif series["code"] != "other":
                system.at_least.append((terms, 1.0))
    for j, period in enumerate(periods):
        if trend["totals"][j] is not None:
            terms = [system.unknown(var(period, c)) for c in codes]
            system.equal.append((terms, float(trend["totals"][j])))


def add_window_totals(
    system: System, top: Mapping[str, Any], periods: Iterable[str], codes: Iterable[str]
) -> None:
    """``top`` over the trend's filters: each code's total over the periods."""
    add_ranking(system, top, list(periods), codes)
