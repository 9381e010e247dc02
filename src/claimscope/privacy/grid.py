"""Small-cell suppression for two-dimensional tables with margins (codes x periods, ...).

A grid shows cells and the totals of its columns (and optionally of its rows). Every shown
margin is an equation over its line, so a hidden cell can be derived by subtraction or, in
combination, by solving the equations together. The method:

1. *Primary*: small cells (and small margins, which hide their whole line) are hidden.
2. *Structure*: every line whose margin is shown and that holds a hidden small cell must
   hold at least two hidden cells, one of them not small, so the derivable sum of its hidden
   cells is a group whose cell count is at least the threshold (the union of people in a
   group is at least its largest member). The cell hidden to achieve that is the smallest
   shown cell of the line, preferring one whose crossing line already has hidden cells.
3. *Audit*: an exact linear programme (:mod:`claimscope.privacy.lp`) bounds every
   hidden small cell, every small margin, and each line's sum of hidden small cells, given
   all shown figures and all margin equations at once; while any is pinned to one value,
   one more cell of its line is hidden (or the line's margin, when no cell is left).

What the audit assumes an adversary knows, to stay on the safe side: which hidden cells are
small; that small counts are at least 1 and other counts at least the threshold; and that a
complementary cell is no larger than the smallest cell still shown in the line it was
chosen for (the choice rule is public).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from claimscope.analysis.query import PrivacyPolicy
from claimscope.privacy.audit import Cell, GridState, Line, audit
from claimscope.privacy.rules import (
    COUNT_CELLS,
    CellKind,
    Status,
    is_small,
    suppression_block,
)

METHOD_GRID: Final = (
    "primary: cell count below threshold; complementary: every line with a shown margin and a "
    "hidden small cell hides at least two cells including one not small, then an exact linear-"
    "programming audit over all margin equations hides more until no small cell, small margin "
    "or line group of small cells is derivable"
)
_MAX_ROUNDS: Final = 10_000
# Margins and their counts: lists or 1-D arrays (None or NaN counts mean "unknown": small).
Numbers = Sequence[float] | Sequence[float | None] | npt.NDArray[Any]


@dataclass
class SuppressedGrid:
    """A grid after suppression: what may be shown, cell by cell and margin by margin.

    ``values[i][j]`` is the cell's value or ``None`` when hidden (``suppressed[i][j]``);
    ``totals[j]`` the column margins (``None`` when hidden), ``row_totals`` likewise or
    ``None`` when the grid has no row margins; ``summary`` the ``suppression`` block.
    """

    values: list[list[float | None]]
    suppressed: list[list[bool]]
    status: list[list[Status]]
    totals: list[float | None]
    row_totals: list[float | None] | None
    summary: dict[str, Any] = field(default_factory=dict)
    withheld_rows: list[int] = field(default_factory=list)


def suppress_grid(
    values: Any,
    cell_counts: Any,
    col_totals: Numbers,
    col_total_counts: Numbers,
    policy: PrivacyPolicy,
    *,
    row_totals: Numbers | None = None,
    row_total_counts: Numbers | None = None,
    kind: CellKind = COUNT_CELLS,
    unpublished: Any = None,
    row_totals_published: bool | Sequence[bool] = False,
    unlisted_rows: Sequence[int] = (),
) -> SuppressedGrid:
    """Suppress a rows x columns grid whose column totals (and optional row totals) are shown.

    ``values`` and ``cell_counts`` are 2-D (lists or arrays); each margin must be the sum of
    its line, so give the grid an "other" row or column when the lines do not cover
    everything (its cell count: the largest count of what it sums, a safe lower bound).
    ``unpublished`` (same shape, optional) marks cells the output never shows but that are
    part of the equations, e.g. the complement of a nested cohort in a comparison: cohort A
    and "B minus A" are the cells, B the row margin. ``row_totals_published`` says the row
    totals are shown by another output (a trend's codes are ``top``'s rows), so they are
    never hidden: protection comes from cells and column totals only; given per row, a row
    whose total is not published anywhere (``top`` hides the code) starts with its margin
    hidden. Only additive measures (sums) can be suppressed as a grid; distinct counts do
    not add up over a line.
    """
    if not kind.additive:
        raise ValueError("grid suppression needs an additive measure (a sum over its lines)")
    grid = _prepare(values, cell_counts, col_totals, col_total_counts, row_totals,
                    row_total_counts, policy, kind, unpublished)  # fmt: skip
    # Rows no presentation lists (a trend never leads with a code top hides): nothing tells
    # an attacker which of their cells hold data.
    grid.withheld.update(unlisted_rows)
    unlisted = set(unlisted_rows)
    if row_totals_published is not False and row_totals is not None:
        published = (
            [True] * len(row_totals) if row_totals_published is True else row_totals_published
        )
        for i, shown in enumerate(published):
            if shown:
                grid.fixed.add(("row", i))
            else:
                grid.hidden_margins.setdefault(("row", i), "complementary")
    for _ in range(_MAX_ROUNDS):
        if _fix_structure(grid):
            continue
        exposed = audit(grid)
        if exposed is None or not _hide_more(grid, exposed):
            break
    else:  # pragma: no cover - each round hides one more figure, so this cannot be reached
        raise RuntimeError("grid suppression did not settle")
    return _result(grid, policy, row_totals is not None, unlisted)


def _prepare(
    values: Any,
    cell_counts: Any,
    col_totals: Numbers,
    col_total_counts: Numbers,
    row_totals: Numbers | None,
    row_total_counts: Numbers | None,
    policy: PrivacyPolicy,
    kind: CellKind,
    unpublished: Any,
) -> GridState:
    v = (
        np.asarray(values, dtype=float).reshape(len(values), -1)
        if len(values)
        else np.zeros((0, 0))
    )
    c = np.asarray(cell_counts, dtype=float).reshape(v.shape)
    margins: dict[Line, float] = {("col", j): float(t) for j, t in enumerate(col_totals)}
    counts: dict[Line, float] = {("col", j): _count(n) for j, n in enumerate(col_total_counts)}
    if row_totals is not None:
        margins.update({("row", i): float(t) for i, t in enumerate(row_totals)})
        given = row_total_counts if row_total_counts is not None else [None] * len(row_totals)
        counts.update({("row", i): _count(n) for i, n in enumerate(given)})
    _check_sums(v, margins)
    grid = GridState(v, np.nan_to_num(c), margins, counts, policy.min_cell_size, kind)
    never = np.zeros(v.shape, bool) if unpublished is None else np.asarray(unpublished, bool)
    for (i, j), value in np.ndenumerate(v):
        small = is_small(float(value), float(grid.counts[i, j]), grid.threshold, kind)
        if grid.empty((i, j)):
            small = False  # a true zero reveals no one
        grid.status[i, j] = "primary" if small else ("unpublished" if never[i, j] else "shown")
    for line, total in margins.items():
        if (total or counts[line]) and is_small(total, counts[line], grid.threshold, kind):
            grid.hidden_margins[line] = "primary"
            for cell in grid.cells(line):  # a small line's cells are small too,
                if not grid.empty(cell):  # but a true zero reveals no one
                    grid.status[cell] = "primary"
    return grid


def _count(value: float | None) -> float:
    return 0.0 if value is None or not np.isfinite(value) else float(value)


def _check_sums(v: npt.NDArray[np.float64], margins: dict[Line, float]) -> None:
    for (axis, k), total in margins.items():
        line_sum = float(v[:, k].sum() if axis == "col" else v[k, :].sum())
        if abs(line_sum - total) > 1e-6 * max(1.0, abs(total)):
            raise ValueError(
                f"{axis} {k} total {total} is not the sum of its cells ({line_sum}): add an "
                "'other' line so every margin is a sum"
            )


def _fix_structure(grid: GridState) -> bool:
    """Hide one more figure in the first line whose hidden cells could be told apart."""
    for line in grid.lines():
        if line in grid.hidden_margins:
            continue
        members = [c for c in grid.cells(line) if not grid.empty(c)]
        hidden = [c for c in members if grid.hidden(c)]
        small = [c for c in hidden if grid.status[c] == "primary"]
        if not small or len(small) == len(members):
            continue  # nothing to protect, or the hidden group is the whole (shown) margin
        if len(hidden) >= 2 and len(small) < len(hidden):
            continue
        _complement(grid, line)
        return True
    return False


def _complement(grid: GridState, line: Line) -> None:
    """Hide the smallest shown cell of ``line`` (or its margin if no cell is left).

    Cells whose crossing line already hides something are preferred: hiding them adds no
    new line to protect. The cells the pick was preferred to are remembered, because an
    adversary who knows this rule knows the pick is no larger than any of them.
    """
    shown = [c for c in grid.cells(line) if grid.status[c] == "shown" and not grid.empty(c)]
    if not shown:
        grid.hidden_margins[line] = "complementary"
        return

    def crossing_has_hidden(cell: Cell) -> bool:
        other: Line = ("col", cell[1]) if line[0] == "row" else ("row", cell[0])
        return other in grid.margins and any(grid.hidden(c) for c in grid.cells(other))

    preferred = [c for c in shown if crossing_has_hidden(c)] or shown
    pick = min(preferred, key=lambda c: (grid.values[c], c))
    grid.status[pick] = "complementary"
    grid.rivals[pick] = [c for c in preferred if c != pick]


def _hide_more(grid: GridState, exposed: tuple[Line, ...]) -> bool:
    """Hide one more figure: a cell of an exposed line, else of a line crossing it, else
    withhold a row whose published total pins it, else a margin no other output publishes."""
    if _withhold_row(grid, exposed, hopeless_only=True):
        return True
    for line in exposed:
        if line in grid.margins and line not in grid.hidden_margins and _has_shown(grid, line):
            _complement(grid, line)
            return True
    for line in exposed:
        for crossing in _crossing_lines(grid, line):
            if crossing not in grid.hidden_margins and _has_shown(grid, crossing):
                _complement(grid, crossing)
                return True
    if _withhold_row(grid, exposed):
        return True
    for line in [*exposed, *grid.lines()]:  # last resort: hide a margin still shown
        if line in grid.margins and line not in grid.hidden_margins and line not in grid.fixed:
            grid.hidden_margins[line] = "complementary"
            return True
    return False


def _withhold_row(
    grid: GridState, exposed: tuple[Line, ...], *, hopeless_only: bool = False
) -> bool:
    """Leave a row with a published total out of the output whole.

    A published total of 12 made of one cell of 11 and one of 1 pins the 1 however the two
    are hidden; a total of 12 over four listed months keeps every month below 10. Left out,
    with the totals of the columns it has data in hidden too, the row tells nothing beyond
    what the other output already published.
    ``hopeless_only``: only a row that no hiding of its own cells could protect.
    """
    candidates = [
        i
        for axis, i in exposed
        if axis == "row" and ("row", i) in grid.fixed and i not in grid.withheld
        and any(not grid.empty(c) for c in grid.cells(("row", i)))
        and (not hopeless_only or _hopeless(grid, i))
    ]  # fmt: skip
    # A row holding a small cell first: withholding an empty or safe row protects nothing.
    candidates.sort(key=lambda i: not any(
        grid.status[c] == "primary" for c in grid.cells(("row", i))
    ))  # fmt: skip
    for i in candidates[:1]:
        grid.withheld.add(i)
        for cell in grid.cells(("row", i)):
            if grid.status[cell] == "shown" and not grid.empty(cell):
                grid.status[cell] = "complementary"
            column: Line = ("col", cell[1])
            if not grid.empty(cell) and column not in grid.hidden_margins:
                grid.hidden_margins[column] = "complementary"
        return True
    return False


def _hopeless(grid: GridState, row: int) -> bool:
    """Whether a small cell of a listed row with a published total stays below threshold-1
    even with every other cell of the row hidden (each at least 1, or the threshold)."""
    total = grid.margins["row", row]
    cells = [c for c in grid.cells(("row", row)) if not grid.empty(c)]

    def floor(cell: tuple[int, int]) -> float:
        small = grid.status[cell] == "primary"
        return min(1.0 if small else float(grid.threshold), float(grid.values[cell]))

    return any(
        grid.status[c] == "primary" and grid.kind.count
        and total - sum(floor(o) for o in cells if o != c) < grid.threshold - 1
        for c in cells
    )  # fmt: skip


def _has_shown(grid: GridState, line: Line) -> bool:
    return any(grid.status[c] == "shown" and not grid.empty(c) for c in grid.cells(line))


def _crossing_lines(grid: GridState, line: Line) -> list[Line]:
    """Lines through the hidden cells of ``line`` (columns for a row, rows for a column)."""
    out: list[Line] = []
    for cell in grid.cells(line):
        if grid.hidden(cell):
            other: Line = ("col", cell[1]) if line[0] == "row" else ("row", cell[0])
            if other in grid.margins and other not in out:
                out.append(other)
    return out


def _result(
    grid: GridState, policy: PrivacyPolicy, has_rows: bool, unlisted: set[int]
) -> SuppressedGrid:
    rows, cols = grid.values.shape
    status = [[grid.status[i, j] for j in range(cols)] for i in range(rows)]
    shown = [[s == "shown" for s in row] for row in status]
    values = [
        [float(grid.values[i, j]) if shown[i][j] else None for j in range(cols)]
        for i in range(rows)
    ]

    def margin(line: Line) -> float | None:
        return None if line in grid.hidden_margins else grid.margins[line]

    primary = sum(s == "primary" for row in status for s in row)
    complementary = sum(s == "complementary" for row in status for s in row)
    hidden_margins = list(grid.hidden_margins.values())
    summary = suppression_block(
        policy,
        primary=primary + hidden_margins.count("primary"),
        complementary=complementary + hidden_margins.count("complementary"),
        method=METHOD_GRID,
        total_suppressed=bool(grid.hidden_margins),
    )
    withheld = sorted(grid.withheld - unlisted)
    if withheld:
        summary["withheld_rows"] = len(withheld)
    return SuppressedGrid(
        values=values,
        suppressed=[[not s for s in row] for row in shown],
        status=status,
        totals=[margin(("col", j)) for j in range(cols)],
        row_totals=[margin(("row", i)) for i in range(rows)] if has_rows else None,
        summary=summary,
        withheld_rows=withheld,
    )
