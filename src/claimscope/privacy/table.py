"""Small-cell suppression (CMS cell-size rule) that published figures cannot undo.

The rule: no figure an output shows may reveal a count from 1 to ``min_cell_size - 1``
(10 by default), neither directly nor by arithmetic on other figures of the same output
(total minus the shown rows, shares, margins). Every analysis result passes through this
module before it leaves the analysis layer, so the CLI, the JSON API, web pages and reports
all inherit it.

How a one-dimensional table (codes with a total) is protected, see :func:`suppress_cells`:

1. *Whole table*: when the total's own cell count is below the threshold (or, for a count
   measure, the total itself is 1-10) nothing is shown: total and every cell suppressed.
2. *Primary*: a cell whose cell count (distinct patients; services where a source cannot
   tell patients apart) is below the threshold is suppressed. For count measures a cell whose
   shown value is itself below the threshold is suppressed too: units can be fractional or
   zero and claim ids can be missing, so "services >= patients" is not relied on.
3. *Complementary*: an adversary who knows the total, the shown cells and the rule computes
   the feasible interval of each suppressed cell. While any small cell would be pinned to one
   value, or the suppressed small cells' sum would be known exactly, the smallest shown cell
   is suppressed as well; if nothing is left to suppress, the total goes too.

Complementary suppression is decided on the whole table, before any ``limit`` cuts it, so
two requests that differ only in ``limit`` suppress the same cells and cannot be
differenced. Cutting shown rows only adds unknowns, which never narrows an interval.

Later analyses call :func:`suppress_cells` (one dimension: a ranking, one column of a
comparison) or :func:`~claimscope.privacy.grid.suppress_grid` (codes x months with
margins) and then show only what the returned table marks as shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from claimscope.analysis.query import PrivacyPolicy
from claimscope.analysis.result import CodeRow, TopResult
from claimscope.privacy.perturb import perturbation_block, perturbation_for
from claimscope.privacy.rules import (
    COUNT_CELLS,
    SHARE_DECIMALS,
    CellKind,
    Status,
    hide_periods,
    is_small,
    kind_for_measure,
    pinned,
    suppression_block,
    unprotected,
)

__all__ = ["SuppressedTable", "hide_rows", "suppress_cells", "suppress_ranking"]

METHOD_1D: Final = (
    "primary: cell count below threshold (and count values below threshold); complementary: "
    "smallest shown cells until no suppressed value or small-cell sum is derivable from the "
    "total; decided before the limit is applied"
)


@dataclass(frozen=True)
class SuppressedTable:
    """Which cells of a table may be shown, and whether its total may.

    ``status[i]`` is ``"shown"``, ``"primary"`` (its own cell count is small) or
    ``"complementary"`` (suppressed so that a small cell cannot be derived).
    """

    status: tuple[Status, ...]
    total_suppressed: bool
    reason: str | None = None

    def is_shown(self, index: int) -> bool:
        """True when cell ``index`` may be shown."""
        return self.status[index] == "shown"

    @property
    def primary(self) -> int:
        return sum(s == "primary" for s in self.status)

    @property
    def complementary(self) -> int:
        return sum(s == "complementary" for s in self.status)

    def block(self, policy: PrivacyPolicy, method: str = METHOD_1D) -> dict[str, Any]:
        """The ``suppression`` block recorded in a result (counts of cells, not of people)."""
        return suppression_block(
            policy,
            primary=self.primary,
            complementary=self.complementary,
            method=method,
            total_suppressed=self.total_suppressed,
            reason=self.reason,
        )


def suppress_cells(
    values: Sequence[float],
    cell_counts: Sequence[float | None],
    total: float,
    total_cell_count: float | None,
    policy: PrivacyPolicy,
    *,
    kind: CellKind = COUNT_CELLS,
    keys: Sequence[str] | None = None,
) -> SuppressedTable:
    """Decide which cells of a one-dimensional table with a shown ``total`` may be shown.

    ``values[i]`` is the shown measure of cell ``i`` and ``cell_counts[i]`` the count the
    rule judges it by; ``total`` is the table's shown total (which may include cells that are
    not in ``values``, e.g. codes a caller leaves out: pass them too, the remainder must
    cover them). ``keys`` break ties when choosing complementary cells (default: position).
    Callers show a cell only when :meth:`SuppressedTable.is_shown`, hide the total when
    ``total_suppressed``, never publish suppressed values in another form (shares, ranks),
    and may cut shown cells (a limit) afterwards but must still list or omit suppressed cells
    independently of their values.
    """
    if len(values) != len(cell_counts):
        raise ValueError("values and cell_counts differ in length")
    threshold = policy.min_cell_size
    n = len(values)
    if n == 0:
        return SuppressedTable(status=(), total_suppressed=False)
    reason = _small_total_reason(total, total_cell_count, threshold, kind)
    if reason:
        return SuppressedTable(status=_all_primary(n), total_suppressed=True, reason=reason)
    status: list[Status] = [
        "primary" if is_small(v, c, threshold, kind) else "shown"
        for v, c in zip(values, cell_counts, strict=True)
    ]
    order_keys = list(keys) if keys is not None else [f"{i:09d}" for i in range(n)]
    # Smallest first, so pop() from the end of a descending list takes the smallest shown.
    shown = sorted(
        (i for i in range(n) if status[i] == "shown"), key=lambda i: (-values[i], order_keys[i])
    )
    while _exposed(values, status, shown, total, threshold, kind):
        if not shown:
            return SuppressedTable(
                status=tuple(status),
                total_suppressed=True,
                reason="the total would reveal a suppressed cell even with every cell hidden",
            )
        status[shown.pop()] = "complementary"
    return SuppressedTable(status=tuple(status), total_suppressed=False)


def _all_primary(n: int) -> tuple[Status, ...]:
    status: list[Status] = ["primary"] * n
    return tuple(status)


def _small_total_reason(
    total: float, total_cell_count: float | None, threshold: int, kind: CellKind
) -> str | None:
    if total_cell_count is None or total_cell_count < threshold:
        return f"the whole selection has a cell count below {threshold}"
    if kind.count and 0 < total < threshold:
        return f"the total is below {threshold}"
    return None


def _exposed(
    values: Sequence[float],
    status: Sequence[Status],
    shown: Sequence[int],
    total: float,
    threshold: int,
    kind: CellKind,
) -> bool:
    """Whether an adversary could pin a small cell, or the small cells' sum, from the total.

    The adversary is given more than the output shows, to stay on the safe side: which
    suppressed cells are primary and which complementary, and how many there are. Each
    suppressed cell lies in a box known from the rule (primary: at least 1 for counts, at
    most threshold-1 when the value is the cell count; complementary: at least the threshold
    for counts, at most the smallest shown value because the smallest are chosen), and the
    suppressed cells sum to total minus the shown cells (for distinct counts: at least that).
    For one equation over boxes these interval bounds are exact (the linear programme's
    optimum), so nothing sharper is derivable from this output.
    """
    primary = [i for i, s in enumerate(status) if s == "primary"]
    if not primary:
        return False
    complementary = [i for i, s in enumerate(status) if s == "complementary"]
    ceiling = values[shown[-1]] if shown else math.inf
    boxes = {i: _primary_box(threshold, kind) for i in primary}
    boxes.update({i: _other_box(threshold, kind, ceiling) for i in complementary})
    remainder = total - sum(values[i] for i in shown)
    models = [True] if kind.additive else [False]
    if not kind.additive and _sum_feasible(boxes.values(), remainder):
        models.append(True)  # patient sets could be disjoint: guard the equality too
    for equality in models:
        for i in primary:
            if boxes[i][0] == boxes[i][1]:
                continue  # known from the threshold alone (only with a lowered threshold)
            low, high = _interval(boxes, [i], remainder, total, equality)
            if unprotected(low, high, kind, threshold, values[i]):
                return True
        # The small cells' sum is a group of fewer than `threshold` patients unless it is
        # the whole table (then it is the total, whose cell count passed the check).
        if equality and (shown or complementary):
            low, high = _interval(boxes, primary, remainder, total, equality)
            if pinned(low, high, kind):
                return True
    return False


def _primary_box(threshold: int, kind: CellKind) -> tuple[float, float]:
    low = 1.0 if kind.count else 0.0
    high = float(threshold - 1) if kind.value_is_cell_count else math.inf
    return low, high


def _other_box(threshold: int, kind: CellKind, ceiling: float) -> tuple[float, float]:
    low = float(threshold) if kind.count else 0.0
    return low, max(low, ceiling)


def _sum_feasible(boxes: Any, remainder: float) -> bool:
    items = list(boxes)
    return sum(b[0] for b in items) <= remainder <= sum(b[1] for b in items)


def _interval(
    boxes: dict[int, tuple[float, float]],
    group: Sequence[int],
    remainder: float,
    total: float,
    equality: bool,
) -> tuple[float, float]:
    """Exact bounds of the sum of ``group`` given the boxes and the remainder relation."""
    members = set(group)
    own_low = sum(boxes[i][0] for i in members)
    own_high = sum(boxes[i][1] for i in members)
    rest_low = sum(b[0] for i, b in boxes.items() if i not in members)
    rest_high = sum(b[1] for i, b in boxes.items() if i not in members)
    low = max(own_low, remainder - rest_high)
    if equality:
        return low, min(own_high, remainder - rest_low)
    return low, min(own_high, total * len(members))


def suppress_ranking(result: TopResult, policy: PrivacyPolicy, *, limit: int | None) -> TopResult:
    """Apply the cell-size rule to a ranked code table, then cut it to ``limit`` shown rows.

    Shown rows keep their order and are re-ranked among themselves (1, 2, 2, 4), so a rank
    gap cannot betray a hidden row; shares are rounded to :data:`SHARE_DECIMALS` decimals.
    Ties at the cut are broken by code, as in the ranking, and a note says how many tied
    rows the limit left out. Suppressed rows follow in code order with no value, share or
    rank. Returns a new result; ``result`` is not modified.
    """
    kind = kind_for_measure(result.measure, upper_bound=result.upper_bound)
    rows = result.rows
    table = suppress_cells(
        [r.value or 0.0 for r in rows],
        [r.cell_count for r in rows],
        result.total or 0.0,
        result.total_cell_count,
        policy,
        kind=kind,
        keys=[r.code for r in rows],
    )
    shown = [r for i, r in enumerate(rows) if table.is_shown(i)]
    total = None if table.total_suppressed else result.total
    perturbation = perturbation_for(policy, kind)
    if perturbation is not None:
        # Shown figures become their perturbed values before ranking, cut and shares.
        shown = [replace(r, value=perturbation.count(r.value or 0.0, r.cell_key)) for r in shown]
        if total is not None:
            keys = [r.cell_key for r in rows]
            key_sum = None if None in keys else sum(k or 0 for k in keys)
            total = perturbation.count(total, key_sum)
    shown.sort(key=lambda r: (-(r.value or 0.0), r.code))
    kept, notes = _cut(shown, limit)
    hidden = sorted((r for i, r in enumerate(rows) if not table.is_shown(i)), key=lambda r: r.code)
    new_rows = _reranked(kept, total) + [_suppressed_row(r) for r in hidden]
    if table.reason:
        notes.append(f"all figures suppressed: {table.reason} (cell-size rule)")
    coverage = result.coverage if total is not None or kept else hide_periods(result.coverage)
    return replace(
        result,
        perturbation=perturbation_block(perturbation),
        coverage=coverage,
        total=total,
        rows=new_rows,
        suppression=table.block(policy),
        notes=[*result.notes, *notes],
    )


def _cut(shown: list[CodeRow], limit: int | None) -> tuple[list[CodeRow], list[str]]:
    if limit is None or len(shown) <= limit:
        return shown, []
    last = shown[limit - 1].value
    tied = sum(1 for r in shown[limit:] if r.value == last)
    notes = []
    if tied:
        notes.append(
            f"{tied} more code(s) tie with the last row shown and are left out by the limit "
            "(ties broken by code)"
        )
    return shown[:limit], notes


def _reranked(rows: list[CodeRow], total: float | None) -> list[CodeRow]:
    out: list[CodeRow] = []
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        if row.value != previous:
            rank, previous = position, row.value
        share = (
            round(row.value / total, SHARE_DECIMALS) if total and row.value is not None else None
        )
        out.append(replace(row, rank=rank, share=share))
    return out


def _suppressed_row(row: CodeRow) -> CodeRow:
    # cell_count is dropped too, so no later serialiser can leak it by accident.
    return CodeRow(
        code=row.code,
        name=row.name,
        value=None,
        share=None,
        rank=None,
        suppressed=True,
        cell_count=None,
    )


def hide_rows(result: TopResult, codes: set[str], *, hide_total: bool = False) -> TopResult:
    """``result`` (already suppressed) with the rows of ``codes`` hidden as well.

    Used when a ranking is one of several linked tables (:mod:`claimscope.privacy.linked`):
    the linked audit may hide more than the table's own suppression did. Shown rows are
    re-ranked among themselves and hidden rows follow in code order, as in
    :func:`suppress_ranking`; ``hide_total`` hides the total and every row.
    """
    hidden_codes = {r.code for r in result.rows if r.suppressed} | codes
    if hide_total:
        hidden_codes |= {r.code for r in result.rows}
    total = None if hide_total else result.total
    shown = [r for r in result.rows if r.code not in hidden_codes]
    hidden = sorted((r for r in result.rows if r.code in hidden_codes), key=lambda r: r.code)
    newly = sum(1 for r in result.rows if r.code in hidden_codes and not r.suppressed)
    block = dict(result.suppression)
    block["complementary"] = block.get("complementary", 0) + newly
    block["total_suppressed"] = block.get("total_suppressed", False) or hide_total
    return replace(
        result,
        coverage=result.coverage if total is not None or shown else hide_periods(result.coverage),
        total=total,
        rows=_reranked(shown, total) + [_suppressed_row(r) for r in hidden],
        suppression=block,
    )
