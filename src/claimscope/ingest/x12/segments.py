"""Element-level parsing for the 837 segments the reader uses.

Values stay strings (the ingest pipeline types them); what is checked here is what only the
X12 layer can name precisely: the composite structure (``HC:97110:GP``), the date formats
``D8`` (CCYYMMDD) and ``RD8`` (CCYYMMDD-CCYYMMDD), and the X12 decimal format of amounts.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Final

# X12 "R" (decimal) data element: optional sign, digits with an optional decimal point.
_DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
# Valid segment identifiers: two or three upper-case letters or digits, starting with a letter.
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")

# SV1-01 / SV2-02 product/service id qualifiers that carry a HCPCS (Level I CPT or Level II)
# code. HC = "Health Care Financing Administration Common Procedural Coding System".
HCPCS_QUALIFIERS: Final = frozenset({"HC"})

# Implementation guides (GS08 / ST03) -> claim type. 005010X222A2 / X223A3 are the mandated
# 5010 guides; the A1/A2 errata and the retired 4010 guides (X098 professional, X096
# institutional) use the same segments for the fields read here.
_GUIDE_CLAIM_TYPES: Final = (
    ("X222", "professional"),
    ("X098", "professional"),
    ("X223", "institutional"),
    ("X096", "institutional"),
)


NO_MODIFIERS: Final[tuple[str | None, ...]] = (None, None, None, None)


class ElementError(ValueError):
    """A segment element the reader cannot use; ``field`` is its X12 reference (``SV1-04``)."""

    def __init__(self, field: str, reason: str, value: str = "") -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.value = value[:60]


def claim_type_for_guide(guide: str) -> str | None:
    """``professional`` / ``institutional`` for an 837 implementation guide id, else None."""
    for marker, claim_type in _GUIDE_CLAIM_TYPES:
        if marker in guide:
            return claim_type
    return None


def is_decimal(value: str) -> bool:
    """True for an X12 decimal (``12``, ``-3.50``, ``.5``); no exponents, no NaN."""
    return _DECIMAL.fullmatch(value) is not None


def element(elements: list[str], index: int) -> str:
    """Element ``index`` (1-based, as in ``SV1-04``) or "" when the segment is shorter."""
    return elements[index] if index < len(elements) else ""


def pad(elements: list[str], last: int) -> list[str]:
    """``elements`` extended in place with "" so that index ``last`` exists."""
    missing = last + 1 - len(elements)
    if missing > 0:
        elements.extend([""] * missing)
    return elements


def split_composite(value: str, component: str) -> list[str]:
    """Components of a composite element.

    Some senders use another component separator than the one declared in ISA16 (several
    public 5010 examples write ``HC>99213`` under ``ISA16 = ':'``). When the declared separator
    is absent and the third character is punctuation right after a two-character qualifier,
    that character is taken as the separator, so such files load instead of being rejected.
    """
    parts = value.split(component)
    if len(parts) == 1 and len(value) > 3:
        candidate = value[2]
        if not candidate.isalnum() and candidate not in " .-":
            return value.split(candidate)
    return parts


def procedure(composite: str, component: str, field: str) -> tuple[str, tuple[str | None, ...]]:
    """HCPCS code and four modifiers (None when absent) from an ``HC:code:mod1:...`` composite.

    Values are passed on as written; the ingest pipeline trims and upper-cases codes.
    """
    parts = split_composite(composite, component)
    if parts[0] not in HCPCS_QUALIFIERS:
        if not composite:
            raise ElementError(field, "no procedure code on the service line")
        raise ElementError(
            field, f"procedure qualifier {parts[0]!r} is not HCPCS/CPT (HC)", composite
        )
    if len(parts) < 2 or not parts[1]:
        raise ElementError(field, "procedure composite has no code", composite)
    return parts[1], modifiers(parts)


def modifiers(parts: list[str]) -> tuple[str | None, ...]:
    """Components 3-6 of a procedure composite (``HC:code:m1:m2:m3:m4``), None when empty."""
    count = len(parts)
    if count < 3:
        return NO_MODIFIERS
    return (
        parts[2] or None,
        parts[3] or None if count > 3 else None,
        parts[4] or None if count > 4 else None,
        parts[5] or None if count > 5 else None,
    )


@lru_cache(maxsize=8192)
def iso_date(value: str) -> str | None:
    """``CCYYMMDD`` -> ``CCYY-MM-DD`` when it is a real calendar date, else None."""
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
    except ValueError:
        return None


def service_period(qualifier: str, value: str, field: str) -> tuple[str, str]:
    """(from, to) ISO dates of a DTP date element in ``D8`` or ``RD8`` format."""
    if qualifier == "D8":
        day = iso_date(value)
        if day is None:
            raise ElementError(field, "invalid D8 date (expected CCYYMMDD)", value)
        return day, day
    if qualifier == "RD8":
        start, _, end = value.partition("-")
        first, last = iso_date(start), iso_date(end)
        if first is None or last is None:
            raise ElementError(field, "invalid RD8 range (expected CCYYMMDD-CCYYMMDD)", value)
        if last < first:
            raise ElementError(field, "RD8 range ends before it starts", value)
        return first, last
    raise ElementError(field, f"unsupported date format qualifier {qualifier!r}", qualifier)


def decimal(value: str, field: str, what: str) -> str:
    """``value`` unchanged when it is an X12 decimal; :class:`ElementError` otherwise."""
    if value.isdigit() or value.replace(".", "", 1).isdigit():
        return value  # fast path: unsigned decimals, the usual case
    if not is_decimal(value):
        raise ElementError(field, f"{what} is not a number" if value else f"no {what}", value)
    return value
