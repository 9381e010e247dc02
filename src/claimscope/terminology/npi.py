"""The National Provider Identifier check digit: the one implementation ingest and synth share.

An NPI is 10 digits: a 9-digit identifier and a Luhn check digit computed over the identifier
prefixed with the card issuer number 80840 (CMS, "NPI check digit" in the NPI final rule's
standard: https://www.cms.gov/Regulations-and-Guidance/Administrative-Simplification/NationalProvIdentStand/Downloads/NPIcheckdigit.pdf).
"""

from __future__ import annotations

import numpy as np

# Luhn sum of the doubled/undoubled digits of the prefix 80840 (CMS: "add 24").
_PREFIX_SUM = 24


def check_digits(base: np.ndarray) -> np.ndarray:
    """Luhn check digits (prefix 80840) for an array of 9-digit identifiers.

    >>> int(check_digits(np.array([123456789]))[0])  # CMS's worked example 1234567893
    3
    """
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


def is_valid(npi: str) -> bool:
    """True when ``npi`` is 10 ASCII digits whose last is the check digit of the first nine."""
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    return int(check_digits(np.array([int(npi[:9])]))[0]) == int(npi[9])
