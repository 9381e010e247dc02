"""The adversary inside grid suppression: what can be derived from what a grid shows.

Every shown margin is an equation over its line. Given all of them at once, plus what the
rule tells about each hidden figure, an exact linear programme bounds every hidden small
cell, every hidden small margin and every line's sum of hidden small cells. A figure
whose bounds meet is *derivable*, and the grid needs more suppression.

Known to the adversary, to stay on the safe side (all true of the real data):

* which hidden cells are small: a small count is at least 1, another at least the
  threshold (each lower bound is capped at the true value, for fractional or zero units);
* the complementary choice rule: a complementary cell is no larger than any cell it was
  preferred to (a bound when that cell is shown, an inequality when it is hidden too).

The equations split into independent groups of hidden figures (connected through shared
lines); each group is solved on its own, which keeps the programmes small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from claimscope.privacy.cycles import Cycles
from claimscope.privacy.lp import BoxLP
from claimscope.privacy.rules import CellKind, Status, pinned, unprotected

Line = tuple[str, int]  # ("row", i) or ("col", j)
Cell = tuple[int, int]
Var = tuple[str, Any]  # ("cell", Cell), ("margin", Line) or ("slack", n)


@dataclass
class GridState:
    """Working state of grid suppression: figures, counts, and what is hidden so far."""

    values: npt.NDArray[np.float64]
    counts: npt.NDArray[np.float64]
    margins: dict[Line, float]
    margin_counts: dict[Line, float]
    threshold: int
    kind: CellKind
    status: dict[Cell, Status] = field(default_factory=dict)
    hidden_margins: dict[Line, Status] = field(default_factory=dict)
    rivals: dict[Cell, list[Cell]] = field(default_factory=dict)
    # Margins another output publishes (a trend's code totals are ``top``'s values): never hidden.
    fixed: set[Line] = field(default_factory=set)
    # Rows left out of the output whole (their published total could not be protected).
    withheld: set[int] = field(default_factory=set)
    # Whole grids of cell values that satisfied an earlier round's equations. Hiding more
    # only loosens the system (a shown figure becomes a variable whose box holds its value),
    # so most still do, and settle figures without a solve (each is re-checked).
    solutions: list[npt.NDArray[np.float64]] = field(default_factory=list)

    def cells(self, line: Line) -> list[Cell]:
        """The cells of a row or column."""
        rows, cols = self.values.shape
        if line[0] == "row":
            return [(line[1], j) for j in range(cols)]
        return [(i, line[1]) for i in range(rows)]

    def hidden(self, cell: Cell) -> bool:
        return self.status[cell] != "shown"

    def empty(self, cell: Cell) -> bool:
        """A true zero: no value and nobody behind it (shown as 0, protects nothing)."""
        return self.values[cell] == 0 and self.counts[cell] == 0

    def lines(self) -> list[Line]:
        return sorted(self.margins)


@dataclass
class _System:
    """Equations ``sum(coef * var) = rhs`` and a box per variable."""

    equations: list[tuple[dict[Var, float], float]] = field(default_factory=list)
    boxes: dict[Var, tuple[float, float]] = field(default_factory=dict)


def audit(grid: GridState) -> tuple[Line, ...] | None:
    """The lines of the first derivable small figure, or ``None`` when nothing is derivable."""
    system = _system(grid)
    for group in _components(system):
        found = _audit_group(grid, system, group)
        if found is not None:
            return found
    return None


def _system(grid: GridState) -> _System:
    system = _System()
    for line in grid.lines():
        coefficients: dict[Var, float] = {}
        known = 0.0
        for cell in grid.cells(line):
            if grid.hidden(cell):
                coefficients["cell", cell] = 1.0
            else:
                known += float(grid.values[cell])
        if line in grid.hidden_margins:
            coefficients["margin", line] = -1.0
            rhs = -known
        else:
            rhs = grid.margins[line] - known
        if coefficients:
            system.equations.append((coefficients, rhs))
    for cell, status in grid.status.items():
        if status != "shown":
            system.boxes["cell", cell] = _cell_box(grid, cell)
    for line in grid.hidden_margins:
        system.boxes["margin", line] = _margin_box(grid, line)
    _add_rival_inequalities(grid, system)
    return system


def _cell_box(grid: GridState, cell: Cell) -> tuple[float, float]:
    if cell[0] in grid.withheld:
        return 0.0, np.inf  # not in the output: nothing is known of the cell itself
    value = float(grid.values[cell])
    count = grid.kind.count
    if grid.status[cell] == "primary":
        high = grid.threshold - 1.0 if grid.kind.value_is_cell_count else np.inf
        return min(1.0 if count else 0.0, value), max(high, value)
    low = min(float(grid.threshold) if count else 0.0, value)
    shown_rivals = [float(grid.values[r]) for r in grid.rivals.get(cell, []) if not grid.hidden(r)]
    return low, max(min(shown_rivals, default=np.inf), value)


def _margin_box(grid: GridState, line: Line) -> tuple[float, float]:
    value = grid.margins[line]
    if grid.hidden_margins[line] == "primary":
        return min(1.0 if grid.kind.count else 0.0, value), np.inf
    return min(float(grid.threshold) if grid.kind.count else 0.0, value), np.inf


def _add_rival_inequalities(grid: GridState, system: _System) -> None:
    """``x_pick <= x_rival`` for rivals hidden later: ``x_pick - x_rival + slack = 0``."""
    n = 0
    for pick, rivals in sorted(grid.rivals.items()):
        for rival in rivals:
            if grid.hidden(rival):
                slack: Var = ("slack", n)
                n += 1
                system.boxes[slack] = (0.0, np.inf)
                system.equations.append(
                    ({("cell", pick): 1.0, ("cell", rival): -1.0, slack: 1.0}, 0.0)
                )


def _components(system: _System) -> list[list[Var]]:
    """Variables linked through shared equations (union-find), each group sorted."""
    parent: dict[Var, Var] = {v: v for v in system.boxes}

    def find(v: Var) -> Var:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for coefficients, _ in system.equations:
        first, *rest = list(coefficients)
        for other in rest:
            parent[find(other)] = find(first)
    groups: dict[Var, list[Var]] = {}
    for v in sorted(system.boxes):
        groups.setdefault(find(v), []).append(v)
    return list(groups.values())


def _audit_group(grid: GridState, system: _System, group: list[Var]) -> tuple[Line, ...] | None:
    small_cells = [v[1] for v in group if v[0] == "cell" and grid.status[v[1]] == "primary"]
    small_margins = [
        v[1] for v in group if v[0] == "margin" and grid.hidden_margins[v[1]] == "primary"
    ]
    if not small_cells and not small_margins:
        return None
    index = {v: k for k, v in enumerate(group)}
    lp = _programme(grid, system, group, index)
    known = len(lp.solutions)
    try:
        _spread(grid, lp, index, small_cells)
        return _first_exposed(grid, system, group, index, lp, small_cells, small_margins)
    finally:
        _remember(grid, group, index, lp.solutions[known:])


def _first_exposed(
    grid: GridState, system: _System, group: list[Var], index: dict[Var, int], lp: BoxLP,
    small_cells: list[Cell], small_margins: list[Line],
) -> tuple[Line, ...] | None:  # fmt: skip
    cycles = _cycles(grid, system, group)

    def exposed(variables: list[Var], value: float | None = None) -> bool:
        objective = np.zeros(len(group))
        objective[[index[v] for v in variables]] = 1.0

        def judge(low: float, high: float) -> bool:
            if value is not None:  # one small figure: its range must reach 1 and threshold-1
                return unprotected(low, high, grid.kind, grid.threshold, value)
            return pinned(low, high, grid.kind)

        if not judge(*lp.observed(objective)):
            return False  # solutions already found span enough of the range
        if value is not None and _cycle_protected(grid, cycles, variables[0][1]):
            return False
        return judge(lp.minimum(objective), lp.maximum(objective))

    for cell in small_cells:
        if exposed([("cell", cell)], float(grid.values[cell])):
            return (("col", cell[1]), ("row", cell[0]))
    for line in small_margins:  # a margin of listed cells cannot reach 1: pinned only
        if exposed([("margin", line)]):
            return tuple(m for m in grid.lines() if m[0] != line[0])
    return _exposed_line_group(grid, small_cells, exposed)


def _cycles(grid: GridState, system: _System, group: list[Var]) -> Cycles:
    """The group's hidden cells that can move freely (not tied by a rival inequality)."""
    tied = {c for pick, rivals in grid.rivals.items() for r in rivals if grid.hidden(r)
            for c in (pick, r)}  # fmt: skip
    cells = [v[1] for v in group if v[0] == "cell" and v[1] not in tied]
    values = {c: float(grid.values[c]) for c in cells}
    return Cycles(cells, values, {c: system.boxes["cell", c] for c in cells})


def _cycle_protected(grid: GridState, cycles: Cycles, cell: Cell) -> bool:
    """Whether cycles of hidden cells alone show ``cell``'s range is wide enough."""
    if cell not in cycles.values:
        return False
    value, threshold = float(grid.values[cell]), grid.threshold
    if grid.kind.count and (value < threshold or grid.kind.value_is_cell_count):
        down, up = value - 1.0, threshold - 1.0 - value
        return (down <= 0 or cycles.movable(cell, -down)) and (up <= 0 or cycles.movable(cell, up))
    step = 1.0 if grid.kind.count else 0.01
    return cycles.movable(cell, -step) or cycles.movable(cell, step)


def _programme(grid: GridState, system: _System, group: list[Var], index: dict[Var, int]) -> BoxLP:
    """The group's integer programme, seeded with the true figures and the remembered
    solutions it still admits."""
    members = set(group)
    equations = [(c, r) for c, r in system.equations if next(iter(c)) in members]
    a = np.zeros((len(equations), len(group)))
    for row, (coefficients, _) in enumerate(equations):
        for var, coefficient in coefficients.items():
            a[row, index[var]] = coefficient
    b = np.array([r for _, r in equations])
    lo = np.array([system.boxes[v][0] for v in group])
    hi = np.array([system.boxes[v][1] for v in group])
    lp = BoxLP(a, b, lo, hi, integer=grid.kind.count)
    candidates = _vectors(np.stack([grid.values, *grid.solutions]), group, equations, index)
    lp.solutions.append(candidates[0])  # the real figures
    lp.admit(candidates[1:])
    return lp


def _spread(grid: GridState, lp: BoxLP, index: dict[Var, int], small: list[Cell]) -> None:
    """Two solves that put every small cell as low, then as high (up to threshold-1), as
    the equations allow: most small cells are then settled by the solutions alone."""
    weights = np.zeros(lp.n)
    weights[[index["cell", c] for c in small]] = 1.0
    lp.explore(weights)
    caps = np.full(lp.n, np.inf)
    for cell in small:
        caps[index["cell", cell]] = max(grid.threshold - 1.0, float(grid.values[cell]))
    lp.explore(-weights, hi=caps)


def _exposed_line_group(
    grid: GridState, small_cells: list[Cell], exposed: Any
) -> tuple[Line, ...] | None:
    """A line whose hidden small cells' sum is derivable (unless they are the whole line)."""
    small = set(small_cells)
    for line in grid.lines():
        cells = [c for c in grid.cells(line) if not grid.empty(c)]
        mine = [c for c in cells if c in small]
        whole = len(mine) == len(cells) and grid.hidden_margins.get(line) != "primary"
        if len(mine) > 1 and not whole and exposed([("cell", c) for c in mine]):
            return (line,)
    return None


def _remember(
    grid: GridState, group: list[Var], index: dict[Var, int], found: list[npt.NDArray[np.float64]]
) -> None:
    """Keep the group's new solutions as whole grids (other groups at their real values,
    which their own equations admit) for the next rounds."""
    cells = [(v[1], index[v]) for v in group if v[0] == "cell"]
    for x in found:
        whole = grid.values.copy()
        for cell, k in cells:
            whole[cell] = x[k]
        grid.solutions.append(whole)


def _vectors(
    grids: npt.NDArray[np.float64], group: list[Var], equations: list[Any], index: dict[Var, int]
) -> npt.NDArray[np.float64]:
    """Grids of cell values (the real one, remembered solutions), stacked, as the group's
    variables: margins are their line sums, slacks follow from their equations."""
    x = np.zeros((len(grids), len(group)))
    for var in group:
        if var[0] == "cell":
            x[:, index[var]] = grids[:, var[1][0], var[1][1]]
        elif var[0] == "margin":
            axis, k = var[1]
            x[:, index[var]] = grids[:, :, k].sum(axis=1) if axis == "col" else grids[:, k].sum(1)
    for coefficients, rhs in equations:
        slack = [v for v in coefficients if v[0] == "slack"]
        if slack:  # x_pick - x_rival + slack = rhs
            rest = sum(c * x[:, index[v]] for v, c in coefficients.items() if v[0] != "slack")
            x[:, index[slack[0]]] = rhs - rest
    return x
