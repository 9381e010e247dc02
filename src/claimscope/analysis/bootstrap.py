"""How sure a ranking is: cluster-bootstrap intervals for code shares and rank stability.

Claim lines are not independent draws: one clinic's habits (always billing 97140 with
97110, say) move many lines together. The unit of resampling is therefore the provider:

1. The engine sums the measure per provider x code once (one Ibis group-by). The provider
   is the rendering NPI, else the billing NPI, else the claim, else the row itself.
   Aggregated sources (CMS public use files) are already one row per provider and code.
2. numpy draws ``replicates`` samples of the providers with replacement (seeded
   ``numpy.random.default_rng(seed)``, so the same seed gives the same figures), recomputes
   every code's share of the whole code set in each, and reports the 2.5th and 97.5th
   percentiles (a 95% percentile interval).
3. *Rank stability* is the fraction of replicates in which a code has the same rank among
   the shown codes as in the data (ties share the lower rank, as in the ranking).
4. Two shown codes are a *statistical tie* when the 95% interval of the difference of their
   shares, taken replicate by replicate, contains zero. Pairing the replicates is sharper
   than asking whether two separate intervals overlap (overlapping intervals can still hide
   a clear difference), and it is the same question the rank order asks.

Only additive measures (services, lines, allowed, paid) decompose by provider; distinct
counts (patients, claims) are not bootstrapped. The intervals cover sampling variation
among providers, not coding errors or a source that misses payers. With fewer than 30
providers no interval is published (a note says why): the figures would be too optimistic,
and with two or three providers their ends are ratios of single providers' volumes that
reveal small counts (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import ibis
import ibis.expr.types as ir
import numpy as np

from claimscope.analysis.filters import apply_filters
from claimscope.analysis.measures import measure_value, plan_measure
from claimscope.analysis.query import Filters
from claimscope.analysis.result import TopResult

LEVEL: Final = 0.95
MIN_RELIABLE_CLUSTERS: Final = 30
BOOTSTRAP_MEASURES: Final = ("services", "lines", "allowed", "paid")


@dataclass(frozen=True)
class CodeUncertainty:
    """Interval, rank stability and statistical ties of one shown code."""

    code: str
    ci: tuple[float, float]
    rank_stability: float
    tied_with: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ci": [round(self.ci[0], 4), round(self.ci[1], 4)],
            "rank_stability": round(self.rank_stability, 3),
            "tied_with": list(self.tied_with),
        }


@dataclass
class Uncertainty:
    """The bootstrap of one ranking."""

    replicates: int
    seed: int
    level: float
    per_code: dict[str, CodeUncertainty]
    enough_clusters: bool
    notes: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The method, for the result's JSON."""
        return {
            "method": "cluster bootstrap over providers (rendering NPI), percentile intervals",
            "level": self.level,
            "replicates": self.replicates,
            "seed": self.seed,
            "tie_rule": "95% interval of the paired difference of shares contains 0",
        }


@dataclass(frozen=True)
class ProviderSums:
    """The measure per provider x code, in long form (``cluster[i]``, ``code[i]``, ``value[i]``)."""

    cluster: np.ndarray
    code: np.ndarray
    value: np.ndarray
    codes: tuple[str, ...]
    clusters: int


def provider_sums(lines: ir.Table, filters: Filters, result: TopResult) -> ProviderSums:
    """Sum ``result.measure`` per provider and code in the engine (one group-by)."""
    filtered = apply_filters(lines, filters)
    plan = plan_measure(
        result.measure, result.coverage.record_kinds, {s["name"] for s in result.coverage.sources}
    )
    keyed = filtered.mutate(
        _cluster=ibis.coalesce(
            filtered.rendering_npi,
            filtered.billing_npi,
            ibis.literal("claim:").concat(filtered.source, ":", filtered.claim_id),
            ibis.literal("row:").concat(
                filtered.source_file, ":", filtered.source_row.cast("string")
            ),
        )
    )
    grouped = keyed.group_by(["_cluster", "hcpcs_code"]).aggregate(value=measure_value(keyed, plan))
    table = grouped.order_by(["_cluster", "hcpcs_code"]).to_pyarrow()
    clusters, cluster_idx = np.unique(
        np.asarray(table["_cluster"].to_pylist(), dtype=object), return_inverse=True
    )
    codes, code_idx = np.unique(
        np.asarray(table["hcpcs_code"].to_pylist(), dtype=object), return_inverse=True
    )
    values = np.nan_to_num(table["value"].to_numpy(zero_copy_only=False).astype(float))
    return ProviderSums(cluster_idx, code_idx, values, tuple(codes), len(clusters))


def replicate_shares(sums: ProviderSums, *, replicates: int, seed: int) -> np.ndarray:
    """Shares of every code (columns, as ``sums.codes``) in each bootstrap replicate (rows)."""
    rng = np.random.default_rng(seed)
    k = len(sums.codes)
    out = np.zeros((replicates, k))
    for r in range(replicates):
        draws = rng.integers(0, sums.clusters, sums.clusters)
        weight = np.bincount(draws, minlength=sums.clusters)[sums.cluster]
        totals = np.bincount(sums.code, weights=weight * sums.value, minlength=k)
        whole = totals.sum()
        out[r] = totals / whole if whole else np.nan
    return out


def summarise(
    shares: np.ndarray,
    codes: Sequence[str],
    shown: Sequence[tuple[str, int]],
    *,
    level: float = LEVEL,
) -> dict[str, CodeUncertainty]:
    """Intervals, rank stability and ties for the ``shown`` (code, rank) rows.

    ``shares`` has one row per replicate and one column per entry of ``codes``; shown codes
    missing from ``codes`` (none in practice) get no entry. Replicates with no data at all
    (every drawn provider without the code set) are left out.
    """
    index = {c: i for i, c in enumerate(codes)}
    rows = [(c, rank) for c, rank in shown if c in index]
    if not rows:
        return {}
    valid = shares[~np.isnan(shares).any(axis=1)]
    if len(valid) < 2:
        return {}
    sub = valid[:, [index[c] for c, _ in rows]]
    alpha = (1 - level) / 2
    low, high = np.quantile(sub, [alpha, 1 - alpha], axis=0)
    # Rank among the shown codes in each replicate: 1 + how many shown codes beat it.
    ranks = 1 + (sub[:, None, :] > sub[:, :, None]).sum(axis=2)
    observed = np.array([rank for _, rank in rows])
    stability = (ranks == observed).mean(axis=0)
    diff = sub[:, :, None] - sub[:, None, :]
    d_low, d_high = np.quantile(diff, [alpha, 1 - alpha], axis=0)
    tied = (d_low <= 0) & (d_high >= 0)
    out: dict[str, CodeUncertainty] = {}
    for i, (code, _) in enumerate(rows):
        ties = tuple(rows[j][0] for j in range(len(rows)) if j != i and tied[i, j])
        out[code] = CodeUncertainty(
            code, (float(low[i]), float(high[i])), float(stability[i]), ties
        )
    return out


def bootstrap_ranking(
    lines: ir.Table,
    filters: Filters,
    result: TopResult,
    *,
    replicates: int = 200,
    seed: int = 42,
    level: float = LEVEL,
) -> Uncertainty | None:
    """Bootstrap the shown rows of ``result`` (a ranking of ``lines`` under ``filters``).

    ``lines`` must be the table the ranking was computed from (a cohort's selection).
    Returns None for measures that do not decompose by provider, or an empty ranking.
    """
    if replicates < 2:
        raise ValueError("the bootstrap needs at least 2 replicates")
    shown = [(r.code, r.rank) for r in result.rows if r.rank is not None]
    if result.measure not in BOOTSTRAP_MEASURES or not shown:
        return None
    sums = provider_sums(lines, filters, result)
    shares = replicate_shares(sums, replicates=replicates, seed=seed)
    notes = []
    enough = sums.clusters >= MIN_RELIABLE_CLUSTERS
    per_code = summarise(shares, sums.codes, shown, level=level) if enough else {}
    if not enough:
        # With a handful of providers every replicate's share is a ratio of a few providers'
        # volumes: the interval ends would reveal provider-level counts, and would mean little.
        notes.append(
            f"no intervals: fewer than {MIN_RELIABLE_CLUSTERS} providers in this selection, "
            "too few for the bootstrap to mean something (and its figures could reveal a "
            "single provider's volume)"
        )
    return Uncertainty(
        replicates=replicates,
        seed=seed,
        level=level,
        per_code=per_code,
        enough_clusters=enough,
        notes=notes,
    )
