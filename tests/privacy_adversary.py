"""An adversary for suppressed outputs: what can be derived from what an output shows?

Given only the published figures (total, shown values, shares at their shown precision,
suppressed rows, margins) plus deliberately generous side knowledge (which suppressed cells
are the small ones, how many codes were left out by a limit), it computes the feasible
interval of every suppressed value and of sums of suppressed values, and lists violations:

* a small (primary) cell pinned to one value;
* a sum of small cells only (not the whole table) pinned to one value: a group that may hold
  fewer than the threshold of people;
* for count measures, any derivable figure (a suppressed cell or a sum of them, including
  "total minus shown") pinned to a number from 1 to threshold-1.

It is written independently of ``claimscope.analysis``: interval propagation over linear
constraints with integrality, to a fixpoint, and for integer tables an exhaustive search
with propagation that yields exact integer bounds (used when the search stays small).

Whole outputs of linked tables (cohorts that contain each other, trends of every limit next
to ``top``) are attacked by the integer-programming attacker of
:mod:`tests.privacy_ip_attacker`, re-exported here.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from tests.privacy_ip_attacker import System, add_ranking, add_trend, violations

__all__ = ["Knowledge", "System", "add_ranking", "add_trend", "attack_grid", "violations"]

INF = math.inf
Key = str


@dataclass
class Knowledge:
    """What the adversary knows beyond the output (generous, so tests err on the safe side).

    ``kind``: "count" (services, lines; additive), "distinct" (claims: one claim can carry
    several codes), "patients" (distinct patients: the value is the suppression count) or
    "dollars". ``primary``: keys of the cells that are small (None: unknown, every
    suppressed cell is then treated as possibly small). ``unshown``: data-bearing rows a
    limit left out (None: unknown number).
    """

    threshold: int = 11
    kind: str = "count"
    primary: set[Key] | None = None
    unshown: int | None = 0
    assume_disjoint: bool = True

    @property
    def integer(self) -> bool:
        return self.kind != "dollars"

    @property
    def additive(self) -> bool:
        return self.kind in ("count", "dollars")


@dataclass
class Constraint:
    """``low <= sum(coef * x) <= high``."""

    coefficients: dict[Key, float]
    low: float
    high: float


@dataclass
class Finding:
    intervals: dict[Key, tuple[float, float]] = field(default_factory=dict)
    groups: dict[tuple[Key, ...], tuple[float, float]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    exact: bool = False

    def assert_protected(self) -> None:
        assert not self.violations, "suppression undone:\n" + "\n".join(self.violations)


# --- propagation -----------------------------------------------------------------------


def propagate(
    constraints: list[Constraint], boxes: dict[Key, tuple[float, float]], integer: bool
) -> dict[Key, tuple[float, float]] | None:
    """Tighten boxes until no constraint can tighten them further; None if infeasible."""
    b = dict(boxes)
    for _ in range(500):
        changed = False
        for c in constraints:
            for key, a in c.coefficients.items():
                rest_min = sum(_term_min(b[k], w) for k, w in c.coefficients.items() if k != key)
                rest_max = sum(_term_max(b[k], w) for k, w in c.coefficients.items() if k != key)
                lo_t, hi_t = c.low - rest_max, c.high - rest_min  # bounds on a * x
                lo, hi = (lo_t / a, hi_t / a) if a > 0 else (hi_t / a, lo_t / a)
                old = b[key]
                new_lo, new_hi = max(old[0], _nan_safe(lo, -INF)), min(old[1], _nan_safe(hi, INF))
                if integer:
                    new_lo = math.ceil(new_lo - 1e-6) if math.isfinite(new_lo) else new_lo
                    new_hi = math.floor(new_hi + 1e-6) if math.isfinite(new_hi) else new_hi
                if new_lo > new_hi + 1e-6:
                    return None
                if new_lo > old[0] + 1e-9 or new_hi < old[1] - 1e-9:
                    b[key] = (new_lo, new_hi)
                    changed = True
        if not changed:
            break
    return b


def _nan_safe(x: float, default: float) -> float:
    return default if math.isnan(x) else x


def _term_min(box: tuple[float, float], a: float) -> float:
    return a * box[0] if a > 0 else a * box[1]


def _term_max(box: tuple[float, float], a: float) -> float:
    return a * box[1] if a > 0 else a * box[0]


def exact_integer_bounds(
    constraints: list[Constraint],
    boxes: dict[Key, tuple[float, float]],
    targets: dict[tuple[Key, ...], list[Key]],
    budget: int = 200_000,
) -> dict[tuple[Key, ...], tuple[float, float]] | None:
    """Min and max of each target sum over all integer solutions (None if too many)."""
    start = propagate(constraints, boxes, True)
    if start is None:
        return {}
    best: dict[tuple[Key, ...], list[float]] = {t: [INF, -INF] for t in targets}
    nodes = 0

    def search(b: dict[Key, tuple[float, float]]) -> bool:
        nonlocal nodes
        nodes += 1
        if nodes > budget:
            return False
        open_keys = [k for k, (lo, hi) in b.items() if lo != hi]
        if not open_keys:
            for t, keys in targets.items():
                s = sum(b[k][0] for k in keys)
                best[t][0], best[t][1] = min(best[t][0], s), max(best[t][1], s)
            return True
        key = min(open_keys, key=lambda k: b[k][1] - b[k][0])
        lo, hi = b[key]
        if math.isinf(hi):
            return False  # unbounded: exhaustive search does not apply
        for value in range(int(lo), int(hi) + 1):
            trial = propagate(constraints, {**b, key: (value, value)}, True)
            if trial is not None and not search(trial):
                return False
        return True

    if not search(start):
        return None
    return {t: (lo, hi) for t, (lo, hi) in best.items()}


# --- one-dimensional tables (rankings, breakdowns) ---------------------------------------


def attack_table(
    total: float | None,
    rows: list[dict[str, Any]],
    knowledge: Knowledge,
    *,
    share_decimals: int | None = 4,
    value_decimals: int | None = None,
) -> Finding:
    """Attack one table: ``rows`` have ``key``, ``value`` and ``share`` (None when hidden)."""
    finding = Finding()
    hidden = [r["key"] for r in rows if r.get("value") is None and r.get("share") is None]
    if total is None or not hidden:
        return finding
    shown = [r for r in rows if r["key"] not in hidden]
    tol_total = _tolerance(total, value_decimals)
    boxes: dict[Key, tuple[float, float]] = {}
    known_low = known_high = 0.0
    for r in shown:
        lo, hi = _shown_interval(r, total, share_decimals, value_decimals)
        known_low, known_high = known_low + lo, known_high + hi
    floor_shown = min(
        (_shown_interval(r, total, share_decimals, value_decimals)[1] for r in shown), default=INF
    )
    for key in hidden:
        boxes[key] = _hidden_box(key, knowledge, floor_shown)
    if knowledge.unshown is None:
        boxes["<unshown>"] = (0.0, INF)
    elif knowledge.unshown:
        lo_u = knowledge.unshown * (knowledge.threshold if knowledge.integer else 0.0)
        boxes["<unshown>"] = (lo_u, knowledge.unshown * floor_shown)
    everything = list(boxes)
    remainder_low = total - tol_total - known_high
    remainder_high = total + tol_total - known_low
    models = []
    if knowledge.additive:
        models.append([Constraint(dict.fromkeys(everything, 1.0), remainder_low, remainder_high)])
    else:
        cap = [
            Constraint({k: 1.0}, -INF, total + tol_total) for k in everything if k != "<unshown>"
        ]
        models.append([Constraint(dict.fromkeys(everything, 1.0), remainder_low, INF), *cap])
        if knowledge.assume_disjoint:
            models.append(
                [Constraint(dict.fromkeys(everything, 1.0), remainder_low, remainder_high), *cap]
            )
    for constraints in models:
        _judge(finding, constraints, boxes, hidden, everything, knowledge, whole=not shown)
    return finding


def _tolerance(value: float, decimals: int | None) -> float:
    if decimals is None:
        return 0.0 if float(value).is_integer() else 0.005
    return 0.5 * 10.0**-decimals


def _shown_interval(
    row: dict[str, Any], total: float, share_decimals: int | None, value_decimals: int | None
) -> tuple[float, float]:
    if row.get("value") is not None:
        tol = _tolerance(row["value"], value_decimals)
        return row["value"] - tol, row["value"] + tol
    half = 0.5 * 10.0 ** -(share_decimals or 0)
    return (row["share"] - half) * total, (row["share"] + half) * total


def _hidden_box(key: Key, k: Knowledge, floor_shown: float) -> tuple[float, float]:
    small_low = 1.0 if k.integer else 0.0
    small_high = k.threshold - 1.0 if k.kind == "patients" else INF
    other_low = float(k.threshold) if k.integer else 0.0
    if k.primary is None:
        high = max(small_high, floor_shown) if k.kind == "patients" else INF
        return small_low, high
    if key in k.primary:
        return small_low, small_high
    return other_low, max(other_low, floor_shown)


def _judge(
    finding: Finding,
    constraints: list[Constraint],
    boxes: dict[Key, tuple[float, float]],
    hidden: list[Key],
    everything: list[Key],
    k: Knowledge,
    *,
    whole: bool,
) -> None:
    small = [h for h in hidden if k.primary is None or h in k.primary]
    groups = _groups(hidden, small, everything)
    bounds = propagate(constraints, boxes, k.integer)
    assert bounds is not None, "the published figures are inconsistent"
    total_sum = constraints[0]  # sum of every unknown, within [low, high]
    for members in groups:
        bounds["+".join(members)] = _group_bounds(bounds, members, total_sum)
    if k.integer and _domain_size(bounds, list(boxes)) <= 20_000:
        # Cross-check by exhaustive search (exact integer bounds) when that is small.
        targets = {tuple(g): list(g) for g in groups} | {(h,): [h] for h in hidden}
        exact = exact_integer_bounds(constraints, boxes, targets)
        if exact is not None:
            finding.exact = True
            for members, interval in exact.items():
                name = "+".join(members)
                bounds[name] = _narrowest(bounds[name], interval)
    for h in hidden:
        finding.intervals[h] = _narrowest(finding.intervals.get(h), bounds[h])
    for members in groups:
        finding.groups[tuple(members)] = bounds["+".join(members)]
    # Without knowing which cells are small, a sum of hidden cells may include large ones.
    group_small = small if k.primary is not None else []
    whole_group = everything if whole else None
    _violations(finding, bounds, hidden, small, group_small, groups, whole_group, k)


def _group_bounds(
    bounds: dict[Key, tuple[float, float]], members: list[Key], total_sum: Constraint
) -> tuple[float, float]:
    """Bounds of a sum of unknowns from their boxes and the one equation over all of them."""
    rest = [k for k in total_sum.coefficients if k not in members]
    low = max(sum(bounds[m][0] for m in members), total_sum.low - sum(bounds[r][1] for r in rest))
    high = min(sum(bounds[m][1] for m in members), total_sum.high - sum(bounds[r][0] for r in rest))
    return low, high


def _domain_size(bounds: dict[Key, tuple[float, float]], keys: list[Key]) -> float:
    size = 1.0
    for key in keys:
        lo, hi = bounds[key]
        size *= hi - lo + 1
    return size


def _groups(hidden: list[Key], small: list[Key], everything: list[Key]) -> list[list[Key]]:
    """Sums worth deriving: every subset of hidden cells (pairs only when many), and all."""
    out: list[list[Key]] = []
    sizes = range(2, len(hidden) + 1) if len(hidden) <= 10 else (2,)
    for size in sizes:
        out.extend(list(c) for c in itertools.combinations(hidden, size))
    if len(small) > 1 and small not in out:
        out.append(small)
    if len(everything) > 1 and everything not in out:
        out.append(everything)
    return out


def _narrowest(old: tuple[float, float] | None, new: tuple[float, float]) -> tuple[float, float]:
    if old is None:
        return new
    return max(old[0], new[0]), min(old[1], new[1])


def _pinned(interval: tuple[float, float], integer: bool) -> bool:
    lo, hi = interval
    if math.isinf(lo) or math.isinf(hi):
        return False
    return hi - lo < (0.5 if integer else 0.01)


def _violations(
    finding: Finding,
    bounds: dict[Key, tuple[float, float]],
    hidden: list[Key],
    small: list[Key],
    group_small: list[Key],
    groups: list[list[Key]],
    whole_group: list[Key] | None,
    k: Knowledge,
) -> None:
    def small_count(interval: tuple[float, float]) -> bool:
        return k.integer and _pinned(interval, True) and 1 <= round(interval[0]) < k.threshold

    for h in hidden:
        interval = bounds[h]
        box_only = k.kind == "patients" and k.threshold <= 2
        if h in small and _pinned(interval, k.integer) and not box_only:
            finding.violations.append(f"small cell {h} pinned to {interval[0]}")
        elif small_count(interval):
            finding.violations.append(f"cell {h} pinned to the small count {interval[0]}")
    for members in groups:
        interval = bounds["+".join(members)]
        only_small = all(m in group_small for m in members)
        if only_small and members != whole_group and _pinned(interval, k.integer):
            finding.violations.append(f"sum of small cells {members} pinned to {interval[0]}")
        elif small_count(interval):
            finding.violations.append(f"sum {members} pinned to the small count {interval[0]}")


def attack_ranking(payload: dict[str, Any], knowledge: Knowledge, **options: Any) -> Finding:
    """Attack a ``claimscope top`` JSON payload (CLI ``--format json`` or ``/api/top``)."""
    rows = [{"key": r["code"], "value": r["value"], "share": r["share"]} for r in payload["rows"]]
    return attack_table(payload["total"], rows, knowledge, **options)


# --- grids with margins (trends, comparisons) ---------------------------------------------


def attack_grid(
    cells: list[list[float | None]],
    col_totals: list[float | None],
    knowledge: Knowledge,
    *,
    row_totals: list[float | None] | None = None,
    primary: set[tuple[int, int]] | None = None,
    empty: set[tuple[int, int]] = frozenset(),  # type: ignore[assignment]
) -> Finding:
    """Attack a grid: ``cells[i][j]`` None when hidden; margins None when hidden.

    Hidden cells are at least 1 (counts) when small, at least the threshold otherwise (with
    ``primary`` given; without it every hidden cell is taken as possibly small). ``empty``
    hidden cells (true zeros hidden with a small line) are only known to be at least 0.
    """
    finding = Finding()
    boxes: dict[Key, tuple[float, float]] = {}
    hidden: list[Key] = []
    small: list[Key] = []
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            if value is None:
                key = f"{i},{j}"
                hidden.append(key)
                is_small = primary is None or (i, j) in primary
                small += [key] if is_small else []
                low = (
                    (1.0 if is_small else float(knowledge.threshold)) if knowledge.integer else 0.0
                )
                if (i, j) in empty:
                    low = 0.0
                    if is_small:
                        small.remove(key)
                boxes[key] = (low, INF)
    constraints = _line_constraints(cells, col_totals, row_totals, boxes, knowledge)
    if not hidden:
        return finding
    integer = knowledge.integer
    bounds = propagate(constraints, boxes, integer)
    assert bounds is not None, "the published figures are inconsistent"
    lines = _line_groups(cells, small, row_totals is not None)
    targets = {(h,): [h] for h in hidden} | {tuple(g): g for g in lines}
    small_domain = integer and _domain_size(bounds, list(boxes)) <= 50_000
    exact = exact_integer_bounds(constraints, boxes, targets) if small_domain else None
    finding.exact = exact is not None
    for h in hidden:
        finding.intervals[h] = exact[(h,)] if exact else bounds[h]
        if h in small and _pinned(finding.intervals[h], integer):
            finding.violations.append(f"small cell {h} pinned to {finding.intervals[h][0]}")
        elif (
            integer
            and _pinned(finding.intervals[h], True)
            and 1 <= finding.intervals[h][0] < knowledge.threshold
        ):
            finding.violations.append(
                f"cell {h} pinned to the small count {finding.intervals[h][0]}"
            )
    for key, interval in bounds.items():
        pinned_small = _pinned(interval, True) and 1 <= interval[0] < knowledge.threshold
        if key.startswith("margin:") and integer and pinned_small:
            finding.violations.append(f"hidden {key} pinned to the small count {interval[0]}")
    if exact:
        for g in lines:
            interval = exact[tuple(g)]
            finding.groups[tuple(g)] = interval
            if _pinned(interval, integer):
                finding.violations.append(f"sum of small cells {g} pinned to {interval[0]}")
    return finding


def _line_constraints(
    cells: list[list[float | None]],
    col_totals: list[float | None],
    row_totals: list[float | None] | None,
    boxes: dict[Key, tuple[float, float]],
    knowledge: Knowledge,
) -> list[Constraint]:
    constraints = []
    lines: list[tuple[list[tuple[int, int]], float | None, str]] = []
    n_rows, n_cols = len(cells), len(cells[0]) if cells else 0
    for j in range(n_cols):
        lines.append(([(i, j) for i in range(n_rows)], col_totals[j], f"col{j}"))
    for i in range(n_rows if row_totals is not None else 0):
        lines.append(([(i, j) for j in range(n_cols)], row_totals[i], f"row{i}"))  # type: ignore[index]
    for members, total, name in lines:
        coefficients: dict[Key, float] = {}
        known = 0.0
        for i, j in members:
            if cells[i][j] is None:
                coefficients[f"{i},{j}"] = 1.0
            else:
                known += cells[i][j]  # type: ignore[operator]
        if total is None:
            margin = f"margin:{name}"
            boxes[margin] = (0.0, INF)  # a hidden margin may hold zero services
            coefficients[margin] = -1.0
            constraints.append(Constraint(coefficients, -known, -known))
        elif coefficients:
            tol = 0.0 if float(total).is_integer() else 0.005 * (len(members) + 1)
            constraints.append(Constraint(coefficients, total - known - tol, total - known + tol))
    return constraints


def _line_groups(
    cells: list[list[float | None]], small: list[Key], with_rows: bool
) -> list[list[Key]]:
    """Per line, the hidden small cells when there are several but not the whole line.

    Cells shown as 0 hold nobody: a group with every other cell of its line is the line.
    """
    n_rows, n_cols = len(cells), len(cells[0]) if cells else 0
    lines = [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    if with_rows:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    out = []
    for line in lines:
        people = [f"{i},{j}" for i, j in line if cells[i][j] != 0]
        mine = [k for k in people if k in small]
        if 1 < len(mine) < len(people):
            out.append(mine)
    return out


def attack_trend(payload: dict[str, Any], knowledge: Knowledge, **options: Any) -> Finding:
    """Attack a ``claimscope trend`` JSON payload: series x periods with period totals."""
    cells = [list(s["values"]) for s in payload["series"]]
    return attack_grid(cells, list(payload["totals"]), knowledge, **options)
