"""What an analysis is asked: the cohort filters, the period, the measure and the output size.

These are plain values, parsed and checked once here so that every adapter (CLI, API, web)
accepts the same inputs and reports the same errors. Messages name a parameter in backticks
(`` `payer_type` ``); each adapter writes it its own way (``--payer-type`` on the command line,
``payer_type`` in the API), so one message serves both.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from claimscope.schema import PAYER_TYPES
from claimscope.terminology.codesets import CodeSpec, parse_code_spec
from claimscope.terminology.payers import normalise_payer_type
from claimscope.terminology.pos import normalise_pos, place_of_service_codes
from claimscope.terminology.specialty import specialties, specialty_from_provider_type
from claimscope.terminology.states import states

MEASURES: Final = ("services", "lines", "claims", "patients", "allowed", "paid")
LINE_STATUS_CHOICES: Final = ("all", "paid", "denied")
DEFAULT_MIN_CELL_SIZE: Final = 11

_MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


class QueryError(ValueError):
    """An analysis request that cannot be answered as asked; the message says why.

    ``parameter`` names the request parameter at fault (API spelling: ``payer_type``,
    ``from``); ``vocabulary`` the kind of :mod:`claimscope.analysis.vocab` listing its
    allowed values, so an adapter can say where to look them up.
    """

    def __init__(
        self, message: str, *, parameter: str | None = None, vocabulary: str | None = None
    ) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.vocabulary = vocabulary


def suggestions(value: str, known: Sequence[str], extra: str | None = None) -> list[str]:
    """The known value closest to ``value`` (``physio`` -> ``physical_therapy``), if any.

    Close means a similar spelling (difflib ratio >= 0.6) or the same first four letters, the
    way people abbreviate; ties go to the more similar spelling. ``extra`` is a value an alias
    table maps ``value`` onto; it comes first.
    """
    typed = value.strip().lower()

    def closeness(candidate: str) -> tuple[bool, float]:
        known_text = candidate.lower()
        same_start = len(typed) >= 4 and known_text[:4] == typed[:4]
        return same_start, difflib.SequenceMatcher(None, typed, known_text).ratio()

    found = [extra] if extra else []
    if known:
        best = max(known, key=closeness)
        same_start, ratio = closeness(best)
        if (same_start or ratio >= 0.6) and best not in found:
            found.append(best)
    return found


def unknown_value(
    parameter: str, value: str, what: str, vocabulary: str, close: list[str]
) -> QueryError:
    """The error for a filter value outside its vocabulary, with suggestions."""
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return QueryError(
        f"{value!r} is not a known {what}.{hint}",
        parameter=parameter,
        vocabulary=vocabulary,
    )


def parse_month(text: str, *, end: bool = False) -> date:
    """``"2023"`` or ``"2023-09"`` as the first day of a month.

    A bare year means January, or December when ``end`` is true, so that
    ``--from 2023 --to 2023`` covers the whole year.

    >>> parse_month("2023-9"), parse_month("2023", end=True)
    (datetime.date(2023, 9, 1), datetime.date(2023, 12, 1))
    """
    match = _MONTH.match(text.strip())
    if not match:
        raise QueryError(f"period {text!r} is not a year (2023) or a month (2023-09)")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise QueryError(f"period {text!r} is not a valid month")
    return date(year, month, 1)


def month_label(month: date) -> str:
    """``date(2023, 9, 1)`` -> ``"2023-09"``."""
    return f"{month.year:04d}-{month.month:02d}"


@dataclass(frozen=True)
class Filters:
    """Which claim lines count: codes, period and cohort dimensions (empty tuple = any)."""

    codes: CodeSpec
    month_from: date | None = None
    month_to: date | None = None
    specialties: tuple[str, ...] = ()
    payer_types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    places_of_service: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    line_status: str = "all"

    def __post_init__(self) -> None:
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise QueryError(
                f"`from` {month_label(self.month_from)} is after `to` {month_label(self.month_to)}",
                parameter="from",
            )
        if self.line_status not in LINE_STATUS_CHOICES:
            raise QueryError(
                f"`status` {self.line_status!r} is not one of {', '.join(LINE_STATUS_CHOICES)}",
                parameter="status",
            )

    def describe(self) -> dict[str, Any]:
        """The filters as JSON-ready values, echoed in every result's ``query`` block."""
        return {
            "codes": self.codes.label,
            "from": month_label(self.month_from) if self.month_from else None,
            "to": month_label(self.month_to) if self.month_to else None,
            "specialty": list(self.specialties),
            "payer_type": list(self.payer_types),
            "state": list(self.states),
            "place_of_service": list(self.places_of_service),
            "source": list(self.sources),
            "line_status": self.line_status,
        }


@dataclass(frozen=True)
class PrivacyPolicy:
    """Small-cell suppression settings (CMS cell-size rule: no count from 1 to 10 shown)."""

    min_cell_size: int = DEFAULT_MIN_CELL_SIZE
    allow_small_cells: bool = False
    # Consistent cell-key perturbation of published counts (claimscope.privacy.perturb).
    perturb: bool = False

    def __post_init__(self) -> None:
        if self.min_cell_size < 1:
            raise QueryError("`min_cell_size` must be at least 1", parameter="min_cell_size")
        if self.min_cell_size < DEFAULT_MIN_CELL_SIZE and not self.allow_small_cells:
            raise QueryError(
                f"`min_cell_size` {self.min_cell_size} is below the CMS cell-size threshold of "
                f"{DEFAULT_MIN_CELL_SIZE}; set `allow_small_cells` for internal quality work "
                "on a store you control",
                parameter="min_cell_size",
            )


@dataclass(frozen=True)
class TopQuery:
    """A ranked code-share request (``claimscope top``)."""

    filters: Filters
    measure: str = "services"
    limit: int | None = 15
    privacy: PrivacyPolicy = field(default_factory=PrivacyPolicy)

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise QueryError(
                f"`measure` {self.measure!r} is not one of {', '.join(MEASURES)}",
                parameter="measure",
            )
        if self.limit is not None and self.limit < 1:
            raise QueryError("`limit` must be at least 1", parameter="limit")

    def describe(self) -> dict[str, Any]:
        """The request as JSON-ready values."""
        return {**self.filters.describe(), "measure": self.measure, "limit": self.limit}


def split_values(values: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Repeated and comma-separated option values, flattened and stripped."""
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def build_filters(
    codes: str,
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    specialty: list[str] | None = None,
    payer_type: list[str] | None = None,
    state: list[str] | None = None,
    place_of_service: list[str] | None = None,
    source: list[str] | None = None,
    line_status: str = "all",
) -> Filters:
    """Parse adapter inputs (strings, possibly comma-separated) into :class:`Filters`."""
    try:
        spec = parse_code_spec(codes)
    except ValueError as exc:
        raise QueryError(str(exc), parameter="codes", vocabulary="code-sets") from None
    return Filters(
        codes=spec,
        month_from=_month(period_from, "from") if period_from else None,
        month_to=_month(period_to, "to", end=True) if period_to else None,
        specialties=tuple(check_specialty(v) for v in split_values(specialty)),
        payer_types=tuple(check_payer_type(v) for v in split_values(payer_type)),
        states=tuple(check_state(v) for v in split_values(state)),
        places_of_service=tuple(check_place_of_service(v) for v in split_values(place_of_service)),
        sources=split_values(source),
        line_status=line_status,
    )


def _month(text: str, parameter: str, *, end: bool = False) -> date:
    try:
        return parse_month(text, end=end)
    except QueryError as exc:
        raise QueryError(f"`{parameter}`: {exc}", parameter=parameter) from None


def check_specialty(value: str) -> str:
    """``value`` if it is a specialty slug; else an error suggesting the closest slugs."""
    known = specialties()
    if value in known:
        return value
    close = suggestions(value, list(known), specialty_from_provider_type(value))
    raise unknown_value("specialty", value, "specialty", "specialties", close)


def check_payer_type(value: str) -> str:
    """``value`` if it is one of the payer types; aliases (``"Medicare Part B"``) are suggested."""
    if value in PAYER_TYPES:
        return value
    close = suggestions(value, PAYER_TYPES, normalise_payer_type(value))
    raise unknown_value("payer_type", value, "payer type", "payers", close)


def check_state(value: str) -> str:
    """A USPS two-letter code (any case) in upper case; else an error."""
    code = value.strip().upper()
    if code in states():
        return code
    by_name = {name.lower(): c for c, name in states().items()}
    # Two letters are too short for spelling suggestions: only a state's name is looked up.
    close = suggestions(value, [], by_name.get(value.strip().lower()))
    raise unknown_value("state", value, "two-letter state code", "states", close)


def check_place_of_service(value: str) -> str:
    """A CMS place-of-service code, zero-padded (``1`` -> ``01``); else an error."""
    code = normalise_pos(value)
    if code in place_of_service_codes():
        return code
    raise unknown_value("pos", value, "CMS place-of-service code", "places", [])


VALUE_CHECKS: Final[dict[str, Callable[[str], str]]] = {
    "specialty": check_specialty,
    "payer_type": check_payer_type,
    "state": check_state,
    "place_of_service": check_place_of_service,
}
