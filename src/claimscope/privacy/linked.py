"""Several tables of one output audited as one integer programme.

An output can publish tables that share lines: ``compare``'s cohorts (``rehab`` holds ``pt``
and ``ot``; two inline cohorts whose code sets differ by one code), next to which an attacker
can put ``top`` over the same filters. Each table protected on its own is not enough:
``rehab - pt`` gives OT's hidden cells.

The lines are split into *atoms*, the disjoint groups of lines that fall in exactly the same
tables with the same code, so every figure a table publishes (a code's value, the table's
total) is a sum of atoms. The attacker of docs/privacy.md knows every shown figure exactly,
that every atom is a whole number of at least 0 (a conservative attacker also knows which
atoms are empty: they are left out), and that every listed hidden figure is at least 1; for
each hidden small figure it solves the integer programme (HiGHS) for the figure's range. While
a range does not reach 1 and threshold-1 (:func:`~claimscope.privacy.rules.unprotected`),
more is hidden, a whole code at a time in every table that shows it, so differences between
tables only ever meet hidden figures: first the exposed figure's own code, then the smallest
code still shown; tables that cannot be protected are withheld whole. Figures of *fixed*
tables (published by another output, e.g. ``top``) are never hidden, only audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from claimscope.privacy.lp import BoxLP
from claimscope.privacy.rules import CellKind, Status, unprotected

TOTAL: Final = "\x00total"  # the key of a table's total among its codes
Figure = tuple[str, str]  # (table, code or TOTAL)


@dataclass
class LinkedTables:
    """The figures of linked tables as sums of atoms, and what each figure's status is.

    ``atoms`` holds each atom's value; ``members[figure]`` the indices of the atoms it sums;
    ``status[figure]`` starts as the tables' own suppression (``"shown"``, ``"primary"``,
    ``"complementary"``) and is updated in place; ``fixed`` names tables whose status is
    decided elsewhere.
    """

    atoms: npt.NDArray[np.float64]
    members: dict[Figure, list[int]]
    status: dict[Figure, Status]
    fixed: set[str] = field(default_factory=set)
    # Atom vectors that solved an earlier round's programme. Hiding a figure only loosens
    # the system (its equation becomes "at least 1", which its value meets), so most still
    # do and settle figures without a solve of their own (each is re-checked).
    solutions: list[npt.NDArray[np.float64]] = field(default_factory=list)

    def value(self, figure: Figure) -> float:
        return float(self.atoms[self.members[figure]].sum())

    def tables(self) -> list[str]:
        return sorted({t for t, _ in self.members})

    def hideable(self, figure: Figure) -> bool:
        """Shown, of a table decided here, and not also published by a fixed table (hiding a
        figure that ``top`` shows anyway protects nothing)."""
        if self.status.get(figure) != "shown" or figure[0] in self.fixed:
            return False
        atoms = set(self.members[figure])
        return bool(atoms) and not any(
            t in self.fixed and s == "shown" and set(self.members[t, c]) == atoms
            for (t, c), s in self.status.items()
        )


def protect_linked(tables: LinkedTables, kind: CellKind, threshold: int) -> list[str]:
    """Hide more figures of ``tables`` until no hidden small figure is exposed.

    Returns the tables withheld whole (every figure hidden). Each round hides at least one
    more figure, so the loop ends; if a figure stays exposed with nothing left to hide (only
    a fixed table could protect it) the loop stops and the figure's tables are withheld.
    """
    withheld: list[str] = []
    while (exposed := first_exposed(tables, kind, threshold)) is not None:
        if not _hide_more(tables, exposed, withheld):
            break
    return withheld


def first_exposed(tables: LinkedTables, kind: CellKind, threshold: int) -> Figure | None:
    """The first hidden small figure whose exact range is too narrow, or ``None``."""
    shown = [f for f, s in tables.status.items() if s == "shown"]
    hidden = [f for f, s in tables.status.items() if s != "shown"]
    small = [f for f in hidden if tables.status[f] == "primary" and tables.members[f]]
    if not small:
        return None
    for group in _components(tables, shown + hidden):
        atoms = sorted({a for f in group for a in tables.members[f]})
        lp = _programme(tables, atoms, [f for f in group if f in set(shown)], kind)
        known = len(lp.solutions)
        try:
            found = _first_in_group(tables, lp, atoms, [f for f in small if f in set(group)],
                                    kind, threshold)  # fmt: skip
        finally:
            _remember(tables, atoms, lp.solutions[known:])
        if found is not None:
            return found
    return None


def _first_in_group(
    tables: LinkedTables, lp: BoxLP, atoms: list[int], mine: list[Figure], kind: CellKind,
    threshold: int,
) -> Figure | None:  # fmt: skip
    column = {a: k for k, a in enumerate(atoms)}
    objectives = {}
    for figure in mine:
        objectives[figure] = np.zeros(lp.n)
        objectives[figure][[column[a] for a in tables.members[figure]]] = 1.0
    # Solutions that put every small figure low (and as high as bounded) at once settle
    # most of them without a solve of their own (BoxLP.observed).
    lp.explore(sum(objectives.values(), np.zeros(lp.n)))
    for figure in mine:
        value = tables.value(figure)
        check = value if figure[1] != TOTAL else threshold  # a total: pinned only
        if not unprotected(*lp.observed(objectives[figure]), kind, threshold, check):
            continue
        low, high = lp.minimum(objectives[figure]), lp.maximum(objectives[figure])
        if unprotected(low, high, kind, threshold, check):
            return figure
    return None


def _remember(tables: LinkedTables, atoms: list[int], found: list[npt.NDArray[np.float64]]) -> None:
    """Keep a group's new solutions as whole atom vectors (other atoms at their real values,
    which their own equations admit) for the next rounds."""
    for x in found:
        whole = tables.atoms.copy()
        whole[atoms] = x[: len(atoms)]
        tables.solutions.append(whole)


def _programme(
    tables: LinkedTables, atoms: list[int], shown: list[Figure], kind: CellKind
) -> BoxLP:
    """Shown figures as equations; listed hidden figures as ``sum - slack = 1`` (at least 1)."""
    column = {a: k for k, a in enumerate(atoms)}
    members = set(atoms)
    listed = [
        f
        for f, s in tables.status.items()
        # a figure's atoms are all in one group, so its first tells which
        if s != "shown" and tables.members[f] and tables.members[f][0] in members
        and tables.value(f) > 0
    ] if kind.count else []  # fmt: skip
    figures = [*shown, *listed]
    membership = np.zeros((len(figures), len(atoms)))
    for row, figure in enumerate(figures):
        membership[row, [column[a] for a in tables.members[figure]]] = 1.0
    slacks = np.zeros((len(figures), len(listed)))
    slacks[len(shown) + np.arange(len(listed)), np.arange(len(listed))] = -1.0
    rhs = [tables.value(f) for f in shown] + [1.0] * len(listed)
    n = len(atoms) + len(listed)
    lp = BoxLP(np.hstack([membership, slacks]), np.array(rhs), np.zeros(n), np.full(n, np.inf),
               integer=kind.count)  # fmt: skip
    # The real figures are a solution (each listed figure's slack: its value minus 1), and
    # so, often, are earlier rounds' solutions.
    known = np.vstack([tables.atoms, *tables.solutions])[:, atoms]
    candidates = np.hstack([known, known @ membership[len(shown) :].T - 1.0])
    lp.solutions.append(candidates[0])
    lp.admit(candidates[1:])
    return lp


def _components(tables: LinkedTables, figures: Iterable[Figure]) -> list[list[Figure]]:
    """Figures linked through shared atoms (union-find over atoms)."""
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    figures = list(figures)
    for figure in figures:
        first, *rest = tables.members[figure] or [-1]
        for other in rest:
            parent[find(other)] = find(first)
    groups: dict[int, list[Figure]] = {}
    for figure in figures:
        if tables.members[figure]:
            groups.setdefault(find(tables.members[figure][0]), []).append(figure)
    return list(groups.values())


def _hide_more(tables: LinkedTables, exposed: Figure, withheld: list[str]) -> bool:
    """Hide the exposed code everywhere, else the smallest code still shown, else withhold."""
    free = [t for t in tables.tables() if t not in tables.fixed and t not in withheld]
    table, code = exposed
    if code != TOTAL and _hide_code(tables, code, free):
        return True
    for choice in (table, *free):
        codes = [
            c for t, c in tables.status
            if t == choice and c != TOTAL and t in free and tables.hideable((t, c))
        ]  # fmt: skip
        if codes:
            smallest = min(codes, key=lambda c: (tables.value((choice, c)), c))
            return _hide_code(tables, smallest, free)
    sharing = [t for t in free if set(tables.members[exposed]) & _atoms_of(tables, t)]
    for t in sharing[:1]:
        withheld.append(t)
        for figure in tables.status:
            if figure[0] == t and tables.status[figure] == "shown":
                tables.status[figure] = "complementary"
        return True
    return False


def _hide_code(tables: LinkedTables, code: str, free: list[str]) -> bool:
    changed = False
    for t in free:
        if (t, code) in tables.members and tables.hideable((t, code)):
            tables.status[t, code] = "complementary"
            changed = True
    return changed


def _atoms_of(tables: LinkedTables, table: str) -> set[int]:
    return {a for (t, _), m in tables.members.items() if t == table for a in m}
