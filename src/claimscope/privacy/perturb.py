"""Consistent cell-key perturbation against differencing (the ABS TableBuilder method).

Suppression protects each output on its own; it cannot stop someone from subtracting two
outputs (January to September minus January to August gives September). Statistical
agencies that publish interactive tables answer that with *consistent perturbation*:

* every row has a permanent random ``record_key`` from 0 to 2^32-1, given at ingest
  (:func:`claimscope.ingest.pseudonymise.record_keys`);
* a published count's *cell key* is the sum of its rows' keys modulo 2^32 (summed by the
  engine with the count itself, :func:`claimscope.analysis.measures.cell_counts`);
* the count gets the noise that a fixed table (:data:`PTABLE`) assigns to the cell key.

The same rows always give the same cell key, so the same figure shows the same value in
every query and repeating a query averages nothing away; two overlapping queries are
different cells with unrelated keys, so their difference carries the noise of both. True
zeros stay zero, and a count is never pushed below the threshold (noise that would is
reflected upwards), so perturbation cannot make a count of 1-10 appear. Shares are computed
from perturbed counts. Money is not perturbed (see docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from claimscope.analysis.query import PrivacyPolicy, QueryError
from claimscope.privacy.rules import CellKind

KEY_BITS: Final = 32
MODULUS: Final = 1 << KEY_BITS
# The perturbation table: noise and its probability. Symmetric, so unbiased away from the
# threshold; a cell key picks its noise by inverse CDF of key / 2^32.
PTABLE: Final = ((-3, 0.02), (-2, 0.08), (-1, 0.20), (0, 0.40), (1, 0.20), (2, 0.08), (3, 0.02))
MAX_NOISE: Final = max(abs(d) for d, _ in PTABLE)
VARIANCE: Final = round(sum(p * d * d for d, p in PTABLE), 6)
METHOD: Final = "cell-key perturbation (ABS TableBuilder): noise from a fixed table by cell key"
NO_KEYS: Final = (
    "this store has lines without record keys (written before claimscope gave every line "
    "one), so its figures cannot be perturbed"
)


class MissingKeys(QueryError):
    """A perturbed figure would count a line without a record key (a store, or a version of
    it, from before keys existed); :func:`no_keys_message` says what to run."""

    def __init__(self) -> None:
        super().__init__(NO_KEYS)


def no_keys_message(store_root: object, version: int, latest: bool) -> str:
    """What to do about :class:`MissingKeys` on ``version`` of the store at ``store_root``."""
    if latest:
        return (
            f"store {store_root} has lines without record keys (written before claimscope "
            f"gave every line one), so its figures cannot be perturbed: run `claimscope "
            f"upgrade --store {store_root}` to derive them, or run without --perturb"
        )
    return (
        f"version {version} of store {store_root} has lines without record keys (written "
        "before claimscope gave every line one), so its figures cannot be perturbed: versions "
        f"from `claimscope upgrade --store {store_root}` on have them (ask for one of those "
        "with --as-of), or run without --perturb"
    )


def cell_key(key_sum: Any) -> int:
    """A cell's key from the engine's sum of its rows' record keys (None: some row has none)."""
    if key_sum is None:
        raise MissingKeys()
    return int(key_sum) % MODULUS


def noise(key: int) -> int:
    """The noise :data:`PTABLE` assigns to a cell key."""
    position = (key % MODULUS) / MODULUS
    cumulative = 0.0
    for d, p in PTABLE:
        cumulative += p
        if position < cumulative:
            return d
    return PTABLE[-1][0]


@dataclass(frozen=True)
class Perturbation:
    """Perturbation of the counts of one output (``threshold``: the cell-size threshold)."""

    threshold: int

    def count(self, value: float, key_sum: Any) -> float:
        """The published value of a shown count whose rows' keys sum to ``key_sum``."""
        if value == 0:
            return value  # a true zero reveals no one and stays zero
        d = noise(cell_key(key_sum))
        out = value + d
        if out < self.threshold <= value:
            out = value + abs(d)  # never turn a shown count into a small one
        return out


def perturbation_block(perturbation: Perturbation | None, *, counts: bool = True) -> dict[str, Any]:
    """The ``perturbation`` block of a result: whether it was applied, and its parameters."""
    if perturbation is None:
        return {"applied": False}
    if not counts:
        return {"applied": False, "reason": "money is not perturbed (docs/privacy.md)"}
    return {
        "applied": True,
        "method": METHOD,
        "max_noise": MAX_NOISE,
        "variance": VARIANCE,
        "key_bits": KEY_BITS,
        "ptable": {str(d): p for d, p in PTABLE},
        "zeros": "kept",
        "floor": f"no shown count is perturbed below {perturbation.threshold}",
    }


def perturbation_for(policy: PrivacyPolicy, kind: CellKind) -> Perturbation | None:
    """The perturbation an output of ``kind`` gets under ``policy`` (None: exact figures)."""
    if not policy.perturb or not kind.count:
        return None
    return Perturbation(policy.min_cell_size)


def perturb_line(
    perturbation: Perturbation, values: Sequence[float | None], key_sums: Sequence[Any]
) -> list[float | None]:
    """Perturbed shown values of a line of cells (hidden ones stay ``None``).

    A key sum of 0 means the cell has no rows (a true zero); ``None`` a cell holding a line
    without a record key.
    """
    return [
        None if v is None else perturbation.count(v, k)
        for v, k in zip(values, key_sums, strict=True)
    ]
