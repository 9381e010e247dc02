"""Modifiers, place of service, amounts and denials of synthetic claim lines.

Rules a payer analyst expects to see, each with its data in payers.toml / calendar.toml:
GP/GO/GN on therapy lines by plan of care; 59/XU on 97140 billed with 97530 and on 97530
billed with an evaluation (NCCI pairs), the unmodified column-2 line denied by payers that
apply NCCI; CQ/CO when an assistant furnished a Medicare visit (15% less from 2022); KX once a
Medicare patient's therapy spend passes the year's threshold (PT+SLP combined, OT separate);
95 on telehealth (POS 02/10); GY on chiropractors' non-covered Medicare therapy; AT on
Medicare chiropractic manipulation; 25 on an E/M billed with procedures. Allowed amounts are
the PFS fee (RVUs x the year's conversion factor) times the payer's multiple; charges follow
the practice's charge master; denied lines allow and pay nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from claimscope.synth.calibrate import Plan
from claimscope.synth.episodes import Visits
from claimscope.synth.lines import CodeTable, Lines
from claimscope.synth.params import PAYERS, Params, year_value
from claimscope.synth.providers import ProviderPool

MODIFIERS = (None, "GP", "GO", "GN", "59", "XU", "CQ", "CO", "KX", "95", "GY", "AT", "25")
MOD = {m: i for i, m in enumerate(MODIFIERS) if m}
THERAPY_MOD = {"PT": MOD["GP"], "OT": MOD["GO"], "SLP": MOD["GN"]}
EM_CODES = ("99203", "99204", "99213", "99214")
CMT_CODES = ("98940", "98941", "98942")
NCCI_EVALS = ("97161", "97162", "97163", "97165", "97166", "97167")


@dataclass(frozen=True)
class Adjudicated:
    """Per-line results, aligned with the lines; ``pos`` is per visit."""

    pos: np.ndarray  # str objects, per visit
    modifiers: np.ndarray  # (n, 4) int8 indices into MODIFIERS
    charge: np.ndarray
    allowed: np.ndarray
    paid: np.ndarray
    denied: np.ndarray


class _Mods:
    """Up to four modifiers per line, filled left to right in the order rules add them."""

    def __init__(self, n: int) -> None:
        self.slots = np.zeros((n, 4), dtype=np.int8)
        self.count = np.zeros(n, dtype=np.int8)

    def put(self, mask: np.ndarray, modifier: int | np.ndarray) -> None:
        rows = np.flatnonzero(mask & (self.count < 4))
        value = modifier if np.isscalar(modifier) else np.asarray(modifier)[rows]
        self.slots[rows, self.count[rows]] = value
        self.count[rows] += 1

    def has(self, modifier: int) -> np.ndarray:
        return (self.slots == modifier).any(axis=1)


def by_year(table: dict[str, float], days: np.ndarray) -> np.ndarray:
    """Per-day values of a per-year table (the nearest listed year outside its range)."""
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    low, high = (int(years.min()), int(years.max())) if len(years) else (2000, 2000)
    values = np.array([year_value(table, date(y, 1, 1)) for y in range(low, high + 1)])
    return values[years - low]


def _in(table: CodeTable, code: np.ndarray, codes: tuple[str, ...]) -> np.ndarray:
    return np.isin(code, [table.index[c] for c in codes if c in table.index])


def _visit_has(n_visits: int, visit: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(n_visits, dtype=bool)
    out[visit[mask]] = True
    return out


def adjudicate(
    rng: np.random.Generator,
    params: Params,
    plan: Plan,
    table: CodeTable,
    pool: ProviderPool,
    visits: Visits,
    lines: Lines,
    claim: np.ndarray,
) -> Adjudicated:
    """Modifiers, POS and amounts for ``lines``; ``claim`` is each line's claim index."""
    plans = list(plan.groups.values())
    v, code = lines.visit, lines.code
    g = visits.group.astype(np.int64)
    payer = visits.payer[v]
    medicare = payer == PAYERS.index("medicare")
    mcare_any = medicare | (payer == PAYERS.index("medicare_advantage"))
    kind = np.array([p.group.provider_kind for p in plans], dtype=object)[g[v]]
    mods = _Mods(len(v))
    ncci_missing = _ncci(rng, params, table, mods, len(visits), v, code)
    others = _visit_has(len(visits), v, ~_in(table, code, EM_CODES))
    mods.put(_in(table, code, EM_CODES) & others[v], MOD["25"])
    under_plan = pool.habit[visits.provider] < np.array([p.group.gp_rate for p in plans])[g]
    therapy = _therapy_modifiers(plans, table, mods, under_plan[v], g[v], code, kind)
    assistant = rng.random(len(visits)) < np.array([p.group.assistant_rate for p in plans])[g]
    is_eval = np.isin(table.kind[code], ("eval", "reeval"))
    helped = assistant[v] & mcare_any & ~is_eval
    mods.put(helped & (therapy == MOD["GP"]), MOD["CQ"])
    mods.put(helped & (therapy == MOD["GO"]), MOD["CO"])
    pos = _place_of_service(rng, params, plans, table, pool, visits, v, code)
    tele = np.isin(pos, ("02", "10"))[v]
    chiro = kind == "chiro"
    gy = chiro & medicare & (table.pmr[code] | (code == table.index["G0283"]))
    mods.put(gy, MOD["GY"])
    mods.put(chiro & mcare_any & _in(table, code, CMT_CODES), MOD["AT"])
    charge, allowed = _amounts(params, table, pool, visits, lines, payer, mods)
    denied = _denials(rng, params, table, lines, claim, payer, ncci_missing) | gy
    denied |= _kx(rng, params, visits, lines, mods, medicare, allowed, denied)
    mods.put(tele, MOD["95"])
    paid = _paid(rng, params, visits, lines, payer, allowed)
    _cross_plan(rng, params, mods, v, len(visits), ~is_eval)
    allowed = np.where(denied, 0.0, allowed)
    paid = np.where(denied, 0.0, paid)
    return Adjudicated(pos, mods.slots, charge, allowed, paid, denied)


def _cross_plan(
    rng: np.random.Generator,
    params: Params,
    mods: _Mods,
    v: np.ndarray,
    n_visits: int,
    treatment: np.ndarray,
) -> None:
    """Bill the treatment lines of some PT/OT visits under the other discipline's plan
    (GP<->GO, CQ<->CO); evaluations stay with their own discipline.

    Drawn last, so the other draws of a batch, and with them the calibrated code mix, are
    unchanged; only the modifiers of the chosen visits differ.
    """
    rate = float(params.calendar.get("cross_plan_rate", 0.0))
    crossed = (rng.random(n_visits) < rate)[v] & treatment
    slots = mods.slots
    for a, b in (("GP", "GO"), ("CQ", "CO")):
        first, second = slots == MOD[a], slots == MOD[b]
        slots[crossed[:, None] & first] = MOD[b]
        slots[crossed[:, None] & second] = MOD[a]


def _ncci(
    rng: np.random.Generator,
    params: Params,
    table: CodeTable,
    mods: _Mods,
    n_visits: int,
    v: np.ndarray,
    code: np.ndarray,
) -> np.ndarray:
    """59/XU on the column-2 code of an NCCI pair; True where the modifier is missing."""
    with_530 = _visit_has(n_visits, v, code == table.index["97530"])
    with_eval = _visit_has(n_visits, v, _in(table, code, NCCI_EVALS))
    pair = ((code == table.index["97140"]) & with_530[v]) | (
        (code == table.index["97530"]) & with_eval[v]
    )
    marked = pair & (rng.random(len(v)) < params.ncci_rate)
    xu = rng.random(len(v)) < params.xu_share
    mods.put(marked, np.where(xu, MOD["XU"], MOD["59"]).astype(np.int8))
    return pair & ~marked


def _therapy_modifiers(
    plans: list,
    table: CodeTable,
    mods: _Mods,
    under_plan: np.ndarray,
    g: np.ndarray,
    code: np.ndarray,
    kind: np.ndarray,
) -> np.ndarray:
    """GP/GO/GN by the group's plan of care; returns the modifier put on each line (0: none).

    ``under_plan``, ``g`` and ``kind`` are per line. Whether a provider outside the therapy
    professions (chiropractor, athletic trainer) bills under a therapy plan of care is a habit
    of the provider (providers.toml ``gp_rate``), not a coin toss per visit.
    """
    therapist = ~np.isin(kind, ("pmr", "chiro"))
    eligible = (table.therapy[code] == "always") | (
        (table.therapy[code] == "sometimes") & therapist
    )
    disc = np.array([THERAPY_MOD.get(p.group.discipline, 0) for p in plans], dtype=np.int8)
    modifier = np.where(eligible & under_plan, disc[g], 0).astype(np.int8)
    mods.put(modifier > 0, modifier)
    return modifier


def _place_of_service(
    rng: np.random.Generator,
    params: Params,
    plans: list,
    table: CodeTable,
    pool: ProviderPool,
    visits: Visits,
    v: np.ndarray,
    code: np.ndarray,
) -> np.ndarray:
    """Provider's usual POS; telehealth (02/10) for some visits without hands-on codes."""
    pos = pool.pos[visits.provider].copy()
    hands_on = _visit_has(len(visits), v, table.hands_on[code])
    allowed = np.array([p.group.telehealth for p in plans])[visits.group]
    rate = by_year(params.calendar["telehealth_rate"], visits.day)
    home = by_year(params.calendar["telehealth_home_share"], visits.day)
    tele = allowed & ~hands_on & (pos == "11") & (rng.random(len(pos)) < rate)
    at_home = rng.random(len(pos)) < home
    pos[tele] = np.where(at_home[tele], "10", "02")
    return pos


def _amounts(
    params: Params,
    table: CodeTable,
    pool: ProviderPool,
    visits: Visits,
    lines: Lines,
    payer: np.ndarray,
    mods: _Mods,
) -> tuple[np.ndarray, np.ndarray]:
    """Charge (practice charge master) and allowed (PFS fee x payer multiple) per line."""
    cal = params.calendar
    day = visits.day[lines.visit]
    cf = by_year(cal["conversion_factor"], day)
    fee = table.rvu[lines.code] * lines.units * cf
    prov = visits.provider[lines.visit]
    multiple = np.array([params.payers[p].fee_multiple for p in PAYERS])[payer]
    contract = np.where(payer == PAYERS.index("medicare"), 1.0, pool.contract[prov])
    red = cal["assistant_reduction"]
    reduced = (mods.has(MOD["CQ"]) | mods.has(MOD["CO"])) & (
        day >= np.datetime64(date.fromisoformat(red["from"]))
    )
    allowed = np.round(fee * multiple * contract * np.where(reduced, 1 - red["rate"], 1.0), 2)
    top_cf = max(cal["conversion_factor"].values())
    charge = np.round(table.rvu[lines.code] * lines.units * top_cf * pool.charge_factor[prov], 2)
    return charge, allowed


def _denials(
    rng: np.random.Generator,
    params: Params,
    table: CodeTable,
    lines: Lines,
    claim: np.ndarray,
    payer: np.ndarray,
    ncci_missing: np.ndarray,
) -> np.ndarray:
    """Claim-level, line-level, NCCI and bundling denials."""
    p = [params.payers[name] for name in PAYERS]
    claim_p = np.array([x.claim_denial for x in p])
    n_claims = int(claim.max()) + 1 if len(claim) else 0
    claim_payer = np.zeros(n_claims, dtype=np.int64)
    claim_payer[claim] = payer
    whole = (rng.random(n_claims) < claim_p[claim_payer])[claim]
    line = rng.random(len(claim)) < np.array([x.line_denial for x in p])[payer]
    ncci = ncci_missing & (rng.random(len(claim)) < np.array([x.ncci for x in p])[payer])
    bundled = (table.status[lines.code] == "B") & np.array([x.bundles_status_b for x in p])[payer]
    return whole | line | ncci | bundled


def _kx(
    rng: np.random.Generator,
    params: Params,
    visits: Visits,
    lines: Lines,
    mods: _Mods,
    medicare: np.ndarray,
    allowed: np.ndarray,
    denied: np.ndarray,
) -> np.ndarray:
    """KX above the Medicare therapy threshold; returns lines denied for lacking it."""
    cap = np.where(
        mods.has(MOD["GO"]), 2, np.where(mods.has(MOD["GP"]) | mods.has(MOD["GN"]), 1, 0)
    )
    counted = medicare & (cap > 0)
    idx = np.flatnonzero(counted)
    day = visits.day[lines.visit[idx]]
    year = day.astype("datetime64[Y]").astype(int) + 1970
    patient = visits.patient[lines.visit[idx]]
    order = np.lexsort((idx, day, year, cap[idx], patient))
    idx, year, patient, c = idx[order], year[order], patient[order], cap[idx][order]
    spend = np.where(denied[idx], 0.0, allowed[idx])
    new = np.r_[True, (patient[1:] != patient[:-1]) | (c[1:] != c[:-1]) | (year[1:] != year[:-1])]
    total = np.cumsum(spend)
    running = total - np.maximum.accumulate(np.where(new, total - spend, 0.0))
    limit = by_year(params.calendar["kx_threshold"], day[order])
    over = idx[(running > limit) & ~denied[idx]]
    missing = rng.random(len(over)) < float(params.calendar["kx_missing"])
    mask = np.zeros(len(medicare), dtype=bool)
    mask[over[~missing]] = True
    mods.put(mask, MOD["KX"])
    out = np.zeros(len(medicare), dtype=bool)
    out[over[missing]] = True
    return out


def _paid(
    rng: np.random.Generator,
    params: Params,
    visits: Visits,
    lines: Lines,
    payer: np.ndarray,
    allowed: np.ndarray,
) -> np.ndarray:
    """Allowed less the patient's cost share (per patient) and Medicare sequestration."""
    n_pat = int(visits.patient.max()) + 1 if len(visits) else 0
    u = rng.random(n_pat)
    low = np.array([params.payers[p].cost_share[0] for p in PAYERS])[payer]
    high = np.array([params.payers[p].cost_share[1] for p in PAYERS])[payer]
    share = low + (high - low) * u[visits.patient[lines.visit]]
    seq = np.zeros(len(payer))
    day = visits.day[lines.visit]
    for start, rate in params.calendar["sequestration"]:
        seq = np.where(day >= np.datetime64(start), rate, seq)
    seq = np.where(payer == PAYERS.index("medicare"), seq, 0.0)
    return np.round(allowed * (1.0 - share) * (1.0 - seq), 2)
