"""Claim lines of each visit: evaluations, timed units, untimed codes and non-97xxx codes.

Timed codes follow the 8-minute rule: the visit's total timed minutes give its total units
(``minutes // 15``, plus one when the remainder is 8 or more), and those units are spread over
the timed codes of the visit: each unit slot draws a code from a visit-specific mix (Dirichlet
around the group's solved mix, so a visit focuses on a few codes with several units each).
Slots of the same code become one line. Untimed codes (evaluations, supervised modalities,
group therapy, ...) are one unit per line. Medicare claims bill G0283 instead of 97014.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from claimscope.synth.calibrate import Plan, units_8_minute
from claimscope.synth.episodes import Visits, categorical
from claimscope.synth.params import PAYERS, Params

KIND_RANK = {"eval": 0, "reeval": 0, "visit": 1, "timed": 2, "untimed": 3, "substitute": 3}


@dataclass(frozen=True)
class CodeTable:
    """All codes the generator can emit, by index (sorted), with per-code attributes."""

    codes: tuple[str, ...]
    index: dict[str, int]
    kind: np.ndarray  # str objects
    pmr: np.ndarray  # bool: 97010-97799
    therapy: np.ndarray  # str objects: always / sometimes / no
    status: np.ndarray  # str objects: PFS status
    rvu: np.ndarray
    hands_on: np.ndarray  # bool
    rank: np.ndarray  # order of lines within a visit

    @classmethod
    def build(cls, params: Params) -> CodeTable:
        codes = tuple(sorted(params.codes))
        rows = [params.codes[c] for c in codes]
        rank = [KIND_RANK.get(r.kind, 4) * 1000 + i for i, r in enumerate(rows)]
        return cls(
            codes=codes,
            index={c: i for i, c in enumerate(codes)},
            kind=np.array([r.kind for r in rows], dtype=object),
            pmr=np.array([r.family == "pmr" for r in rows]),
            therapy=np.array([r.therapy for r in rows], dtype=object),
            status=np.array([r.pfs_status for r in rows], dtype=object),
            rvu=np.array([r.rvu for r in rows]),
            hands_on=np.array([r.hands_on for r in rows]),
            rank=np.array(rank, dtype=np.int64),
        )


@dataclass(frozen=True)
class Lines:
    """Claim lines sorted by visit, then by the usual order of lines on a claim."""

    visit: np.ndarray  # int64 index into the visits
    code: np.ndarray  # int64 index into the CodeTable
    units: np.ndarray  # int32

    def __len__(self) -> int:
        return len(self.visit)


def trend_factors(params: Params, plan: Plan, codes: list[str], months: np.ndarray) -> np.ndarray:
    """exp(trend x years from the reference date) per code (rows) and month (columns)."""
    mid = months.astype("datetime64[D]") + 14
    years = (mid - np.datetime64(plan.t_ref)).astype(float) / 365.25
    beta = np.array([params.codes[c].trend for c in codes])
    return np.exp(beta[:, None] * years[None, :])


Part = tuple[np.ndarray, np.ndarray, np.ndarray]  # visit rows, code indices, units


def make_lines(
    rng: np.random.Generator,
    params: Params,
    plan: Plan,
    table: CodeTable,
    visits: Visits,
    months: np.ndarray,
) -> Lines:
    """Every line of every visit. ``months``: first days of the months trends are tabled for."""
    month = (visits.day.astype("datetime64[M]") - months[0].astype("datetime64[M]")).astype(int)
    g = visits.group.astype(np.int64)
    parts = [
        _timed(rng, params, plan, table, visits.minutes, g, month, months),
        _evals(rng, plan, table, visits.first, g),
        *_bernoulli(rng, params, plan, table, visits.first, g, month, months),
        *_visit_codes(rng, plan, table, visits.first, g),
        *_extras(rng, plan, table, visits.payer, g),
    ]
    visit = np.concatenate([p[0] for p in parts]).astype(np.int64)
    code = np.concatenate([p[1] for p in parts]).astype(np.int64)
    units = np.concatenate([p[2] for p in parts]).astype(np.int32)
    order = np.lexsort((table.rank[code], visit))
    visit, code, units = visit[order], code[order], units[order]
    code = _substitute_g0283(rng, params, table, visits.payer[visit], code)
    return Lines(visit, code, units)


def _ones(rows: np.ndarray, codes: np.ndarray) -> Part:
    return rows, codes, np.ones(len(rows), dtype=np.int32)


def _timed(
    rng: np.random.Generator,
    params: Params,
    plan: Plan,
    table: CodeTable,
    minutes: np.ndarray,
    g: np.ndarray,
    month: np.ndarray,
    months: np.ndarray,
) -> Part:
    """Timed lines: 8-minute-rule units spread over the visit's codes by a Polya urn.

    Unit ``k`` of a visit repeats a uniformly chosen earlier unit's code with probability
    ``k / (k + alpha)`` and otherwise draws afresh from the group's mix for the month: exactly
    a Dirichlet-multinomial draw around the mix, so every unit is still distributed as the
    mix (the calibration holds) while visits focus on a few codes with several units each.
    """
    plans = list(plan.groups.values())
    timed = sorted({c for p in plans for c in p.timed})
    base = np.array([[p.timed.get(c, 0.0) for c in timed] for p in plans])
    mix = base[:, None, :] * trend_factors(params, plan, timed, months).T[None, :, :]
    alpha = np.array([p.group.concentration for p in plans])
    units = units_8_minute(minutes.astype(np.int64))
    rows = np.flatnonzero(units > 0)
    n, width = len(rows), int(units.max()) if len(units) else 0
    mix_row = g[rows] * len(months) + month[rows]
    flat_mix = mix.reshape(-1, len(timed))
    slots = np.empty((n, width), dtype=np.int64)
    for k in range(width):
        fresh = categorical(rng, flat_mix, mix_row)
        if k == 0:
            slots[:, 0] = fresh
            continue
        repeat = rng.random(n) < k / (k + alpha[g[rows]])
        earlier = slots[np.arange(n), (rng.random(n) * k).astype(np.int64)]
        slots[:, k] = np.where(repeat, earlier, fresh)
    used = np.arange(width)[None, :] < units[rows][:, None]
    slot_row = np.broadcast_to(np.arange(n)[:, None], slots.shape)[used]
    key, count = np.unique(slot_row * len(timed) + slots[used], return_counts=True)
    codes = np.array([table.index[c] for c in timed])
    return rows[key // len(timed)], codes[key % len(timed)], count


def _evals(
    rng: np.random.Generator, plan: Plan, table: CodeTable, first: np.ndarray, g: np.ndarray
) -> Part:
    """One evaluation line on the first visit of each episode (97xxx or E/M, by group)."""
    plans = list(plan.groups.values())
    evals = sorted({c for p in plans for c in p.evals})
    weights = np.array([[p.evals.get(c, 0.0) for c in evals] for p in plans])
    rows = np.flatnonzero(first & (weights.sum(axis=1) > 0)[g])
    picked = categorical(rng, weights, g[rows])
    return _ones(rows, np.array([table.index[c] for c in evals])[picked])


def _bernoulli(
    rng: np.random.Generator,
    params: Params,
    plan: Plan,
    table: CodeTable,
    first: np.ndarray,
    g: np.ndarray,
    month: np.ndarray,
    months: np.ndarray,
) -> list[Part]:
    """Untimed codes drawn per visit; re-evaluations only on later visits; add-ons need base."""
    plans = list(plan.groups.values())
    untimed = sorted({c for p in plans for c in p.untimed})
    trend = trend_factors(params, plan, untimed, months)
    present: dict[str, np.ndarray] = {}
    parts = []
    for i, c in enumerate(untimed):
        p = np.array([pl.untimed.get(c, 0.0) for pl in plans])[g] * trend[i, month]
        needs = params.codes[c].requires
        if needs:  # add-on: conditional on its base code, same expected count
            base = (
                np.array([pl.untimed.get(needs, 0.0) for pl in plans])[g]
                * trend[untimed.index(needs), month]
            )
            p = np.divide(p, base, out=np.zeros_like(p), where=base > 0)
            hit = present[needs] & (rng.random(len(g)) < p)
        else:
            hit = rng.random(len(g)) < p
        present[c] = hit
        parts.append(_ones(np.flatnonzero(hit), np.full(int(hit.sum()), table.index[c])))
    for c in sorted({c for p in plans for c in p.reevals}):
        p = np.array([pl.reevals.get(c, 0.0) for pl in plans])[g]
        hit = ~first & (rng.random(len(g)) < p)
        parts.append(_ones(np.flatnonzero(hit), np.full(int(hit.sum()), table.index[c])))
    return parts


def _visit_codes(
    rng: np.random.Generator, plan: Plan, table: CodeTable, first: np.ndarray, g: np.ndarray
) -> list[Part]:
    """The non-97xxx code billed at every visit (E/M, manipulation, speech treatment)."""
    plans = list(plan.groups.values())
    codes = sorted({c for p in plans for c in p.group.visit_codes})
    if not codes:
        return []
    weights = np.array([[p.group.visit_codes.get(c, 0.0) for c in codes] for p in plans])
    on_first = np.array([p.group.visit_codes_on_first for p in plans])
    rows = np.flatnonzero((weights.sum(axis=1) > 0)[g] & (~first | on_first[g]))
    picked = categorical(rng, weights, g[rows])
    return [_ones(rows, np.array([table.index[c] for c in codes])[picked])]


def _extras(
    rng: np.random.Generator, plan: Plan, table: CodeTable, payer: np.ndarray, g: np.ndarray
) -> list[Part]:
    """Occasional add-on codes of a group (dry needling, strapping, joint injection, ...)."""
    parts = []
    for gi, p in enumerate(plan.groups.values()):
        for extra in p.group.extras:
            allowed = np.isin(payer, [PAYERS.index(name) for name in extra.payers])
            hit = (g == gi) & allowed & (rng.random(len(g)) < extra.p)
            parts.append(
                _ones(np.flatnonzero(hit), np.full(int(hit.sum()), table.index[extra.code]))
            )
    return parts


def _substitute_g0283(
    rng: np.random.Generator,
    params: Params,
    table: CodeTable,
    payer: np.ndarray,
    code: np.ndarray,
) -> np.ndarray:
    """Medicare (and some Medicare Advantage plans) take G0283 instead of 97014."""
    rate = np.array([params.payers[p].g0283 for p in PAYERS])[payer]
    swap = (code == table.index["97014"]) & (rng.random(len(code)) < rate)
    return np.where(swap, table.index["G0283"], code)
