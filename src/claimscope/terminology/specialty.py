"""Provider specialty vocabulary and the crosswalks onto it.

A claim line's ``specialty`` is one slug from :func:`specialties` (``physical_therapy``,
``occupational_therapy``, ...). Sources give it in three ways, each with its own lookup:

* a NUCC Health Care Provider Taxonomy code (``225100000X``) -> :func:`specialty_from_taxonomy`;
* a CMS Medicare provider/supplier specialty code (``65``) -> :func:`specialty_from_medicare_code`;
* CMS provider-type text as in the public use files (``"Physical Therapist"``) ->
  :func:`specialty_from_provider_type` (case, spacing and punctuation are ignored).

Unknown inputs give ``None`` (never ``"other"``) so the ingest can try the next source; ``other``
is reserved for known provider types outside the named categories. The vectorised ``map_*``
functions apply the same lookups to Arrow string arrays, once per distinct value.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from claimscope.terminology._data import normalise_text, read_csv_rows, read_toml
from claimscope.terminology._vector import map_strings

SPECIALTIES_FILE = "specialties.toml"
TAXONOMY_FILE = "taxonomy_specialty.csv"
MEDICARE_FILE = "medicare_specialty.csv"
PROVIDER_TYPE_FILE = "provider_type_specialty.csv"


def normalise_medicare_code(code: str) -> str:
    """Two-character Medicare specialty code: upper case, single digits zero-padded (5 -> 05)."""
    c = code.strip().upper()
    return c.zfill(2) if len(c) == 1 and c.isdigit() else c


@cache
def specialties() -> dict[str, str]:
    """Every specialty slug with its label, in vocabulary order."""
    return dict(read_toml(SPECIALTIES_FILE)["slugs"])


def specialty_label(slug: str) -> str | None:
    """Human label of a slug (``physical_therapy`` -> ``Physical therapy``); None if unknown."""
    return specialties().get(slug)


@cache
def _taxonomy_map() -> dict[str, str]:
    return {r["code"]: r["slug"] for r in read_csv_rows(TAXONOMY_FILE)}


@cache
def _medicare_map() -> dict[str, str | None]:
    # An empty slug marks a code that deliberately maps to nothing (88 Unknown Supplier).
    return {r["code"]: r["slug"] or None for r in read_csv_rows(MEDICARE_FILE)}


@cache
def medicare_specialty_descriptions() -> dict[str, str]:
    """CMS description of every known Medicare specialty code (``65`` -> ``Physical ...``)."""
    return {r["code"]: r["description"] for r in read_csv_rows(MEDICARE_FILE)}


@cache
def _provider_type_map() -> dict[str, str]:
    return {r["key"]: r["slug"] for r in read_csv_rows(PROVIDER_TYPE_FILE)}


def specialty_from_taxonomy(code: str | None) -> str | None:
    """Slug for a NUCC taxonomy code (``225100000X`` -> ``physical_therapy``); None if unknown."""
    if not code:
        return None
    return _taxonomy_map().get(code.strip().upper())


def specialty_from_medicare_code(code: str | None) -> str | None:
    """Slug for a CMS Medicare specialty code (``65`` -> ``physical_therapy``); None if unknown."""
    if not code:
        return None
    return _medicare_map().get(normalise_medicare_code(code))


def specialty_from_provider_type(text: str | None) -> str | None:
    """Slug for CMS provider-type text (``"Physical Therapist"`` -> ``physical_therapy``).

    Case, spacing, punctuation and ``&``/``and`` are ignored; also accepts a slug itself and
    NUCC classification or display names where they are unambiguous. None if unknown.
    """
    if not text:
        return None
    key = normalise_text(text)
    slug = _provider_type_map().get(key)
    if slug is None and key.replace(" ", "_") in specialties():
        slug = key.replace(" ", "_")
    return slug


def map_taxonomies(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`specialty_from_taxonomy` over an Arrow string array."""
    return map_strings(codes, specialty_from_taxonomy)


def map_medicare_codes(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`specialty_from_medicare_code` over an Arrow string array."""
    return map_strings(codes, specialty_from_medicare_code)


def map_provider_types(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised :func:`specialty_from_provider_type` over an Arrow string array."""
    return map_strings(texts, specialty_from_provider_type)
