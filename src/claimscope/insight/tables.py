"""Results as flat tables (columns + rows of plain values) for CSV, DataFrames and Arrow.

Built from each result's JSON contract, so a CSV file, a pandas DataFrame and the API say the
same thing. Whole numbers stay integers (``188371``, never ``188371.0``); a suppressed figure
is empty (None) with ``suppressed`` true, never a number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

Table = tuple[tuple[str, ...], list[tuple[Any, ...]]]


def plain(value: Any) -> Any:
    """Whole floats as ints; everything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _top(payload: dict[str, Any]) -> Table:
    columns = ("rank", "code", "name", "value", "share", "suppressed")
    rows = [
        (r["rank"], r["code"], r["name"], plain(r["value"]), r["share"], bool(r.get("suppressed")))
        for r in payload["rows"]
    ]
    return columns, rows


def _trend(payload: dict[str, Any]) -> Table:
    columns = ("code", "name", "period", "value", "share", "suppressed")
    rows = [
        (s["code"], s["name"], period, plain(value), share, hidden)
        for s in payload["series"]
        for period, value, share, hidden in zip(
            payload["periods"], s["values"], s["shares"], s["suppressed"], strict=True
        )
    ]
    return columns, rows


def _explore(payload: dict[str, Any]) -> Table:
    columns = ("dimension", "key", "label", "value", "share", "suppressed")
    rows = [
        (
            b["dimension"],
            r["key"],
            r["label"],
            plain(r["value"]),
            r["share"],
            bool(r.get("suppressed")),
        )
        for b in payload["breakdowns"]
        for r in b["rows"]
    ]
    return columns, rows


def _compare(payload: dict[str, Any]) -> Table:
    columns = ("code", "name", "cohort", "rank", "share", "in_top", "suppressed")
    names = [c["name"] for c in payload["cohorts"]]
    rows = []
    for entry in payload["side_by_side"]:
        for name in names:
            cell = entry["cohorts"][name]
            rows.append(
                (
                    entry["code"],
                    entry["name"],
                    name,
                    cell.get("rank"),
                    cell.get("share"),
                    bool(cell.get("in_top")),
                    bool(cell.get("suppressed")),
                )
            )
    return columns, rows


def _attribution(payload: dict[str, Any]) -> Table:
    columns = ("table", "discipline", "rule", "conflict", "lines", "services", "suppressed")
    rows: list[tuple[Any, ...]] = []
    for d in payload["disciplines"]:
        rows.append(_count_row("disciplines", d["discipline"], "", "", d))
        rows.extend(_count_row("by_rule", d["discipline"], r["rule"], "", r) for r in d["by_rule"])
    for c in payload["conflicts"]:
        rows.append(_count_row("conflicts", c["attributed"], c["decided_by"], c["kind"], c))
    return columns, rows


def _count_row(
    table: str, discipline: str, rule: str, conflict: str, count: dict[str, Any]
) -> tuple[Any, ...]:
    return (
        table,
        discipline,
        rule,
        conflict,
        plain(count.get("lines")),
        plain(count.get("services")),
        bool(count.get("suppressed")),
    )


TABLES: Final[dict[str, Callable[[dict[str, Any]], Table]]] = {
    "top": _top,
    "trend": _trend,
    "explore": _explore,
    "compare": _compare,
    "attribution": _attribution,
}


def result_table(kind: str, payload: dict[str, Any]) -> Table:
    """The rows of a ``kind`` result (``top``, ``trend``, ...) from its JSON contract."""
    return TABLES[kind](payload)
