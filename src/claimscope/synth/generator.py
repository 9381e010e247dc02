"""``generate_claims``: seeded synthetic all-payor claim lines, in bounded-memory batches.

Each batch holds whole patients (and so whole claims) drawn with its own random stream,
derived from the seed and the batch number; the provider pool is drawn once from the seed.
Same seed, size and dates give the same tables, value for value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.synth.adjudicate import MODIFIERS, Adjudicated, adjudicate
from claimscope.synth.calibrate import Plan, solve
from claimscope.synth.episodes import Visits, make_visits, month_starts
from claimscope.synth.lines import CodeTable, Lines, make_lines
from claimscope.synth.params import PAYERS, Params, load
from claimscope.synth.providers import ProviderPool, build_pool

BATCH_LINES = 250_000
DEFAULT_START = date(2021, 1, 1)
DEFAULT_END = date(2023, 12, 31)
REVENUE_BASE = {"PT": "042", "OT": "043", "SLP": "044"}
AUDIT_COLUMNS = ("visit_id", "visit_timed_minutes")


@dataclass(frozen=True)
class _Context:
    params: Params
    plan: Plan
    table: CodeTable
    pool: ProviderPool
    months: np.ndarray
    start: date
    end: date


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def generate_claims(
    lines: int,
    seed: int = 42,
    *,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    audit: bool = False,
) -> Iterator[pa.Table]:
    """Yield ``lines`` synthetic claim lines as Arrow tables of at most 250,000 rows.

    Columns are the generic claim-line layout (names from
    :data:`claimscope.schema.STAGING_COLUMNS`); ``audit=True`` adds ``visit_id`` and
    ``visit_timed_minutes`` (the minutes behind the timed units; null on a visit cut short by
    the requested line count) for checking the 8-minute rule. Raises ``ValueError`` on a
    non-positive line count or a date range without a weekday.
    """
    if lines <= 0:
        raise ValueError(f"lines must be positive, got {lines}")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if not np.busday_count(np.datetime64(start), np.datetime64(end) + 1):
        raise ValueError(f"no business day between {start} and {end}: visits fall on weekdays")
    params = load()
    ctx = _Context(
        params=params,
        plan=solve(),
        table=CodeTable.build(params),
        pool=build_pool(params, lines, _rng(seed, 0)),
        months=month_starts(start, end, int(params.calendar["lead_in_days"])),
        start=start,
        end=end,
    )
    for batch in range(math.ceil(lines / BATCH_LINES)):
        size = min(BATCH_LINES, lines - batch * BATCH_LINES)
        yield _batch(ctx, batch, size, _rng(seed, batch + 1), audit)


def _batch(ctx: _Context, batch: int, size: int, rng: np.random.Generator, audit: bool) -> pa.Table:
    visits, lines, partial = _draw(ctx, size, rng)
    claim = _claims(ctx, visits)
    first_day = visits.day[np.unique(claim, return_index=True)[1]]
    order = np.lexsort(
        (np.arange(len(lines)), visits.day[lines.visit], claim[lines.visit],
         first_day[claim[lines.visit]])
    )  # fmt: skip
    lines = Lines(lines.visit[order], lines.code[order], lines.units[order])
    claim_of_line = claim[lines.visit]
    result = adjudicate(
        rng, ctx.params, ctx.plan, ctx.table, ctx.pool, visits, lines, claim_of_line
    )
    table = _table(ctx, batch, visits, lines, claim_of_line, result)
    if audit:
        cut = (lines.visit == len(visits) - 1) & partial
        minutes = visits.minutes[lines.visit].astype(np.int32)
        table = table.append_column("visit_id", pa.array(lines.visit + (batch << 32)))
        table = table.append_column(
            "visit_timed_minutes", pa.array(minutes, mask=cut, type=pa.int32())
        )
    return table


def _draw(ctx: _Context, size: int, rng: np.random.Generator) -> tuple[Visits, Lines, bool]:
    """Visits and lines of enough new patients for ``size`` lines, cut to exactly ``size``.

    Returns whether the last visit lost lines to the cut.
    """
    parts: list[tuple[Visits, Lines]] = []
    have, patients, episodes, n_visits = 0, 0, 0, 0
    n_patients = size // 25 + 16
    while have < size:
        v = make_visits(rng, ctx.params, ctx.plan, ctx.pool, n_patients, ctx.start, ctx.end)
        ln = make_lines(rng, ctx.params, ctx.plan, ctx.table, v, ctx.months)
        shifted = Visits(
            v.episode + episodes, v.patient + patients, v.group, v.provider, v.payer, v.day,
            v.first, v.minutes,
        )  # fmt: skip
        parts.append((shifted, Lines(ln.visit + n_visits, ln.code, ln.units)))
        patients += n_patients
        episodes += int(v.episode.max()) + 1 if len(v) else 0
        n_visits += len(v)
        have += len(ln)
        per_patient = max(len(ln) / n_patients, 1.0)
        n_patients = math.ceil((size - have) / per_patient * 1.1) + 16
    visits = Visits(*(np.concatenate([getattr(p[0], f) for p in parts]) for f in _VISIT_FIELDS))
    lines = Lines(*(np.concatenate([getattr(p[1], f) for p in parts]) for f in _LINE_FIELDS))
    partial = len(lines) > size and lines.visit[size] == lines.visit[size - 1]
    lines = Lines(lines.visit[:size], lines.code[:size], lines.units[:size])
    keep = int(lines.visit[-1]) + 1
    visits = Visits(*(getattr(visits, f)[:keep] for f in _VISIT_FIELDS))
    return visits, lines, bool(partial)


_VISIT_FIELDS = ("episode", "patient", "group", "provider", "payer", "day", "first", "minutes")
_LINE_FIELDS = ("visit", "code", "units")


def _claims(ctx: _Context, visits: Visits) -> np.ndarray:
    """Claim index per visit: a professional claim per visit, an institutional claim per
    episode and calendar month (facilities bill therapy monthly)."""
    plans = list(ctx.plan.groups.values())
    inst = np.array([p.group.claim_type == "institutional" for p in plans])[visits.group]
    month = visits.day.astype("datetime64[M]").astype(np.int64)
    month -= month.min() if len(month) else 0
    key = np.where(inst, -(visits.episode * 4096 + month) - 1, np.arange(len(visits)))
    return np.unique(key, return_inverse=True)[1].astype(np.int64)


def _take(values: list[str | None] | np.ndarray, idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(idx))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def _table(
    ctx: _Context,
    batch: int,
    visits: Visits,
    lines: Lines,
    claim: np.ndarray,
    result: Adjudicated,
) -> pa.Table:
    plans = list(ctx.plan.groups.values())
    n = len(lines)
    v = lines.visit
    g = visits.group.astype(np.int64)[v]
    prov = visits.provider[v]
    new_claim = np.r_[True, claim[1:] != claim[:-1]]
    claim_seq = np.cumsum(new_claim) - 1
    starts = np.flatnonzero(new_claim)
    line_number = np.arange(n) - starts[claim_seq] + 1
    day = visits.day[v]
    inst = np.array([p.group.claim_type == "institutional" for p in plans])[g]
    n_patients = int(visits.patient.max()) + 1 if len(visits) else 0
    columns: dict[str, pa.Array] = {
        "record_kind": _take(["line"], np.zeros(n, dtype=np.int64)),
        "claim_id": _ids(f"C{batch:03d}", np.arange(len(starts)), 8).take(pa.array(claim_seq)),
        "claim_frequency": _take(["1"], np.zeros(n, dtype=np.int64)),
        "claim_type": _take(["professional", "institutional"], inst.astype(np.int64)),
        "line_number": pa.array(line_number.astype(np.int32)),
        "patient_id": _ids(f"P{batch:03d}", np.arange(n_patients), 7).take(
            pa.array(visits.patient[v])
        ),
        "service_from": pa.array(day),
        "service_to": pa.array(day),
        "rendering_npi": _take(ctx.pool.npi, prov),
        "billing_npi": _take(ctx.pool.billing_npi, prov),
        "rendering_taxonomy": _take(ctx.pool.taxonomy, prov),
        "specialty": _take([p.group.specialty for p in plans], g),
        "payer_type": _take(list(PAYERS), visits.payer[v].astype(np.int64)),
        "state": _take(ctx.pool.state, prov),
        "place_of_service": pa.array(list(result.pos), pa.string()).take(pa.array(v)),
        "setting": pa.nulls(n, pa.string()),
        "revenue_code": _revenue(ctx, plans, g, lines.code, inst),
        "hcpcs_code": _take(list(ctx.table.codes), lines.code),
    }
    for i in range(4):
        columns[f"modifier_{i + 1}"] = _take(
            list(MODIFIERS), result.modifiers[:, i].astype(np.int64)
        )
    columns |= {
        "units": pa.array(lines.units.astype(np.float64)),
        "charge_amount": pa.array(result.charge),
        "allowed_amount": pa.array(result.allowed),
        "paid_amount": pa.array(result.paid),
        "line_status": _take(["paid", "denied"], result.denied.astype(np.int64)),
    }
    return pa.table(columns)


def _revenue(
    ctx: _Context, plans: list, g: np.ndarray, code: np.ndarray, inst: np.ndarray
) -> pa.Array:
    """UB-04 revenue code of institutional lines: 042x PT, 043x OT, 044x SLP;
    x = 4 evaluation, 3 group therapy, 0 otherwise."""
    vocab: list[str | None] = [None]
    for base in REVENUE_BASE.values():
        vocab += [base + "0", base + "3", base + "4"]
    names = list(REVENUE_BASE)
    disc = np.array(
        [names.index(p.group.discipline) if p.group.discipline in names else 0 for p in plans]
    )[g]
    kind = ctx.table.kind[code]
    suffix = np.where(np.isin(kind, ("eval", "reeval")), 2, 0)
    suffix = np.where(code == ctx.table.index["97150"], 1, suffix)
    return _take(vocab, np.where(inst, 1 + disc * 3 + suffix, 0))
