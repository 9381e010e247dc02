"""CMS place-of-service codes: names and the Physician Fee Schedule setting they imply.

Professional claims carry a two-digit place of service (POS). Medicare pays a service in a
*facility* POS (hospital, SNF, ASC, ...) at the lower facility rate because the facility bills
its own costs separately; everywhere else (office, home, CORF, ...) is *non-facility*. The
facility list is in ``data/place_of_service.csv`` (see ``data/SOURCES.md``).
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from claimscope.terminology._data import read_csv_rows
from claimscope.terminology._vector import map_strings

POS_FILE = "place_of_service.csv"


def normalise_pos(code: str) -> str:
    """Two-digit POS code: whitespace removed, a single digit zero-padded (``1`` -> ``01``)."""
    c = code.strip()
    return c.zfill(2) if len(c) == 1 else c


@cache
def _pos() -> dict[str, tuple[str, str]]:
    return {r["code"]: (r["name"], r["setting"]) for r in read_csv_rows(POS_FILE)}


def place_of_service_codes() -> dict[str, str]:
    """Every known POS code with its CMS name."""
    return {code: name for code, (name, _) in _pos().items()}


def pos_name(code: str | None) -> str | None:
    """CMS name of a POS code (``11`` -> ``Office``); None if unknown."""
    if not code:
        return None
    hit = _pos().get(normalise_pos(code))
    return hit[0] if hit else None


def setting_for_pos(code: str | None) -> str | None:
    """``facility`` or ``non_facility`` for a POS code under the PFS rule; None if unknown."""
    if not code:
        return None
    hit = _pos().get(normalise_pos(code))
    return hit[1] if hit else None


def map_settings(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`setting_for_pos` over an Arrow string array."""
    return map_strings(codes, setting_for_pos)


def map_pos_names(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`pos_name` over an Arrow string array."""
    return map_strings(codes, pos_name)
