"""Payer types: X12 claim filing indicators and free-text payer names onto the five canonical
types of :data:`claimscope.schema.PAYER_TYPES`.

Both lookups return ``None`` for values they do not recognise, so callers can quarantine the
row or apply a default they state, rather than silently filing it under ``other``.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from claimscope.schema import PAYER_TYPES
from claimscope.terminology._data import TerminologyDataError, normalise_text, read_toml
from claimscope.terminology._vector import map_strings

PAYERS_FILE = "payer_types.toml"


@cache
def _data() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    raw = read_toml(PAYERS_FILE)
    indicators = {c: (e["payer_type"], e["name"]) for c, e in raw["filing_indicator"].items()}
    aliases: dict[str, str] = {normalise_text(t): t for t in PAYER_TYPES}
    for payer_type, texts in raw["aliases"].items():
        for text in texts:
            key = normalise_text(text)
            if aliases.get(key, payer_type) != payer_type:
                raise TerminologyDataError(f"{PAYERS_FILE}: alias {text!r} is given twice")
            aliases[key] = payer_type
    bad = {t for t, _ in indicators.values()} | set(aliases.values())
    if not bad <= set(PAYER_TYPES):
        raise TerminologyDataError(f"{PAYERS_FILE}: unknown payer types {bad - set(PAYER_TYPES)}")
    return indicators, aliases


def filing_indicators() -> dict[str, str]:
    """Every X12 claim filing indicator code (SBR09) with its name."""
    return {code: name for code, (_, name) in _data()[0].items()}


def payer_type_from_filing_indicator(code: str | None) -> str | None:
    """Payer type for an X12 SBR09 code (``MB`` -> ``medicare``, ``16`` -> ``medicare_advantage``).

    None when the code is not in the X12 list.
    """
    if not code:
        return None
    hit = _data()[0].get(code.strip().upper())
    return hit[0] if hit else None


def normalise_payer_type(text: str | None) -> str | None:
    """Payer type for free text (``"Medicare Advantage"``, ``"self-pay"``); None if unrecognised."""
    if not text:
        return None
    return _data()[1].get(normalise_text(text))


def map_filing_indicators(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`payer_type_from_filing_indicator` over an Arrow string array."""
    return map_strings(codes, payer_type_from_filing_indicator)


def map_payer_types(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`normalise_payer_type` over an Arrow string array."""
    return map_strings(texts, normalise_payer_type)
