"""Real-format National Provider Identifiers for synthetic providers.

An NPI is 10 digits: a 9-digit identifier starting with 1 or 2 and a Luhn check digit computed
over the identifier prefixed with 80840 (:mod:`claimscope.terminology.npi`). The
generated numbers are random, so some may collide with real providers' NPIs: they identify
nobody and carry no real provider's data.
"""

from __future__ import annotations

import numpy as np

from claimscope.terminology.npi import check_digits


def make_npis(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NPIs as strings, first digit 1 or 2."""
    # 9-digit identifiers 100000000-299999999, drawn without replacement.
    base = 100_000_000 + rng.choice(200_000_000, size=n, replace=False).astype(np.int64)
    full = base * 10 + check_digits(base)
    return full.astype(str).astype(object)
