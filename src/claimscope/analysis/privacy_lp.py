"""Exact bounds of a linear function over a box-bounded system of equations.

Suppression audits ask: given the shown figures of a table, how far can a hidden cell (or
a sum of hidden cells) range? That is two small linear programmes, min and max of the cell
subject to the table's margin equations and each hidden figure's known bounds. The tables
are small (tens of hidden figures), so a dense two-phase simplex with Bland's rule (which
cannot cycle) is fast enough and needs no solver dependency. Margin tables have a totally
unimodular constraint matrix, so with whole-number data the optima are whole numbers too
and the LP bounds are the exact integer bounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
_EPS = 1e-9


class Infeasible(ValueError):
    """The equations and bounds admit no solution (the figures are inconsistent)."""


class BoxLP:
    """``A x = b`` with ``lo <= x <= hi`` (``hi`` may be ``inf``), solved for many objectives.

    Phase 1 runs once in the constructor; each :meth:`minimum` / :meth:`maximum` starts
    phase 2 from that feasible basis.
    """

    def __init__(self, a: Array, b: Array, lo: Array, hi: Array) -> None:
        a = np.atleast_2d(np.asarray(a, dtype=float))
        self.n = a.shape[1]
        self.lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        if np.any(hi < self.lo - _EPS):
            raise Infeasible("a lower bound exceeds its upper bound")
        rhs = np.asarray(b, dtype=float) - a @ self.lo
        finite = np.flatnonzero(np.isfinite(hi))
        # y = x - lo >= 0; a slack s_f makes y_f + s_f = hi_f - lo_f for each finite bound.
        rows = a.shape[0] + len(finite)
        cols = self.n + len(finite)
        std = np.zeros((rows, cols))
        std[: a.shape[0], : self.n] = a
        for k, f in enumerate(finite):
            std[a.shape[0] + k, f] = 1.0
            std[a.shape[0] + k, self.n + k] = 1.0
        rhs = np.concatenate([rhs, hi[finite] - self.lo[finite]])
        negative = rhs < 0
        std[negative] *= -1
        rhs[negative] *= -1
        self._tableau, self._basis = _phase_one(std, rhs)
        self._columns = cols

    def minimum(self, c: Array) -> float:
        """Smallest value of ``c @ x`` (``-inf`` when unbounded below)."""
        cost = np.zeros(self._columns)
        cost[: self.n] = np.asarray(c, dtype=float)
        value = _phase_two(self._tableau.copy(), list(self._basis), cost)
        return value + float(np.asarray(c, dtype=float) @ self.lo)

    def maximum(self, c: Array) -> float:
        """Largest value of ``c @ x`` (``inf`` when unbounded above)."""
        return -self.minimum(-np.asarray(c, dtype=float))


def _pivot(t: Array, basis: list[int], row: int, col: int) -> None:
    t[row] /= t[row, col]
    others = np.flatnonzero(np.abs(t[:, col]) > 0)
    for r in others:
        if r != row:
            t[r] -= t[r, col] * t[row]
    basis[row] = col


def _leaving_row(t: Array, basis: list[int], col: int) -> int | None:
    """Ratio test; ties go to the lowest basic variable index (Bland)."""
    best: tuple[float, int] | None = None
    row_out = None
    for r in range(t.shape[0]):
        if t[r, col] > _EPS:
            key = (t[r, -1] / t[r, col], basis[r])
            if (
                best is None
                or key[0] < best[0] - _EPS
                or (abs(key[0] - best[0]) <= _EPS and key[1] < best[1])
            ):
                best, row_out = key, r
    return row_out


def _simplex(t: Array, basis: list[int], cost: Array, allowed: int) -> float:
    """Minimise ``cost`` over the tableau in place; columns ``>= allowed`` never enter."""
    while True:
        reduced = cost[:allowed] - cost[basis] @ t[:, :allowed]
        entering = next((j for j in range(allowed) if reduced[j] < -_EPS), None)
        if entering is None:
            return float(cost[basis] @ t[:, -1])
        row = _leaving_row(t, basis, entering)
        if row is None:
            return -np.inf
        _pivot(t, basis, row, entering)


def _phase_one(std: Array, rhs: Array) -> tuple[Array, list[int]]:
    rows, cols = std.shape
    t = np.hstack([std, np.eye(rows), rhs[:, None]])
    basis = list(range(cols, cols + rows))
    cost = np.concatenate([np.zeros(cols), np.ones(rows)])
    infeasibility = _simplex(t, basis, cost, cols + rows)
    if infeasibility > 1e-7 * max(1.0, float(np.abs(rhs).max(initial=0.0))):
        raise Infeasible("the shown figures are inconsistent with the table's equations")
    # Drive artificial variables out of the basis; a row where none can leave is redundant.
    keep: list[int] = []
    for r in range(rows):
        if basis[r] >= cols:
            candidates = np.flatnonzero(np.abs(t[r, :cols]) > _EPS)
            if len(candidates) == 0:
                continue
            _pivot(t, basis, r, int(candidates[0]))
        keep.append(r)
    t = np.hstack([t[keep, :cols], t[keep, -1:]])
    return t, [basis[r] for r in keep]


def _phase_two(t: Array, basis: list[int], cost: Array) -> float:
    return _simplex(t, basis, cost, t.shape[1] - 1)
