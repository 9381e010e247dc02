"""Solve the generator's code mix so its totals reproduce the published figures.

The unknown is ``X[g, c]``: the share of all 97010-97799 units (in the calibration window) that
care group ``g`` bills with code ``c``. Its row sums are the groups' ``pmr_mass``, its column
sums the calibration targets; the occupational-therapist row has three fixed cells (the
published OT list). Iterative proportional fitting finds the ``X`` closest (in the KL sense)
to the groups' prior mixes under those margins. The solved ``X`` is then turned into visit
parameters: the timed mix of a visit, the first-visit evaluation share (hence episode length),
per-visit probabilities of untimed codes and each group's visit volume. Because every
quantity is an expectation that is linear in those parameters (timed units are drawn as
per-visit unit slots), the generated shares match the targets up to sampling noise.

``python -m claimscope.synth`` prints the solution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

from claimscope.synth.params import Group, Minutes, Params, load


class CalibrationError(ValueError):
    """The targets cannot be met with the group parameters (infeasible or a rank violated)."""


@dataclass(frozen=True)
class GroupPlan:
    """How one group's visits are generated, derived from the solved mix."""

    group: Group
    visits: float  # expected visits, relative units shared by all groups
    episode_visits: float  # mean visits per episode
    first_share: float  # share of visits that open an episode
    timed: dict[str, float]  # mix of timed units at the reference date
    evals: dict[str, float]  # first-visit evaluation codes
    untimed: dict[str, float]  # per-visit probability at the reference date (before G0283)
    reevals: dict[str, float]  # per-visit probability on later visits
    mix: dict[str, float]  # solved share of the group's own 97010-97799 units


@dataclass(frozen=True)
class Plan:
    """The solved generator: one plan per group plus the reference date of the trends."""

    groups: dict[str, GroupPlan]
    t_ref: date
    matrix_codes: tuple[str, ...]
    matrix_groups: tuple[str, ...]
    matrix: np.ndarray  # X[g, c], rows sum to pmr_mass, columns to the targets


def units_8_minute(minutes: np.ndarray) -> np.ndarray:
    """Medicare's 8-minute rule: 15-minute units, a remainder of 8 minutes or more adds one."""
    minutes = np.asarray(minutes)
    return minutes // 15 + (minutes % 15 >= 8)


def minutes_pmf(m: Minutes) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of a visit's timed minutes (0 with probability p_zero)."""
    support = np.arange(m.low, m.high + 1)
    if len(support) == 0 or m.p_zero >= 1.0:
        return np.array([0]), np.array([1.0])
    dens = np.exp(-0.5 * ((support - m.mean) / m.sd) ** 2)
    probs = (1.0 - m.p_zero) * dens / dens.sum()
    return np.concatenate([[0], support]), np.concatenate([[m.p_zero], probs])


def expected_units(m: Minutes) -> float:
    """Expected timed units of a visit under the 8-minute rule."""
    support, probs = minutes_pmf(m)
    return float((units_8_minute(support) * probs).sum())


def years_between(a: date, b: date) -> float:
    """Signed years from ``a`` to ``b``."""
    return (b - a).days / 365.25


def reference_date(params: Params) -> date:
    """Volume-weighted middle of the calibration window: where trend factors equal 1."""
    first, last = (date.fromisoformat(p + "-01") for p in params.targets.period)
    season = params.calendar["seasonality"]
    weights, offsets = [], []
    month = first
    while month <= last:
        weights.append(season[month.month - 1])
        offsets.append((month - first).days + 15)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first + timedelta(days=round(np.average(offsets, weights=weights)))


def _ipf(x0: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    x = x0.copy()
    for _ in range(20_000):
        rs = x.sum(axis=1)
        x *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        if np.abs(x.sum(axis=1) - rows).max() < 1e-12:
            return x
    raise CalibrationError(
        "iterative proportional fitting did not converge: the group priors cannot carry the "
        "targets (a code without any group, or group masses that do not fit the code totals)"
    )


def _trend(params: Params, codes: tuple[str, ...], years: float) -> np.ndarray:
    return np.exp(np.array([params.codes[c].trend for c in codes]) * years)


def row_at(params: Params, codes: tuple[str, ...], row: np.ndarray, years: float) -> np.ndarray:
    """A solved row moved ``years`` from the reference date by the code trends, normalised."""
    kinds = np.array([params.codes[c].kind for c in codes])
    moved = row * _trend(params, codes, years)
    timed = kinds == "timed"
    if moved[timed].sum() > 0:  # timed units per visit are fixed: only their mix moves
        moved[timed] *= row[timed].sum() / moved[timed].sum()
    moved[kinds == "eval"] = row[kinds == "eval"]
    return moved / moved.sum()


def _solve_matrix(params: Params, t_ref: date) -> tuple[tuple[str, ...], list[str], np.ndarray]:
    targets = params.targets
    codes = tuple(sorted(targets.rehab))
    names = [g.name for g in params.groups.values() if g.pmr_mass > 0]
    mass = np.array([params.groups[n].pmr_mass for n in names])
    mass /= mass.sum()
    x0 = np.zeros((len(names), len(codes)))
    for i, n in enumerate(names):
        prior = params.groups[n].prior
        x0[i] = [prior.get(c, 0.0) for c in codes]
        x0[i] *= mass[i] / x0[i].sum()
    cols = np.array([targets.rehab[c] for c in codes])
    ot, fixed_codes = names.index("ot"), [codes.index(c) for c in targets.ot_shares]
    wanted = np.array(list(targets.ot_shares.values()))
    fixed = wanted.copy()
    ot_years = years_between(t_ref, date(targets.ot_year, 7, 1))
    for _ in range(6):  # fixed point: OT cells at the reference date that give 2022's list
        cells = np.zeros_like(x0)
        cells[ot, fixed_codes] = fixed * mass[ot]
        free = x0.copy()
        free[ot, fixed_codes] = 0.0
        x = _ipf(free, mass - cells.sum(axis=1), cols - cells.sum(axis=0)) + cells
        got = row_at(params, codes, x[ot], ot_years)[fixed_codes]
        fixed *= wanted / got
    return codes, names, x


def _check_ranks(params: Params, codes: tuple[str, ...], row: np.ndarray, t_ref: date) -> None:
    order = params.targets.pt_order
    for when in (date(params.targets.pt_year, 7, 1), t_ref):
        moved = row_at(params, codes, row, years_between(t_ref, when))
        ranked = [codes[i] for i in np.argsort(-moved)[: len(order)]]
        if tuple(ranked) != order:
            raise CalibrationError(
                f"physical-therapist order at {when}: solved {ranked}, published {list(order)}; "
                "adjust groups.toml [groups.pt.prior]"
            )


def _group_plan(params: Params, g: Group, codes: tuple[str, ...], row: np.ndarray) -> GroupPlan:
    kind = {c: params.codes[c].kind for c in codes}
    cells = {c: float(v) for c, v in zip(codes, row, strict=True) if v > 0}
    timed = {c: v for c, v in cells.items() if kind[c] == "timed"}
    evals = {c: v for c, v in cells.items() if kind[c] == "eval"}
    x_timed, x_eval = sum(timed.values()), sum(evals.values())
    u_treat, u_eval = expected_units(g.treat_minutes), expected_units(g.eval_minutes)
    if x_timed <= 0 or u_treat <= 0:
        raise CalibrationError(f"group {g.name}: 97010-97799 units but no timed units")
    if evals:
        a = x_eval / x_timed
        first = a * u_treat / (1.0 - a * u_eval + a * u_treat)
    elif g.episode_visits:
        first = 1.0 / g.episode_visits
    else:
        raise CalibrationError(f"group {g.name}: needs evaluation codes or episode_visits")
    visits = x_timed / (first * u_eval + (1.0 - first) * u_treat)
    sigma = sum(params.payers[p].g0283 * w for p, w in g.payer_mix.items()) / sum(
        g.payer_mix.values()
    )
    untimed, reevals = {}, {}
    for c, v in cells.items():
        if kind[c] == "untimed":
            untimed[c] = v / visits / (1.0 - sigma if c == "97014" else 1.0)
        elif kind[c] == "reeval":
            reevals[c] = v / (visits * (1.0 - first))
    for c, p in (untimed | reevals).items():
        needs = params.codes[c].requires
        if p > 0.95 or (needs and p > untimed.get(needs, 0.0)):
            raise CalibrationError(f"group {g.name}: {c} needs a per-visit probability of {p:.2f}")
    return GroupPlan(
        group=g,
        visits=visits,
        episode_visits=1.0 / first,
        first_share=first,
        timed={c: v / x_timed for c, v in timed.items()},
        evals={c: v / x_eval for c, v in evals.items()} or g.eval_codes,
        untimed=untimed,
        reevals=reevals,
        mix={c: v / row.sum() for c, v in cells.items()},
    )


def _fixed_plan(g: Group, visits: float) -> GroupPlan:
    """A group without 97010-97799 units: volume relative to `pt`, episodes from the data."""
    if not g.episode_visits:
        raise CalibrationError(f"group {g.name}: needs episode_visits")
    first = 1.0 / float(g.episode_visits)
    return GroupPlan(g, visits, float(g.episode_visits), first, {}, g.eval_codes, {}, {}, {})


@cache
def solve() -> Plan:
    """Solve the code mix for the packaged parameters (cached per process)."""
    return solve_params(load())


def solve_params(params: Params) -> Plan:
    """Solve the code mix and derive each group's visit parameters; raises CalibrationError."""
    t_ref = reference_date(params)
    codes, names, x = _solve_matrix(params, t_ref)
    _check_ranks(params, codes, x[names.index("pt")], t_ref)
    plans = {n: _group_plan(params, params.groups[n], codes, x[i]) for i, n in enumerate(names)}
    pt_visits = plans["pt"].visits
    for g in params.groups.values():
        if g.name not in plans:
            plans[g.name] = _fixed_plan(g, float(g.relative_visits or 0.0) * pt_visits)
    ordered = {n: plans[n] for n in params.groups}
    return Plan(ordered, t_ref, codes, tuple(names), x)


def describe(plan: Plan) -> str:
    """Plain-text summary of the solution: targets vs solved totals, then each group."""
    params = load()
    out = [f"reference date (trend factors = 1): {plan.t_ref}", "", "code   target  solved"]
    col = plan.matrix.sum(axis=0)
    for j in np.argsort(-col):
        c = plan.matrix_codes[j]
        out.append(f"{c}  {params.targets.rehab[c] * 100:6.2f}  {col[j] * 100:6.2f}")
    total_visits = sum(p.visits for p in plan.groups.values())
    out += ["", "group        visits%  episode  first%  top codes (share of the group's pmr units)"]
    for name, p in plan.groups.items():
        top = sorted(p.mix.items(), key=lambda kv: -kv[1])[:5]
        mix = ", ".join(f"{c} {v * 100:.1f}" for c, v in top)
        out.append(
            f"{name:12s} {p.visits / total_visits * 100:6.1f}  {p.episode_visits:7.1f}  "
            f"{p.first_share * 100:5.1f}  {mix}"
        )
    return "\n".join(out)
