"""Real-format National Provider Identifiers for synthetic providers.

An NPI is 10 digits: a 9-digit identifier starting with 1 or 2 and a Luhn check digit computed
over the identifier prefixed with the card issuer number 80840 (CMS NPI check-digit rule). The
generated numbers are random, so some may collide with real providers' NPIs: they identify
nobody and carry no real provider's data.
"""

from __future__ import annotations

import numpy as np

# Luhn sum of the doubled/undoubled digits of the prefix 80840 (CMS: "add 24").
_PREFIX_SUM = 24


def check_digits(base: np.ndarray) -> np.ndarray:
    """Luhn check digits (prefix 80840) for an array of 9-digit identifiers."""
    base = np.asarray(base, dtype=np.int64)
    total = np.full(base.shape, _PREFIX_SUM, dtype=np.int64)
    rest = base.copy()
    for position in range(9):  # rightmost digit first; it is doubled (check digit follows)
        digit = rest % 10
        rest //= 10
        if position % 2 == 0:
            digit = digit * 2
            digit = digit // 10 + digit % 10
        total += digit
    return (10 - total % 10) % 10


def make_npis(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NPIs as strings, first digit 1 or 2."""
    # 9-digit identifiers 100000000-299999999, drawn without replacement.
    base = 100_000_000 + rng.choice(200_000_000, size=n, replace=False).astype(np.int64)
    full = base * 10 + check_digits(base)
    return full.astype(str).astype(object)


def is_valid(npi: str) -> bool:
    """True when ``npi`` is 10 digits, starts with 1 or 2 and its check digit is right."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    return int(check_digits(np.array([int(npi[:9])]))[0]) == int(npi[9])
