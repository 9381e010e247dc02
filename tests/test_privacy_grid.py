"""Grid suppression (codes x periods, cohorts x codes) with margins, attacked by the adversary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimscope.analysis.query import PrivacyPolicy
from claimscope.privacy import PATIENT_CELLS, SuppressedGrid, suppress_grid
from tests.privacy_adversary import Knowledge, attack_grid

POLICY = PrivacyPolicy()


def primary_cells(values: np.ndarray, counts: np.ndarray) -> set[tuple[int, int]]:
    small = (counts < 11) | ((values > 0) & (values < 11))
    empty = (values == 0) & (counts == 0)
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(small & ~empty), strict=True)}


def attack(grid: SuppressedGrid, values: np.ndarray, counts: np.ndarray, rows: bool = False):
    hidden = {(i, j) for i, row in enumerate(grid.suppressed) for j, h in enumerate(row) if h}
    return attack_grid(
        grid.values,
        grid.totals,
        Knowledge(),
        row_totals=grid.row_totals if rows else None,
        primary=primary_cells(values, counts) & hidden,
        empty={(int(i), int(j)) for i, j in zip(*np.nonzero(values == 0), strict=True)} & hidden,
    )


def test_a_period_with_one_small_code_hides_a_second_cell_of_that_period() -> None:
    # rows: two leading codes and "other"; columns: three months; margins: month totals.
    values = np.array([[100, 120, 90], [50, 5, 60], [30, 40, 25]], float)
    counts = np.array([[40, 45, 30], [20, 4, 25], [15, 15, 12]], float)
    grid = suppress_grid(values, counts, values.sum(0), [80, 70, 60], POLICY)
    assert grid.values == [[100, 120, 90], [50, None, 60], [30, None, 25]]
    assert grid.totals == [180, 165, 175]
    assert grid.summary["primary"] == 1 and grid.summary["complementary"] == 1
    finding = attack(grid, values, counts)
    finding.assert_protected()
    assert finding.exact and finding.intervals["1,1"] == (1, 34)


def test_row_and_column_margins_need_a_cycle_of_hidden_cells() -> None:
    values = np.array([[100, 120, 90], [50, 5, 60], [30, 40, 3], [20, 25, 30]], float)
    counts = np.array([[40, 45, 30], [20, 4, 25], [15, 15, 2], [12, 11, 14]], float)
    grid = suppress_grid(
        values, counts, values.sum(0), [80, 70, 60], POLICY,
        row_totals=values.sum(1), row_total_counts=[50, 40, 30, 20],
    )  # fmt: skip
    hidden = np.array([[v is None for v in row] for row in grid.values])
    assert hidden.sum() >= 4
    for i, j in ((1, 1), (2, 2)):  # no row or column with a lone hidden small cell
        assert hidden[i].sum() >= 2 and hidden[:, j].sum() >= 2
    attack(grid, values, counts, rows=True).assert_protected()


def test_a_small_period_is_hidden_whole_with_its_total() -> None:
    values = np.array([[100, 6], [50, 3]], float)
    counts = np.array([[40, 3], [20, 2]], float)
    grid = suppress_grid(values, counts, values.sum(0), [60, 5], POLICY)
    assert grid.totals == [150, None]
    assert grid.values == [[100, None], [50, None]]
    assert grid.summary["total_suppressed"] is True


def test_true_zeros_stay_shown_and_are_never_used_as_partners() -> None:
    values = np.array([[100, 120], [0, 5], [40, 30]], float)
    counts = np.array([[40, 45], [0, 4], [15, 12]], float)
    grid = suppress_grid(values, counts, values.sum(0), [60, 60], POLICY)
    assert grid.values[1][0] == 0
    assert grid.values[1][1] is None and grid.values[2][1] is None
    attack(grid, values, counts).assert_protected()


def test_unpublished_complement_of_a_nested_cohort_stays_protected() -> None:
    # Columns: cohort A (PT clinics) and B minus A; row margins: cohort B (everyone).
    # Only A and B are published; a small "B minus A" cell must not follow from B - A.
    values = np.array([[300, 40], [120, 6], [80, 50]], float)
    counts = np.array([[60, 20], [30, 3], [20, 18]], float)
    unpublished = np.array([[False, True]] * 3)
    grid = suppress_grid(
        values, counts, values.sum(0), [100, 40], POLICY,
        row_totals=values.sum(1), row_total_counts=[70, 33, 35], unpublished=unpublished,
    )  # fmt: skip
    assert all(row[1] is None for row in grid.values)
    assert grid.values[1][0] is None  # A's 120 would give away B - A = 6
    attack(grid, values, counts, rows=True).assert_protected()


def test_grid_refuses_distinct_counts_and_margins_that_are_not_sums() -> None:
    values = np.array([[20.0, 30.0]])
    with pytest.raises(ValueError, match="additive"):
        suppress_grid(values, values, [20, 30], [20, 30], POLICY, kind=PATIENT_CELLS)
    with pytest.raises(ValueError, match="not the sum"):
        suppress_grid(values, values, [20, 31], [20, 30], POLICY)


def test_naive_grid_suppression_is_caught_by_the_adversary() -> None:
    cells = [[100, 120], [50, None], [30, 40]]
    finding = attack_grid(cells, [180, 165], Knowledge(), primary={(1, 1)})
    assert finding.intervals["1,1"] == (5, 5)
    assert finding.violations


small_grid = st.integers(2, 4).flatmap(
    lambda rows: st.integers(1, 4).flatmap(
        lambda cols: st.tuples(
            st.lists(
                st.lists(st.integers(0, 40), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            ),
            st.lists(
                st.lists(st.integers(0, 30), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            ),
        )
    )
)


@settings(max_examples=60, deadline=None)
@given(data=small_grid, with_rows=st.booleans())
def test_random_grids_never_reveal_a_small_cell(
    data: tuple[list[list[int]], list[list[int]]], with_rows: bool
) -> None:
    values = np.array(data[0], float)
    counts = np.where(values == 0, 0, np.array(data[1], float))
    col_counts = counts.sum(0)
    row_options = (
        {"row_totals": values.sum(1), "row_total_counts": counts.sum(1)} if with_rows else {}
    )
    grid = suppress_grid(values, counts, values.sum(0), col_counts, POLICY, **row_options)
    attack(grid, values, counts, rows=with_rows).assert_protected()


@settings(max_examples=60, deadline=None)
@given(data=small_grid)
def test_random_grids_with_row_totals_published_elsewhere(
    data: tuple[list[list[int]], list[list[int]]],
) -> None:
    # A trend's codes are top's rows: the adversary has every row total from the other output.
    values = np.array(data[0], float)
    counts = np.where(values == 0, 0, np.array(data[1], float))
    grid = suppress_grid(
        values,
        counts,
        values.sum(0),
        counts.sum(0),
        POLICY,
        row_totals=values.sum(1),
        row_total_counts=counts.sum(1),
        row_totals_published=True,
    )
    # top hides a small row itself; every other row total is public and must stay shown.
    public = [
        None if (t > 0 and t < 11) or (t > 0 and n < 11) else float(t)
        for t, n in zip(values.sum(1), counts.sum(1), strict=True)
    ]
    assert grid.row_totals is not None
    assert all(g == p for g, p in zip(grid.row_totals, public, strict=True) if p is not None)
    # Rows the grid withholds are not in the output at all: the adversary sees the others.
    kept = [i for i in range(len(values)) if i not in grid.withheld_rows]
    hidden = {(k, j) for k, i in enumerate(kept) for j, h in enumerate(grid.suppressed[i]) if h}
    small = primary_cells(values[kept], counts[kept])
    empty = {(int(i), int(j)) for i, j in zip(*np.nonzero(values[kept] == 0), strict=True)}
    attack_grid(
        [grid.values[i] for i in kept],
        grid.totals,
        Knowledge(),
        row_totals=[public[i] for i in kept],
        primary=small & hidden,
        empty=empty & hidden,
    ).assert_protected()


def test_a_published_row_that_cannot_be_protected_is_withheld() -> None:
    # Found by hypothesis: the row total 12 (published by top) is 11 + 1, which pins the 1
    # however the two cells are hidden.
    values = np.array([[0, 0, 0], [0, 11, 1]], float)
    counts = np.array([[0, 0, 0], [0, 11, 0]], float)
    grid = suppress_grid(
        values, counts, values.sum(0), counts.sum(0), POLICY,
        row_totals=values.sum(1), row_total_counts=counts.sum(1), row_totals_published=True,
    )  # fmt: skip
    assert grid.withheld_rows == [1]
    assert grid.totals[1] is None and grid.totals[2] is None
    assert grid.summary["withheld_rows"] == 1
