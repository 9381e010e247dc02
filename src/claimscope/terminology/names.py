"""Short human names for procedure codes and HCPCS modifiers.

* CPT (HCPCS Level I) codes: claimscope's own plain-language names (``data/cpt_names.csv``).
  CPT descriptors are AMA copyright and are never shipped; nor is CMS's short text for CPT
  codes. Names cover every code of the 97xxx fee-schedule family, the retired evaluation
  codes 97001-97006 and every CPT code in the shared reference data.
* HCPCS Level II codes (a letter and four digits): CMS short descriptions, public domain
  (``data/hcpcs_level2_names.csv``).
* HCPCS Level II modifiers (``GP``, ``GO``, ``KX``, ...): CMS short and long descriptions.

Files are read once per process; lookups are dictionary reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pyarrow as pa

from claimscope.terminology._data import read_csv_rows
from claimscope.terminology._vector import map_strings

CPT_FILE = "cpt_names.csv"
LEVEL2_FILE = "hcpcs_level2_names.csv"
MODIFIER_FILE = "hcpcs_modifiers.csv"


@cache
def _names(name: str) -> dict[str, str]:
    return {r["code"]: r["name"] for r in read_csv_rows(name)}


@cache
def _modifier_descriptions() -> dict[str, str]:
    return {r["code"]: r["description"] for r in read_csv_rows(MODIFIER_FILE)}


def cpt_names() -> dict[str, str]:
    """Every CPT code claimscope names, with its plain-language name."""
    return dict(_names(CPT_FILE))


def code_name(code: str | None) -> str | None:
    """Name of a CPT or HCPCS Level II code (any case, spaces ignored); None if unknown.

    ``code_name("97110")`` -> ``"Therapeutic exercise, each 15 min"``.
    """
    if not code:
        return None
    c = code.strip().upper()
    return _names(CPT_FILE).get(c) or _names(LEVEL2_FILE).get(c)


def all_code_names() -> dict[str, str]:
    """Every code claimscope names (CPT, then HCPCS Level II), with its name."""
    return {**_names(LEVEL2_FILE), **_names(CPT_FILE)}


def code_names(codes: Iterable[str]) -> dict[str, str]:
    """Names for many codes at once, keyed by the normalised (upper-case) code.

    Codes without a name are left out, so ``len(result)`` tells how many were found.
    """
    cpt, level2 = _names(CPT_FILE), _names(LEVEL2_FILE)
    out: dict[str, str] = {}
    for code in codes:
        c = code.strip().upper()
        name = cpt.get(c) or level2.get(c)
        if name is not None:
            out[c] = name
    return out


def modifier_name(modifier: str | None) -> str | None:
    """CMS name of a HCPCS Level II modifier (``GP`` -> physical therapy plan of care)."""
    if not modifier:
        return None
    return _names(MODIFIER_FILE).get(modifier.strip().upper())


def modifier_description(modifier: str | None) -> str | None:
    """CMS long description of a HCPCS Level II modifier; None if unknown."""
    if not modifier:
        return None
    return _modifier_descriptions().get(modifier.strip().upper())


def map_code_names(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`code_name` over an Arrow string array."""
    return map_strings(codes, code_name)
