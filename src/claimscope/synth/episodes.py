"""Patients, episodes of care and visits, vectorised.

A patient has a payer, is treated by one provider (hence one state), and has one to three
episodes (plans of care) months apart. An episode starts on a business day drawn by month
(seasonality x growth), lasts a negative-binomial number of visits whose mean the calibration
solved, and spaces visits a few business days apart. Visits outside ``start..end`` are
dropped, as in a real extract (episodes may start before ``start``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from claimscope.synth.calibrate import Plan, minutes_pmf
from claimscope.synth.params import PAYERS, Params
from claimscope.synth.providers import ProviderPool

EPISODES_PER_PATIENT = np.array([0.82, 0.14, 0.04])  # 1, 2 or 3 plans of care
RETURN_GAP_DAYS = (45, 420)  # between a patient's episodes


@dataclass(frozen=True)
class Visits:
    """One entry per visit (date of service), sorted by episode then date."""

    episode: np.ndarray  # int64
    patient: np.ndarray  # int64, local to the batch
    group: np.ndarray  # int16 index into the plan's groups
    provider: np.ndarray  # int32 index into the pool
    payer: np.ndarray  # int8 index into PAYERS
    day: np.ndarray  # datetime64[D]
    first: np.ndarray  # bool: first visit of its episode (evaluation visit)
    minutes: np.ndarray  # int16 timed minutes

    def __len__(self) -> int:
        return len(self.day)


def month_starts(start: date, end: date, lead_in_days: int) -> np.ndarray:
    """First days of the months from the lead-in month to ``end``'s month."""
    first = np.datetime64(start - timedelta(days=lead_in_days), "M")
    return np.arange(first, np.datetime64(end, "M") + 1).astype("datetime64[D]")


def _start_days(
    rng: np.random.Generator, params: Params, n: int, start: date, end: date
) -> np.ndarray:
    cal = params.calendar
    months = month_starts(start, end, int(cal["lead_in_days"]))
    month_no = months.astype("datetime64[M]").astype(int) % 12
    years = (months - np.datetime64(start)).astype(float) / 365.25
    weight = np.array(cal["seasonality"])[month_no] * (1 + cal["annual_growth"]) ** years
    pick = rng.choice(len(months), size=n, p=weight / weight.sum())
    first, nxt = months[pick], (months[pick].astype("datetime64[M]") + 1).astype("datetime64[D]")
    span = np.busday_count(first, nxt)
    return np.busday_offset(first, (rng.random(n) * span).astype(np.int64), roll="forward")


def categorical(rng: np.random.Generator, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per entry of ``rows`` from the row's distribution in ``p`` (rows x k)."""
    cdf = np.cumsum(p, axis=1)
    total = cdf[:, -1:]
    cdf = np.where(total > 0, cdf / np.where(total > 0, total, 1.0), 1.0)
    flat = (cdf + np.arange(len(p))[:, None]).ravel()
    pick = np.searchsorted(flat, rows + rng.random(len(rows)), side="right")
    return np.minimum(pick - rows * p.shape[1], p.shape[1] - 1)


def make_visits(
    rng: np.random.Generator,
    params: Params,
    plan: Plan,
    pool: ProviderPool,
    n_patients: int,
    start: date,
    end: date,
) -> Visits:
    """Visits of ``n_patients`` new patients, within ``start..end``."""
    plans = list(plan.groups.values())
    share = np.array([p.visits / p.episode_visits for p in plans])
    group = _quota(rng, share, n_patients)
    provider = np.empty(n_patients, dtype=np.int32)
    payer = np.empty(n_patients, dtype=np.int8)
    for g, gp in enumerate(plans):
        idx = np.flatnonzero(group == g)
        members, probs = pool.of_kind(gp.group.provider_kind)
        provider[idx] = members[rng.choice(len(members), size=len(idx), p=probs)]
        mix = np.array([gp.group.payer_mix[p] for p in PAYERS])
        payer[idx] = rng.choice(len(PAYERS), size=len(idx), p=mix / mix.sum())
    n_eps = rng.choice(3, size=n_patients, p=EPISODES_PER_PATIENT) + 1
    patient = np.repeat(np.arange(n_patients, dtype=np.int64), n_eps)
    first_ep = np.r_[True, patient[1:] != patient[:-1]]
    gap = rng.integers(*RETURN_GAP_DAYS, size=len(patient))
    gap[first_ep] = 0
    offset = _cumsum_reset(gap, first_ep)
    ep_start = np.busday_offset(
        _start_days(rng, params, n_patients, start, end)[patient] + offset, 0, roll="forward"
    )
    ep_group = group[patient]
    mean_len = np.array([p.episode_visits for p in plans])[ep_group]
    shape = np.array([p.group.dispersion for p in plans])[ep_group]
    length = 1 + rng.negative_binomial(shape, shape / (shape + mean_len - 1.0))
    episode = np.repeat(np.arange(len(patient), dtype=np.int64), length)
    first = np.r_[True, episode[1:] != episode[:-1]]
    steps = _gaps(rng, plans, ep_group[episode])
    steps[first] = 0
    day = np.busday_offset(ep_start[episode], _cumsum_reset(steps, first), roll="forward")
    keep = (day >= np.datetime64(start)) & (day <= np.datetime64(end))
    episode, first, day = episode[keep], first[keep], day[keep]
    pat = patient[episode]
    v_group = ep_group[episode]
    return Visits(
        episode=episode,
        patient=pat,
        group=v_group,
        provider=provider[pat],
        payer=payer[pat],
        day=day,
        first=first,
        minutes=_minutes(rng, plans, v_group, first),
    )


def _quota(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` group labels in exact proportion to ``weights`` (largest remainder), shuffled.

    Quotas instead of independent draws keep the group mix, hence the code mix, from
    wandering with sample size: small samples stay calibrated too.
    """
    exact = weights / weights.sum() * n
    counts = np.floor(exact).astype(np.int64)
    short = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return rng.permutation(np.repeat(np.arange(len(weights), dtype=np.int16), counts))


def _cumsum_reset(values: np.ndarray, reset: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at every True of ``reset``."""
    total = np.cumsum(values)
    base = np.maximum.accumulate(np.where(reset, total - values, 0))
    return total - base


def _gaps(rng: np.random.Generator, plans: list, groups: np.ndarray) -> np.ndarray:
    """Business days from the previous visit, from each group's gap distribution."""
    width = max(len(p.group.gap_days) for p in plans)
    table = np.zeros((len(plans), width))
    for g, p in enumerate(plans):
        table[g, : len(p.group.gap_days)] = p.group.gap_days
    return categorical(rng, table, groups.astype(np.int64)) + 1


def _minutes(
    rng: np.random.Generator, plans: list, groups: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """Timed minutes per visit from the group's treatment or evaluation distribution."""
    pmfs = []
    for p in plans:
        pmfs += [minutes_pmf(p.group.treat_minutes), minutes_pmf(p.group.eval_minutes)]
    width = max(len(s) for s, _ in pmfs)
    support = np.zeros((len(pmfs), width), dtype=np.int16)
    probs = np.zeros((len(pmfs), width))
    for i, (s, pr) in enumerate(pmfs):
        support[i, : len(s)], probs[i, : len(pr)] = s, pr
    rows = groups.astype(np.int64) * 2 + first
    return support[rows, categorical(rng, probs, rows)]
