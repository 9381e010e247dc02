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
