"""Bounds of a linear function over a box-bounded system of equations, solved by HiGHS.

Suppression audits ask: given what an output publishes, how far can a hidden cell (or a sum
of hidden cells) range? That is two optimisation problems, min and max of the cell subject
to the published equations and each hidden figure's known bounds. A single table with
margins has a totally unimodular matrix, so its linear-programme bounds are whole numbers;
linked tables (cohorts that contain each other, a trend next to ``top``) are not, so the
bounds an attacker gets by integer programming can be tighter than the LP's.

:class:`BoxLP` keeps one HiGHS linear programme per system and re-solves it for each
objective from the previous optimal basis, which takes a fraction of a millisecond where a
fresh integer programme takes several. With ``integer=True`` an LP optimum that is already a
whole-number vector is also the integer optimum (every integer solution is an LP solution,
and this one attains the LP bound); only when the LP optimum is fractional does HiGHS solve
the integer programme itself (``scipy.optimize.milp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
# Seconds HiGHS may spend on one integer programme. Linked outputs can make programmes whose
# proof of optimality takes minutes; stopping early is safe because a minimum found in time
# is never below the true one (nor a maximum above it): the audit sees a narrower range than
# an attacker could and protects more, never less.
MILP_SECONDS = 5.0
_WHOLE = 1e-6  # how far from a whole number an LP value may be and still count as one
# scipy.optimize.milp's statuses.
_MILP_TIME_LIMIT = 1
_MILP_INFEASIBLE = 2
_MILP_UNBOUNDED = 3


class Infeasible(ValueError):
    """The equations and bounds admit no solution (the figures are inconsistent)."""


@dataclass(frozen=True)
class _Found:
    """One solve: ``status`` is ``optimal``, ``infeasible``, ``unbounded``, ``timeout`` or
    (the LP only, on numerical trouble) ``unknown``;
    ``x`` a solution (for ``timeout``, the best found in time, if any)."""

    status: str
    x: Array | None = None


class BoxLP:
    """``A x = b`` with ``lo <= x <= hi`` (``hi`` may be ``inf``), solved for many objectives.

    Construction checks feasibility once (raising :class:`Infeasible` for inconsistent
    figures); :meth:`minimum` / :meth:`maximum` then solve one programme each. With
    ``integer`` every variable is a whole number and the bounds are the integer optimum.
    """

    def __init__(self, a: Array, b: Array, lo: Array, hi: Array, *, integer: bool = False) -> None:
        self.a = np.atleast_2d(np.asarray(a, dtype=float))
        self.n = self.a.shape[1]
        self.b = np.asarray(b, dtype=float)
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self.integer = integer
        # Every solution found so far: a figure's values across them lie inside its exact
        # range, which often settles a question without solving for it (see observed()).
        self.solutions: list[Array] = []
        if np.any(self.hi < self.lo - 1e-9):
            raise Infeasible("a lower bound exceeds its upper bound")
        # scipy is imported where used, not at start-up: every command would pay ~0.1 s
        # (scipy.sparse) and ~0.3 s (scipy.optimize) for figures only audits need.
        from scipy.sparse import csr_matrix

        self._sparse = csr_matrix(self.a)
        self._relaxation = _Relaxation(self._sparse, self.b, self.lo, self.hi)
        # A zero objective cannot be unbounded: "unbounded or infeasible" means infeasible.
        if self._solve(np.zeros(self.n)).status in ("infeasible", "unbounded"):
            raise Infeasible("the shown figures are inconsistent with the table's equations")

    def minimum(self, c: Array) -> float:
        """Smallest value of ``c @ x`` (``-inf`` when unbounded below)."""
        c = np.asarray(c, dtype=float)
        found = self._solve(c)
        if found.status == "unbounded":
            return -np.inf
        if found.status == "infeasible":  # pragma: no cover - checked in the constructor
            raise Infeasible("the shown figures are inconsistent with the table's equations")
        if found.x is None:
            # Out of time before any solution: the best known is the solutions found so far.
            return self.observed(c)[0]
        return float(c @ found.x)

    def maximum(self, c: Array) -> float:
        """Largest value of ``c @ x`` (``inf`` when unbounded above)."""
        return -self.minimum(-np.asarray(c, dtype=float))

    def observed(self, c: Array) -> tuple[float, float]:
        """The smallest and largest ``c @ x`` over the solutions found so far: an inner
        bound of the exact range (``(inf, -inf)`` before any)."""
        if not self.solutions:
            return np.inf, -np.inf
        values = np.asarray(self.solutions) @ np.asarray(c, dtype=float)
        return float(values.min()), float(values.max())

    def admit(self, candidates: Array) -> int:
        """Keep those of ``candidates`` (one per row) that solve the system, as known
        solutions; returns how many were kept. A solution of an earlier, looser or equal
        system often still is one, and settles figures without a solve."""
        x = np.atleast_2d(np.asarray(candidates, dtype=float))
        scale = 1e-6 * max(1.0, float(np.abs(self.b).max(initial=0.0)))
        ok = np.all(x >= self.lo - 1e-9, axis=1) & np.all(x <= self.hi + 1e-9, axis=1)
        # Through a sparse matrix: a dense product this small waits ~13 ms on BLAS threads
        # woken beside DuckDB's, where the sparse one takes microseconds.
        sums = np.asarray((self._sparse @ x.T).T)
        ok &= np.all(np.abs(sums - self.b) <= scale, axis=1)
        if self.integer:
            ok &= np.all(x == np.round(x), axis=1)
        self.solutions.extend(x[ok])
        return int(ok.sum())

    def explore(self, c: Array, hi: Array | None = None) -> None:
        """Find (and keep) a solution minimising ``c @ x``, optionally under tighter upper
        bounds ``hi``: one solve that puts many figures at an end of their range at once."""
        tighter = None if hi is None else np.minimum(self.hi, np.maximum(hi, self.lo))
        self._solve(np.asarray(c, dtype=float), tighter)

    def _solve(self, c: Array, hi: Array | None = None) -> _Found:
        found = self._relaxation.solve(c, hi)
        if found.status == "unknown":
            found = self._milp(c, self.hi if hi is None else hi)
        elif found.status == "optimal" and self.integer and found.x is not None:
            whole = np.round(found.x)
            if np.max(np.abs(found.x - whole), initial=0.0) > _WHOLE:
                found = self._milp(c, self.hi if hi is None else hi)
            else:
                found = _Found("optimal", whole)
        if found.x is not None:  # every solution found, optimal or not, is kept
            self.solutions.append(found.x)
        return found

    def _milp(self, c: Array, hi: Array) -> _Found:
        from scipy.optimize import Bounds, LinearConstraint, milp  # see __init__

        constraints = [LinearConstraint(self._sparse, self.b, self.b)] if self.a.shape[0] else []
        result = milp(
            c,
            constraints=constraints,
            integrality=np.ones(self.n) if self.integer else np.zeros(self.n),
            bounds=Bounds(self.lo, hi),
            options={"time_limit": MILP_SECONDS},
        )
        x = None if result.x is None else np.asarray(result.x, dtype=float)
        if x is not None and self.integer:
            x = np.round(x)
        if result.status == _MILP_INFEASIBLE:
            return _Found("infeasible")
        if result.status == _MILP_UNBOUNDED or (result.status != _MILP_TIME_LIMIT and x is None):
            # milp says "unbounded or infeasible" for some unbounded cases; the LP relaxation
            # was feasible, so the objective is unbounded.
            return _Found("unbounded")
        return _Found("timeout" if result.status == _MILP_TIME_LIMIT else "optimal", x)


class _Relaxation:
    """The system's linear programme, kept in one HiGHS instance and re-solved per objective
    from the last optimal basis (the bounds may be tightened for one solve). ``a`` is the
    system's matrix as a scipy sparse matrix."""

    def __init__(self, a: Any, b: Array, lo: Array, hi: Array) -> None:
        self.n = a.shape[1]
        self.lo, self.hi = lo, hi
        self.columns = np.arange(self.n, dtype=np.int32)
        # The bare binding class: highspy.Highs() prints a banner to stdout on construction,
        # before logging can be switched off, which would corrupt JSON output.
        self.highs: Any = highspy._Highs()  # type: ignore[attr-defined]
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = self.n, a.shape[0]
        model.col_cost_ = np.zeros(self.n)
        model.col_lower_, model.col_upper_ = lo, _finite(hi)
        model.row_lower_ = model.row_upper_ = b
        matrix = a.tocsc()  # HiGHS takes the matrix column by column
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = matrix.indptr
        model.a_matrix_.index_ = matrix.indices
        model.a_matrix_.value_ = matrix.data
        self.highs.passModel(model)

    def solve(self, c: Array, hi: Array | None) -> _Found:
        self.highs.changeColsCost(self.n, self.columns, c)
        if hi is not None:
            self.highs.changeColsBounds(self.n, self.columns, self.lo, _finite(hi))
        try:
            self.highs.run()
            status = self.highs.getModelStatus()
            x = np.asarray(self.highs.getSolution().col_value, dtype=float)
        finally:
            if hi is not None:
                self.highs.changeColsBounds(self.n, self.columns, self.lo, _finite(self.hi))
        statuses = highspy.HighsModelStatus
        if status == statuses.kOptimal:
            return _Found("optimal", x)
        if status == statuses.kInfeasible:
            return _Found("infeasible")
        if status in (statuses.kUnbounded, statuses.kUnboundedOrInfeasible):
            # Feasibility is settled by the first solve (zero objective, which cannot be
            # unbounded), so "unbounded or infeasible" after it means unbounded.
            return _Found("unbounded")
        return _Found("unknown")  # numerical trouble: the caller asks the integer solver


def _finite(hi: Array) -> Array:
    return np.where(np.isinf(hi), highspy.kHighsInf, hi)
