"""Everything claimscope does to keep published figures from revealing a count of 1 to 10.

This package is the single place every analysis goes through before a result leaves the
analysis layer; analyses import from ``claimscope.privacy`` only, never from its modules:

* :mod:`~claimscope.privacy.rules`: what a cell is, when it is small, the ``suppression``
  block every result carries;
* :mod:`~claimscope.privacy.table`: one-dimensional tables with a total (``top``, one
  cohort's ranking, an ``explore`` breakdown, attribution tables);
* :mod:`~claimscope.privacy.grid` and :mod:`~claimscope.privacy.audit`: grids with margins
  (``trend``), audited as one linear system;
* :mod:`~claimscope.privacy.linked`: several tables published together (``compare``'s
  cohorts, with ``top`` over the same filters) audited as one integer programme;
* :mod:`~claimscope.privacy.lp`: the HiGHS solver behind both audits;
* :mod:`~claimscope.privacy.perturb`: consistent cell-key perturbation against differencing.

See docs/privacy.md for the criterion and its limits.
"""

from __future__ import annotations

from claimscope.privacy.grid import SuppressedGrid, suppress_grid
from claimscope.privacy.linked import TOTAL, LinkedTables, protect_linked
from claimscope.privacy.perturb import (
    NO_KEYS,
    MissingKeys,
    Perturbation,
    no_keys_message,
    perturb_line,
    perturbation_block,
    perturbation_for,
)
from claimscope.privacy.rules import (
    COUNT_CELLS,
    DOLLAR_CELLS,
    PATIENT_CELLS,
    RULE,
    SHARE_DECIMALS,
    SOURCE_COUNTS,
    CellKind,
    Status,
    hide_periods,
    is_small,
    kind_for_measure,
    protect_counts,
    suppression_block,
)
from claimscope.privacy.table import SuppressedTable, hide_rows, suppress_cells, suppress_ranking

__all__ = [
    "COUNT_CELLS",
    "DOLLAR_CELLS",
    "NO_KEYS",
    "PATIENT_CELLS",
    "RULE",
    "SHARE_DECIMALS",
    "SOURCE_COUNTS",
    "TOTAL",
    "CellKind",
    "LinkedTables",
    "MissingKeys",
    "Perturbation",
    "Status",
    "SuppressedGrid",
    "SuppressedTable",
    "hide_periods",
    "hide_rows",
    "is_small",
    "kind_for_measure",
    "no_keys_message",
    "perturb_line",
    "perturbation_block",
    "perturbation_for",
    "protect_counts",
    "protect_linked",
    "suppress_cells",
    "suppress_grid",
    "suppress_ranking",
    "suppression_block",
]
