"""How alike two ranked code lists are: set overlap, top-weighted overlap, rank agreement.

Three figures, each answering a different question:

* **Jaccard** of the two top-N sets, ``|A & B| / |A | B|``: how many codes the lists share,
  ignoring order.
* **Rank-biased overlap** (Webber, Moffat & Zobel 2010, "A similarity measure for indefinite
  rankings", ACM TOIS 28(4), eq. 32: the extrapolated ``RBO_ext``, lists of uneven length
  allowed) with persistence ``p = 0.9``: the average overlap at every depth, weighted
  geometrically so the top ranks count most (at p = 0.9 the first 10 ranks carry about 86%
  of the weight). 1 for identical lists, 0 for disjoint ones.
* **Kendall tau-b** on the codes both lists contain, from the ranks each list gives them
  (tied ranks handled by the tau-b correction): do shared codes come in the same order?
  Undefined (None) with fewer than two shared codes or when one side ranks them all alike.

Lists are code sequences in ranked order; codes tied in rank are ordered by code, as
:func:`claimscope.analysis.top.rank_code_shares` lists them, so RBO is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

RBO_P: Final = 0.9


def jaccard(a: Sequence[str], b: Sequence[str]) -> float | None:
    """``|A & B| / |A | B|`` of two code lists as sets; None when both are empty."""
    union = set(a) | set(b)
    if not union:
        return None
    return len(set(a) & set(b)) / len(union)


def rank_biased_overlap(a: Sequence[str], b: Sequence[str], p: float = RBO_P) -> float | None:
    """Extrapolated rank-biased overlap ``RBO_ext`` of two rankings (Webber et al. eq. 32).

    With ``S`` the shorter list (length ``s``), ``L`` the longer (length ``l``) and
    ``X_d`` the number of items the two share down to depth ``d`` (beyond ``s``: all of
    ``S`` against the first ``d`` of ``L``)::

        RBO_ext = (1-p)/p * ( sum_{d=1..l} X_d/d * p^d
                              + sum_{d=s+1..l} X_s*(d-s)/(s*d) * p^d )
                  + ( (X_l - X_s)/l + X_s/s ) * p^l

    None when both lists are empty, 0.0 when only one is.
    """
    if not 0 < p < 1:
        raise ValueError("rank-biased overlap needs 0 < p < 1")
    if len(set(a)) != len(a) or len(set(b)) != len(b):
        raise ValueError("rank-biased overlap needs lists without repeated items")
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    s, n = len(short), len(long_)  # n is the paper's l (the longer list's length)
    if n == 0:
        return None
    if s == 0:
        return 0.0
    overlap = _overlaps(short, long_)
    x_s, x_n = overlap[s], overlap[n]
    weighted = sum(overlap[d] / d * p**d for d in range(1, n + 1))
    weighted += sum(x_s * (d - s) / (s * d) * p**d for d in range(s + 1, n + 1))
    return (1 - p) / p * weighted + ((x_n - x_s) / n + x_s / s) * p**n


def _overlaps(short: Sequence[str], long_: Sequence[str]) -> list[int]:
    """``X_d`` for d = 0..len(long_) (index d), as defined for :func:`rank_biased_overlap`."""
    seen_short: set[str] = set()
    seen_long: set[str] = set()
    out = [0]
    shared = 0
    for d in range(1, len(long_) + 1):
        item_l = long_[d - 1]
        if d <= len(short):
            item_s = short[d - 1]
            if item_s == item_l:
                shared += 1
            else:
                shared += (item_s in seen_long) + (item_l in seen_short)
            seen_short.add(item_s)
        else:
            shared += item_l in seen_short
        seen_long.add(item_l)
        out.append(shared)
    return out


def kendall_tau_b(a: Mapping[str, float], b: Mapping[str, float]) -> float | None:
    """Kendall's tau-b between two rank maps (code -> rank) over the codes both contain.

    ``tau_b = (concordant - discordant) / sqrt((n0 - ties_a) * (n0 - ties_b))`` with
    ``n0 = n(n-1)/2`` pairs; a pair tied on one side counts for neither concordant nor
    discordant but lowers that side's denominator term.
    """
    shared = sorted(set(a) & set(b))
    concordant = discordant = ties_a = ties_b = 0
    for i, first in enumerate(shared):
        for second in shared[i + 1 :]:
            da = a[first] - a[second]
            db = b[first] - b[second]
            if da == 0 or db == 0:
                ties_a += da == 0
                ties_b += db == 0
            elif (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    pairs = len(shared) * (len(shared) - 1) // 2
    denominator = math.sqrt((pairs - ties_a) * (pairs - ties_b))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator
