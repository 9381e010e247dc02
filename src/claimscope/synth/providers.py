"""The synthetic provider pool: rendering providers, their practices, states and volumes.

Individual renderers (PT, OT, SLP, athletic trainer, PM&R physician, chiropractor) bill under a
group practice's NPI; practice sizes follow a truncated Zipf law, so a few large practices
carry much of the volume. Facilities (hospital outpatient departments, SNFs) render and bill as
themselves. Every NPI is real-format (see :mod:`claimscope.synth.npi`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from claimscope.synth.npi import make_npis
from claimscope.synth.params import Params, ProviderKind


@dataclass(frozen=True)
class ProviderPool:
    """Rendering providers, one entry per index; arrays are aligned."""

    npi: np.ndarray  # str objects
    billing_npi: np.ndarray  # str objects
    taxonomy: np.ndarray  # str objects
    state: np.ndarray  # str objects
    kind: np.ndarray  # str objects (providers.toml kind)
    pos: np.ndarray  # str objects: default place of service of the provider's claims
    weight: np.ndarray  # relative volume within the kind
    practice: np.ndarray  # int64 practice index
    charge_factor: np.ndarray  # practice charge master: charge = factor x Medicare fee
    contract: np.ndarray  # practice's negotiated-rate factor around the payer's multiple
    habit: np.ndarray  # uniform [0, 1): billing habits that are rates per provider (gp_rate)

    def of_kind(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the kind's providers and their selection probabilities."""
        idx = np.flatnonzero(self.kind == kind)
        w = self.weight[idx]
        return idx, w / w.sum()


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _zipf_sizes(rng: np.random.Generator, total: int, a: float, max_size: int) -> np.ndarray:
    """Practice sizes (renderers per practice) summing exactly to ``total``."""
    support = np.arange(1, max_size + 1)
    pmf = support.astype(float) ** -a
    sizes = rng.choice(support, size=total, p=pmf / pmf.sum())
    cum = np.cumsum(sizes)
    keep = int(np.searchsorted(cum, total)) + 1
    sizes = sizes[:keep].copy()
    sizes[-1] -= int(cum[keep - 1]) - total
    return sizes


def renderer_counts(params: Params, lines: int) -> dict[str, int]:
    """Rendering providers per kind for a data set of ``lines`` lines."""
    low, high = params.renderer_bounds
    total = min(max(lines // params.renderers_per_line, low), high)
    return {k.name: max(3, round(total * k.share)) for k in params.kinds.values()}


def build_pool(params: Params, lines: int, rng: np.random.Generator) -> ProviderPool:
    """Draw the provider pool for a data set of ``lines`` lines."""
    counts = renderer_counts(params, lines)
    states = _states(params)
    pools: dict[str, list[ProviderKind]] = {}
    for k in params.kinds.values():
        pools.setdefault(k.practice_pool if k.practice == "group" else k.name, []).append(k)
    parts = [_pool_part(rng, kinds, counts, states) for kinds in pools.values()]
    kind = np.concatenate([p["kind"] for p in parts])
    practice = np.concatenate([p["practice"] + 10**9 * i for i, p in enumerate(parts)])
    _, practice = np.unique(practice, return_inverse=True)
    n_practices = int(practice.max()) + 1
    npis = make_npis(rng, len(kind) + n_practices)
    renderer, org = npis[: len(kind)], npis[len(kind) :]
    self_billing = np.isin(kind, [k.name for k in params.kinds.values() if k.practice == "self"])
    billing = np.where(self_billing, renderer, org[practice])
    taxonomy = np.empty(len(kind), dtype=object)
    weight = np.empty(len(kind))
    for k in params.kinds.values():
        idx = np.flatnonzero(kind == k.name)
        taxonomy[idx] = _choice(rng, k.taxonomies, len(idx))
        weight[idx] = rng.lognormal(0.0, k.volume_sigma, len(idx))
    charge = rng.uniform(1.9, 3.2, n_practices)[practice]
    contract = np.exp(np.clip(rng.normal(0.0, params.contract_sigma, n_practices), -0.2, 0.2))
    return ProviderPool(
        npi=renderer,
        billing_npi=billing,
        taxonomy=taxonomy,
        state=np.concatenate([p["state"] for p in parts]),
        kind=kind,
        pos=np.concatenate([p["pos"] for p in parts]),
        weight=weight,
        practice=practice,
        charge_factor=charge,
        contract=contract[practice],
        habit=rng.random(len(kind)),
    )


def _states(params: Params) -> dict[str, float]:
    total = sum(params.states.values())
    return {s: n / total for s, n in params.states.items()}


def _pool_part(
    rng: np.random.Generator,
    kinds: list[ProviderKind],
    counts: dict[str, int],
    states: dict[str, float],
) -> dict[str, np.ndarray]:
    """Renderers of kinds sharing one practice pool, assigned to practices."""
    n = sum(counts[k.name] for k in kinds)
    kind = rng.permutation(np.repeat([k.name for k in kinds], [counts[k.name] for k in kinds]))
    kind = kind.astype(object)
    first = kinds[0]
    if first.practice == "self":
        practice = np.arange(n)
        pos = _choice(rng, first.pos, n)
    else:
        sizes = _zipf_sizes(rng, n, first.zipf, first.max_size)
        practice = np.repeat(np.arange(len(sizes)), sizes)
        home_rate = max(k.home_rate for k in kinds)
        home = (rng.random(len(sizes)) < home_rate)[practice]
        can_home = np.isin(kind, [k.name for k in kinds if k.home_rate > 0])
        pos = np.where(home & can_home, "12", "11").astype(object)
    state = _choice(rng, states, int(practice.max()) + 1)[practice]
    return {"kind": kind, "practice": practice, "state": state, "pos": pos}
