"""The exact LP behind grid audits, checked against brute-force enumeration."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from claimscope.privacy.lp import BoxLP, Infeasible


def margin_system(rng: random.Random) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random table-like system: each variable in at most one row and one column line."""
    n, m = rng.randint(1, 5), rng.randint(1, 4)
    a = np.zeros((m, n))
    for j in range(n):
        for r in rng.sample(range(m), k=min(m, rng.randint(1, 2))):
            a[r, j] = 1.0
        if rng.random() < 0.2:  # a hidden margin: a single -1
            a[:, j] = 0.0
            a[rng.randrange(m), j] = -1.0
    truth = np.array([rng.randint(0, 7) for _ in range(n)], float)
    lo = np.minimum([rng.randint(0, 2) for _ in range(n)], truth)
    hi = np.maximum([rng.choice([5, 7, 8]) for _ in range(n)], truth)
    return a, a @ truth, lo.astype(float), hi.astype(float)


def test_bounds_match_brute_force_on_random_margin_systems() -> None:
    rng = random.Random(7)
    for _ in range(150):
        a, b, lo, hi = margin_system(rng)
        ranges = [range(int(lo[k]), int(hi[k]) + 1) for k in range(len(lo))]
        points = np.array(list(itertools.product(*ranges)), float)
        solutions = points[np.all(np.abs(points @ a.T - b) < 1e-9, axis=1)]
        lp = BoxLP(a, b, lo, hi)
        for k in range(len(lo)):
            objective = np.eye(len(lo))[k]
            assert math.ceil(lp.minimum(objective) - 1e-7) == solutions[:, k].min()
            assert math.floor(lp.maximum(objective) + 1e-7) == solutions[:, k].max()
        total = np.ones(len(lo))
        assert lp.maximum(total) == pytest.approx(solutions.sum(axis=1).max())


def test_unbounded_and_infeasible_systems() -> None:
    lp = BoxLP(np.array([[1.0, -1.0]]), np.array([1.0]), np.zeros(2), np.full(2, np.inf))
    assert lp.maximum(np.array([1.0, 0.0])) == np.inf
    assert lp.minimum(np.array([1.0, 0.0])) == 1.0
    with pytest.raises(Infeasible):
        BoxLP(np.array([[1.0, 1.0]]), np.array([1.0]), np.ones(2), np.full(2, 5.0))


def test_redundant_equations_are_dropped() -> None:
    a = np.array([[1.0, 1.0], [2.0, 2.0]])
    lp = BoxLP(a, np.array([10.0, 20.0]), np.array([3.0, 0.0]), np.array([np.inf, np.inf]))
    assert lp.maximum(np.array([0.0, 1.0])) == pytest.approx(7.0)


def linked_system(rng: random.Random) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random system with coefficients up to 2 and overlapping sums: not totally
    unimodular, so its LP optimum can be fractional while the integer one is not."""
    n, m = rng.randint(2, 4), rng.randint(1, 3)
    a = np.array([[rng.choice([0, 0, 1, 1, 2, -1]) for _ in range(n)] for _ in range(m)], float)
    truth = np.array([rng.randint(0, 5) for _ in range(n)], float)
    lo = np.minimum([rng.randint(0, 1) for _ in range(n)], truth)
    hi = np.maximum([rng.choice([4, 5, 6]) for _ in range(n)], truth)
    return a, a @ truth, lo.astype(float), hi.astype(float)


def test_integer_bounds_match_brute_force_where_the_lp_is_fractional() -> None:
    rng = random.Random(11)
    fractional = 0
    for _ in range(120):
        a, b, lo, hi = linked_system(rng)
        ranges = [range(int(lo[k]), int(hi[k]) + 1) for k in range(len(lo))]
        points = np.array(list(itertools.product(*ranges)), float)
        solutions = points[np.all(np.abs(points @ a.T - b) < 1e-9, axis=1)]
        exact = BoxLP(a, b, lo, hi, integer=True)
        relaxed = BoxLP(a, b, lo, hi)
        for k in range(len(lo)):
            objective = np.eye(len(lo))[k]
            assert exact.minimum(objective) == solutions[:, k].min()
            assert exact.maximum(objective) == solutions[:, k].max()
            fractional += relaxed.maximum(objective) > solutions[:, k].max() + 1e-6
        for x in exact.solutions:  # every kept solution is a whole-number solution
            assert np.all(x == np.round(x)) and np.allclose(a @ x, b)
    assert fractional > 0  # the brute force did meet LP optima that are not whole numbers


def test_a_fractional_lp_optimum_is_not_taken_for_the_integer_one() -> None:
    # 2a + 3b = 8 with b >= 1: the LP puts a at 2.5, but whole numbers only allow a = 1.
    a = np.array([[2.0, 3.0]])
    lp = BoxLP(a, np.array([8.0]), np.array([0.0, 1.0]), np.full(2, np.inf), integer=True)
    assert lp.maximum(np.array([1.0, 0.0])) == 1.0
    assert lp.minimum(np.array([0.0, 1.0])) == 2.0


def test_admit_keeps_only_solutions_of_the_system() -> None:
    lp = BoxLP(np.array([[1.0, 1.0]]), np.array([10.0]), np.array([1.0, 1.0]),
               np.array([9.0, np.inf]), integer=True)  # fmt: skip
    kept = len(lp.solutions)
    assert lp.admit(np.array([3.0, 7.0])) == 1
    # Each misses one condition: the equation, a lower bound, whole numbers.
    assert lp.admit(np.array([[3.0, 6.0], [0.0, 10.0], [2.5, 7.5]])) == 0
    assert len(lp.solutions) == kept + 1
    assert lp.observed(np.array([1.0, 0.0]))[0] <= 3.0


def test_an_lp_the_simplex_cannot_settle_is_solved_by_the_integer_solver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from claimscope.privacy import lp as module

    monkeypatch.setattr(module._Relaxation, "solve", lambda self, c, hi: module._Found("unknown"))
    a = np.array([[2.0, 3.0]])
    exact = BoxLP(a, np.array([8.0]), np.array([0.0, 1.0]), np.full(2, np.inf), integer=True)
    assert exact.maximum(np.array([1.0, 0.0])) == 1.0
    money = BoxLP(a, np.array([8.0]), np.array([0.0, 1.0]), np.full(2, np.inf))
    assert money.maximum(np.array([1.0, 0.0])) == pytest.approx(2.5)
