"""Two-letter state codes (USPS): the values a claim line's ``state`` and ``--state`` take."""

from __future__ import annotations

from functools import cache

from claimscope.terminology._data import read_csv_rows

STATES_FILE = "us_states.csv"


@cache
def states() -> dict[str, str]:
    """Every USPS state, DC, territory and Armed Forces code with its name, in file order."""
    return {r["code"]: r["name"] for r in read_csv_rows(STATES_FILE)}


@cache
def state_fips() -> dict[str, str]:
    """USPS code -> Census FIPS code (the id of a state in the shipped map), for the states,
    DC and territories that have one."""
    return {r["code"]: r["fips"] for r in read_csv_rows(STATES_FILE) if r["fips"]}
