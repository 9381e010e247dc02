"""Bounds of a linear function over a box-bounded system of equations, solved by HiGHS.

Suppression audits ask: given what an output publishes, how far can a hidden cell (or a sum
of hidden cells) range? That is two optimisation problems, min and max of the cell subject
to the published equations and each hidden figure's known bounds. A single table with
margins has a totally unimodular matrix, so its linear-programme bounds are whole numbers;
linked tables (cohorts that contain each other, a trend next to ``top``) are not, so the
bounds an attacker gets by integer programming can be tighter than the LP's. :class:`BoxLP`
therefore solves both: ``integer=True`` asks HiGHS for the exact integer optimum
(``scipy.optimize.milp``), otherwise the LP optimum (``scipy.optimize.linprog``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linprog, milp

Array = npt.NDArray[np.float64]
# HiGHS status codes shared by linprog and milp.
_TIME_LIMIT = 1
_INFEASIBLE = 2
_UNBOUNDED = 3
# Seconds HiGHS may spend on one integer programme. Linked outputs can make programmes whose
# proof of optimality takes minutes; stopping early is safe because a minimum found in time
# is never below the true one (nor a maximum above it): the audit sees a narrower range than
# an attacker could and protects more, never less.
MILP_SECONDS = 5.0


class Infeasible(ValueError):
    """The equations and bounds admit no solution (the figures are inconsistent)."""


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
        found = self._solve(np.zeros(self.n))
        if found.status == _INFEASIBLE:
            raise Infeasible("the shown figures are inconsistent with the table's equations")

    def minimum(self, c: Array) -> float:
        """Smallest value of ``c @ x`` (``-inf`` when unbounded below)."""
        c = np.asarray(c, dtype=float)
        found = self._solve(c)
        if found.status == _UNBOUNDED:
            return -np.inf
        if found.status == _INFEASIBLE:  # pragma: no cover - checked in the constructor
            raise Infeasible("the shown figures are inconsistent with the table's equations")
        if found.status == _TIME_LIMIT and found.x is None:
            # Out of time before any solution: the best known is the solutions found so far.
            return self.observed(c)[0]
        if found.x is None:
            # MILP says "unbounded or infeasible" for some unbounded cases; feasibility was
            # established in the constructor, so the objective is unbounded.
            return -np.inf
        return float(c @ found.x)

    def maximum(self, c: Array) -> float:
        """Largest value of ``c @ x`` (``inf`` when unbounded above)."""
        return -self.minimum(-np.asarray(c, dtype=float))

    def observed(self, c: Array) -> tuple[float, float]:
        """The smallest and largest ``c @ x`` over the solutions found so far: an inner
        bound of the exact range (``(inf, -inf)`` before any)."""
        values = [float(np.asarray(c) @ x) for x in self.solutions]
        return min(values, default=np.inf), max(values, default=-np.inf)

    def explore(self, c: Array, hi: Array | None = None) -> None:
        """Find (and keep) a solution minimising ``c @ x``, optionally under tighter upper
        bounds ``hi``: one solve that puts many figures at an end of their range at once."""
        saved = self.hi
        if hi is not None:
            self.hi = np.minimum(self.hi, np.maximum(hi, self.lo))
        try:
            self._solve(np.asarray(c, dtype=float))
        finally:
            self.hi = saved

    def _solve(self, c: Array) -> OptimizeResult:
        found = self._highs(c)
        if found.status in (0, _TIME_LIMIT) and found.x is not None:  # each is a solution
            self.solutions.append(np.asarray(found.x))
        return found

    def _highs(self, c: Array) -> OptimizeResult:
        if self.integer:
            constraints = (
                [LinearConstraint(self.a, self.b, self.b)] if self.a.shape[0] else []
            )  # fmt: skip
            return milp(
                c,
                constraints=constraints,
                integrality=np.ones(self.n),
                bounds=Bounds(self.lo, self.hi),
                options={"time_limit": MILP_SECONDS},
            )
        rows = self.a.shape[0] > 0
        return linprog(
            c,
            A_eq=self.a if rows else None,
            b_eq=self.b if rows else None,
            bounds=[
                (lo, None if np.isinf(hi) else hi) for lo, hi in zip(self.lo, self.hi, strict=True)
            ],
            method="highs",
        )
