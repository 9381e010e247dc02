"""The cell-size rule's shared vocabulary: what a cell is, when it is small, how it is recorded.

Used by one-dimensional suppression (:mod:`claimscope.privacy.table`) and by grids
with margins (:mod:`claimscope.privacy.grid`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from claimscope.analysis.measures import MEASURE_DEFS
from claimscope.analysis.query import DEFAULT_MIN_CELL_SIZE, PrivacyPolicy
from claimscope.analysis.result import Coverage

RULE: Final = "cms_cell_size"
SHARE_DECIMALS: Final = 4
# A source's row counts in `sources` / `/api/sources`: read = loaded + quarantined.
SOURCE_COUNTS: Final = ("read", "loaded", "quarantined")
Status = Literal["shown", "primary", "complementary", "unpublished"]


@dataclass(frozen=True)
class CellKind:
    """What a table's values are, which decides what an adversary knows about them.

    ``count``: values are counts (services, lines, claims, patients): whole numbers, and a
    shown count of 1 to threshold-1 would itself break the rule. ``value_is_cell_count``:
    the value is the count suppression judges (distinct patients), so a suppressed cell is
    known to lie between 1 and threshold-1. ``additive``: the total is the sum of the cells
    (false for distinct counts, where one patient can appear under several codes).
    """

    count: bool = True
    value_is_cell_count: bool = False
    additive: bool = True


COUNT_CELLS: Final = CellKind()
DOLLAR_CELLS: Final = CellKind(count=False)
PATIENT_CELLS: Final = CellKind(value_is_cell_count=True, additive=False)


def kind_for_measure(measure: str, *, upper_bound: bool = False) -> CellKind:
    """The :class:`CellKind` of a measure name (see ``analysis.measures``).

    Patients summed from aggregated rows (``upper_bound``) are a sum of beneficiary counts
    judged by services, so they behave like an additive count.
    """
    definition = MEASURE_DEFS[measure]
    if measure == "patients":
        return COUNT_CELLS if upper_bound else PATIENT_CELLS
    if definition.unit == "USD":
        return DOLLAR_CELLS
    return CellKind(additive=definition.additive)


def suppression_block(
    policy: PrivacyPolicy,
    *,
    primary: int,
    complementary: int,
    method: str,
    total_suppressed: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    """The JSON record of how an output was protected, shared by every result type."""
    block: dict[str, Any] = {
        "rule": RULE,
        "min_cell_size": policy.min_cell_size,
        "allow_small_cells": policy.allow_small_cells,
        "primary": primary,
        "complementary": complementary,
        "total_suppressed": total_suppressed,
        "method": method,
        "shares_rounded_to": SHARE_DECIMALS,
    }
    if policy.allow_small_cells and policy.min_cell_size < DEFAULT_MIN_CELL_SIZE:
        block["override"] = (
            f"threshold lowered to {policy.min_cell_size} below the CMS minimum of "
            f"{DEFAULT_MIN_CELL_SIZE} (--allow-small-cells): not for publication"
        )
    if reason:
        block["reason"] = reason
    return block


def is_small(value: float | None, cell_count: float | None, threshold: int, kind: CellKind) -> bool:
    """True when a cell must be suppressed on its own (primary suppression).

    A missing or zero cell count on a cell that exists means its people cannot be counted,
    so it is treated as small rather than trusted.
    """
    if cell_count is None or cell_count < threshold:
        return True
    return kind.count and value is not None and 0 < value < threshold


def pinned(low: float, high: float, kind: CellKind) -> bool:
    """True when an interval of feasible values leaves a figure known exactly.

    Counts are whole numbers, so an interval holding a single integer pins its value;
    money is taken as pinned when known to within a cent.
    """
    if math.isinf(high) or math.isinf(low):
        return False
    if kind.count:
        return math.floor(high + 1e-6) <= math.ceil(low - 1e-6)
    return high - low < 0.01


def protect_counts(
    record: dict[str, Any], fields: tuple[str, ...], policy: PrivacyPolicy
) -> dict[str, Any]:
    """``record`` with its count ``fields`` hidden (``None``) when any of them is small.

    For listings whose counts are linked by an identity (a source's rows read = loaded +
    quarantined): hiding only the small one would leave it as the difference of the
    others, so all of them go. A ``suppressed`` list names the hidden fields.
    """
    threshold = policy.min_cell_size
    if not any(0 < (record.get(f) or 0) < threshold for f in fields):
        return record
    return {
        **{k: (None if k in fields else v) for k, v in record.items()},
        "suppressed": list(fields),
    }


def unprotected(low: float, high: float, kind: CellKind, threshold: int, value: float) -> bool:
    """True when a hidden small count's feasible range no longer reaches 1 and threshold-1.

    The criterion of docs/privacy.md: whoever solves everything an output publishes must
    learn nothing about a suppressed small cell beyond "between 1 and 10" (for the CMS
    threshold of 11), so the exact integer range of its ``value`` must still include both
    ends. That applies when the value is itself a count below the threshold or the count
    the rule judges (patients). A cell hidden for few patients behind a large figure (200
    services from 5 patients) is a count of 11 or more: it must not be pinned. Money has no
    such scale: a dollar cell is unprotected when known to within a cent.
    """
    if not kind.count or (value >= threshold and not kind.value_is_cell_count):
        return pinned(low, high, kind)
    reaches_low = math.ceil(low - 1e-6) <= 1
    reaches_high = math.isinf(high) or math.floor(high + 1e-6) >= threshold - 1
    return not (reaches_low and reaches_high)


def hide_periods(coverage: Coverage) -> Coverage:
    """``coverage`` without its periods, for an output whose every figure is hidden: the
    months that hold data would say that someone had a service then."""
    return replace(coverage, periods=[])
