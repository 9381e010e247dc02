"""A cheap proof that a hidden grid cell is protected: a cycle of hidden cells.

In a grid with margins, moving ``+t`` and ``-t`` alternately around a cycle of hidden cells
(row, column, row, ...) changes no margin. If the cells on the cycle have room for a move of
``t`` within what the attacker knows of them (their boxes), the cell can take its value
minus (or plus) ``t`` in another solution of the published equations, so its exact range
reaches at least that far. Finding such cycles is a breadth-first search, far cheaper than
an integer programme; the audit solves one only for cells this cannot settle.

Margins are kept fixed here (moves never need a hidden margin), and cells bound by the
complementary choice rule to another hidden cell are not moved, so every move found is a
solution of the audit's full system.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

Cell = tuple[int, int]
Box = tuple[float, float]


class Cycles:
    """Hidden cells of a grid, their values and boxes, searchable for protecting cycles."""

    def __init__(
        self, cells: Iterable[Cell], values: dict[Cell, float], boxes: dict[Cell, Box]
    ) -> None:
        self.values = values
        self.boxes = boxes
        self.by_row: dict[int, list[Cell]] = {}
        self.by_col: dict[int, list[Cell]] = {}
        for cell in cells:
            self.by_row.setdefault(cell[0], []).append(cell)
            self.by_col.setdefault(cell[1], []).append(cell)

    def room(self, cell: Cell, step: float) -> bool:
        """Whether ``cell`` can move by ``step`` (signed) and stay inside its box."""
        low, high = self.boxes[cell]
        return low - 1e-9 <= self.values[cell] + step <= high + 1e-9

    def movable(self, target: Cell, step: float) -> bool:
        """Whether ``target`` can change by ``step`` (signed) along a cycle of hidden cells.

        From the target's row, a cell reached going row -> column moves by ``-step`` (the
        row keeps its sum), one reached column -> row by ``+step``; the search ends at the
        target's column, which the target's own change balances.
        """
        if step == 0:
            return True
        if not self.room(target, step):
            return False
        start, goal = ("row", target[0]), ("col", target[1])
        seen = {start}
        queue = deque([start])
        while queue:
            axis, k = queue.popleft()
            cells = self.by_row.get(k, []) if axis == "row" else self.by_col.get(k, [])
            for cell in cells:
                if cell == target or not self.room(cell, -step if axis == "row" else step):
                    continue
                nxt = ("col", cell[1]) if axis == "row" else ("row", cell[0])
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return False
