"""The 2400 service line loop: LX, SV1 (837P) / SV2 (837I), line dates, and the staged row.

:class:`ServiceLines` is the half of :class:`~claimscope.ingest.x12.loops.ClaimParser` that
reads service lines and turns each finished line into a row tuple (``ROW_COLUMNS`` order) or a
quarantine record. Claim-level values come from the open :class:`Claim`; when a line has no
rendering provider, the claim's rendering provider (837I: attending) and then the billing
provider stand in, as the implementation guides intend.
"""

from __future__ import annotations

from claimscope.ingest.base import QuarantineRecord
from claimscope.ingest.x12.envelope import Envelope
from claimscope.ingest.x12.segments import (
    NO_MODIFIERS,
    ElementError,
    decimal,
    iso_date,
    modifiers,
    pad,
    procedure,
    service_period,
)

# Staged columns, in the order of the row tuples the parser appends.
ROW_COLUMNS = (
    # claim-level values, the same for every line of a claim (see Claim.prefix)
    "claim_id",
    "claim_frequency",
    "claim_type",
    "patient_id",
    "billing_npi",
    "payer_type",
    "setting",
    # line-level values
    "line_number",
    "service_from",
    "service_to",
    "rendering_npi",
    "rendering_taxonomy",
    "state",
    "place_of_service",
    "revenue_code",
    "hcpcs_code",
    "modifier_1",
    "modifier_2",
    "modifier_3",
    "modifier_4",
    "units",
    "charge_amount",
    "source_row",
)


class Claim:
    """2300 claim values that every line of the claim inherits (class-level defaults)."""

    dates: tuple[str, str] | None = None
    statement: tuple[str, str] | None = None
    error: ElementError | None = None
    rendering: tuple[str | None, str | None] = (None, None)  # (NPI, taxonomy)
    attending: tuple[str | None, str | None] = (None, None)
    facility_state: str | None = None
    lines: int = 0
    prefix: tuple[str | None, ...] | None = None

    def __init__(self, claim_id: str, segment: int, composite: list[str]) -> None:
        self.claim_id = claim_id
        self.segment = segment
        self.place_of_service = composite[0] or None
        self.frequency = composite[2] or None if len(composite) > 2 else None
        self.patient_id: str | None = None
        self.payer_type: str | None = None


class Line:
    """One 2400 service line being read (class-level defaults keep creation cheap)."""

    code: str | None = None
    modifiers: tuple[str | None, ...] = NO_MODIFIERS
    revenue_code: str | None = None
    charge: str | None = None
    units: str | None = None
    place_of_service: str | None = None
    dates: tuple[str, str] | None = None
    rendering: tuple[str | None, str | None] = (None, None)
    facility_state: str | None = None
    error: ElementError | None = None

    def __init__(self, number: str, segment: int) -> None:
        self.number = number
        self.segment = segment


class ServiceLines:
    """LX/SV1/SV2/DTP handling and row building; state lives on the parser."""

    file: str
    envelope: Envelope
    component: str
    rows: list[tuple[object, ...]]
    quarantined: list[QuarantineRecord]
    claim: Claim | None
    line: Line | None
    in_cob: bool
    entity: str
    billing_npi: str | None
    billing_taxonomy: str | None
    billing_state: str | None

    def _lx(self, elements: list[str], number: int) -> None:
        if self.claim is None:
            raise self.envelope.error(number, "LX (service line) outside a claim (CLM)")
        self._close_line()
        self.line = Line(elements[1] if len(elements) > 1 else "", number)
        self.in_cob = False
        self.entity = ""

    def _service_line(self, tag: str, number: int) -> Line:
        line = self.line
        if line is None:
            raise self.envelope.error(number, f"{tag} outside a service line loop (LX)")
        if line.code is not None or line.revenue_code is not None:
            raise self.envelope.error(number, f"second {tag} in one service line (LX)")
        line.segment = number
        return line

    def _sv1(self, elements: list[str], number: int) -> None:
        line = self.line
        if line is None or line.code is not None:
            line = self._service_line("SV1", number)  # raises the structural error
        line.segment = number
        if len(elements) < 6:
            pad(elements, 5)
        line.place_of_service = elements[5] or None
        charge, units = elements[2], elements[4]
        parts = elements[1].split(self.component)
        count = len(parts)
        if (
            count > 1
            and parts[0] == "HC"
            and parts[1]
            and (charge.isdigit() or charge.replace(".", "", 1).isdigit())
            and (units.isdigit() or units.replace(".", "", 1).isdigit())
        ):
            # Fast path for the common shape "HC:code[:modifiers]" with plain amounts.
            line.code, line.charge, line.units = parts[1], charge, units
            if count > 2:
                line.modifiers = modifiers(parts)
            return
        try:
            line.code, line.modifiers = procedure(elements[1], self.component, "SV1-01")
            line.charge = decimal(charge, "SV1-02", "line charge")
            line.units = decimal(units, "SV1-04", "units")
        except ElementError as error:
            line.error = error
            line.code = line.code or ""

    def _sv2(self, elements: list[str], number: int) -> None:
        line = self._service_line("SV2", number)
        pad(elements, 5)
        line.revenue_code = elements[1] or None
        try:
            if not elements[2]:
                raise ElementError("SV2-02", "revenue-code-only line has no HCPCS code")
            line.code, line.modifiers = procedure(elements[2], self.component, "SV2-02")
            line.charge = decimal(elements[3], "SV2-03", "line charge")
            line.units = decimal(elements[5], "SV2-05", "units")
        except ElementError as error:
            line.error = error
            line.code = line.code or ""

    def _dtp(self, elements: list[str], number: int) -> None:
        claim = self.claim
        if claim is None:
            return
        if len(elements) < 4:
            pad(elements, 3)
        qualifier = elements[1]
        if (qualifier != "472" and qualifier != "434") or self.in_cob:
            return
        line = self.line
        try:
            if elements[2] == "D8" and (day := iso_date(elements[3])) is not None:
                period: tuple[str, str] = (day, day)
            else:
                period = service_period(elements[2], elements[3], "DTP-03")
        except ElementError as error:
            if line is not None:
                line.error = line.error or error
            else:
                claim.error = claim.error or error
            return
        if line is not None:
            if qualifier == "472":
                line.dates = period
        elif qualifier == "472":
            claim.dates = period
        else:
            claim.statement = period

    def _close_line(self) -> None:
        line, claim = self.line, self.claim
        if line is None or claim is None:
            return
        self.line = None
        claim.lines += 1
        dates = line.dates or claim.dates or claim.statement
        error = line.error or claim.error
        if error is None and line.code is None:
            error = ElementError("SV1", "service line (LX) has no SV1/SV2 segment", line.number)
        if error is None and dates is None:
            error = ElementError("DTP*472", "no service date on the line or the claim")
        if error is not None:
            self._quarantine(line.segment, error)
            return
        assert dates is not None
        npi, taxonomy = line.rendering
        if npi is None:
            npi, taxonomy = self._claim_rendering(claim)
        prefix = claim.prefix
        if prefix is None:
            prefix = claim.prefix = self._claim_prefix(claim)
        mods = line.modifiers
        self.rows.append(
            (
                *prefix,
                line.number,
                dates[0],
                dates[1],
                npi,
                taxonomy,
                line.facility_state or claim.facility_state or self.billing_state,
                line.place_of_service or claim.place_of_service if prefix[6] is None else None,
                line.revenue_code,
                line.code,
                mods[0],
                mods[1],
                mods[2],
                mods[3],
                line.units,
                line.charge,
                line.segment,
            )
        )

    def _claim_prefix(self, claim: Claim) -> tuple[str | None, ...]:
        """The claim-level leading values of every row of ``claim`` (ROW_COLUMNS order)."""
        institutional = self.envelope.claim_type == "institutional"
        return (
            claim.claim_id,
            claim.frequency,
            self.envelope.claim_type,
            claim.patient_id,
            self.billing_npi,
            claim.payer_type,
            "facility" if institutional else None,
        )

    def _claim_rendering(self, claim: Claim) -> tuple[str | None, str | None]:
        """Claim rendering provider, else (837I) attending, else the billing provider."""
        if claim.rendering[0]:
            return claim.rendering
        if claim.attending[0]:
            return claim.attending
        return self.billing_npi, self.billing_taxonomy

    def _quarantine(self, number: int, error: ElementError) -> None:
        self.quarantined.append(
            QuarantineRecord(self.file, number, error.field, error.reason, error.value)
        )
