"""What an analysis is asked: the cohort filters, the period, the measure and the output size.

These are plain values, parsed and checked once here so that every adapter (CLI, API, web)
accepts the same inputs and reports the same errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from claimscope.terminology.codesets import CodeSpec, parse_code_spec

MEASURES: Final = ("services", "lines", "claims", "patients", "allowed", "paid")
LINE_STATUS_CHOICES: Final = ("all", "paid", "denied")
DEFAULT_MIN_CELL_SIZE: Final = 11

_MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


class QueryError(ValueError):
    """An analysis request that cannot be answered as asked; the message says why."""


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
                f"--from {month_label(self.month_from)} is after --to {month_label(self.month_to)}"
            )
        if self.line_status not in LINE_STATUS_CHOICES:
            raise QueryError(
                f"line status {self.line_status!r} is not one of {', '.join(LINE_STATUS_CHOICES)}"
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
            raise QueryError("--min-cell-size must be at least 1")
        if self.min_cell_size < DEFAULT_MIN_CELL_SIZE and not self.allow_small_cells:
            raise QueryError(
                f"--min-cell-size {self.min_cell_size} is below the CMS cell-size threshold of "
                f"{DEFAULT_MIN_CELL_SIZE}; add --allow-small-cells for internal quality work "
                "on a store you control"
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
            raise QueryError(f"measure {self.measure!r} is not one of {', '.join(MEASURES)}")
        if self.limit is not None and self.limit < 1:
            raise QueryError("--limit must be at least 1")

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
        raise QueryError(str(exc)) from None
    return Filters(
        codes=spec,
        month_from=parse_month(period_from) if period_from else None,
        month_to=parse_month(period_to, end=True) if period_to else None,
        specialties=split_values(specialty),
        payer_types=split_values(payer_type),
        states=tuple(s.upper() for s in split_values(state)),
        places_of_service=tuple(p.zfill(2) for p in split_values(place_of_service)),
        sources=split_values(source),
        line_status=line_status,
    )
