"""The 837 loop structure: billing provider, subscriber, patient, claim and service line.

One staged row is one service line (2400 loop, ``LX``). Claim and hierarchy values are
carried down to each line:

* 2000A/2010AA billing provider: ``NM1*85`` NPI (qualifier ``XX``), ``PRV*BI`` taxonomy, ``N4``;
* 2000B/2010BA/BB subscriber: ``SBR09`` claim filing indicator (payer type), member id, payer id;
* 2000C/2010CA patient (when not the subscriber): name and birth date with the member id;
* 2300 claim: ``CLM01`` id, ``CLM05`` place of service / frequency, claim-level dates;
* 2310 claim providers: rendering ``NM1*82`` + ``PRV*PE`` (837I: attending ``NM1*71``),
  service facility ``NM1*77`` + ``N4``;
* 2320/2330 other-payer loops (after ``SBR`` inside a claim) are skipped: they describe
  coordination of benefits, not this claim's payer or providers;
* 2400 line: ``SV1``/``SV2``, line ``DTP*472`` dates, line-level rendering provider and facility.

Lines the reader cannot use are quarantined with the segment number and X12 element name; a
claim with no service line counts as one quarantined row.
"""

from __future__ import annotations

from collections.abc import Callable

from claimscope.ingest.base import QuarantineRecord
from claimscope.ingest.x12.envelope import Envelope
from claimscope.ingest.x12.lines import ROW_COLUMNS, Claim, Line, ServiceLines
from claimscope.ingest.x12.segments import (
    SEGMENT_ID,
    ElementError,
    element,
    pad,
    split_composite,
)
from claimscope.ingest.x12.tokenizer import Delimiters

# Segments of the 837P/837I guides (and 4010 predecessors) that carry nothing the reader uses.
_IGNORED = """BHT PER REF N3 PAT CN1 AMT K3 NTE CR1 CR2 CR3 CR4 CR5 CR6 CR7 CRC HI HCP CL1 PWK
QTY MEA PS1 LIN CTP SVD CAS LQ FRM OI MIA MOA HSD SV5 N2 CUR TOO SV3 SV4 SV6 SV7 DSB UR TA1"""
IGNORED_SEGMENTS = frozenset(_IGNORED.split())

PayerLookup = Callable[[str], "str | None"]
Handler = Callable[[list[str], int], None]


class ClaimParser(ServiceLines):
    """Turns a stream of 837 segments into staged line tuples and quarantine records."""

    def __init__(self, file: str, delimiters: Delimiters, payer_type_for: PayerLookup) -> None:
        self.file = file
        self.envelope = Envelope(file, delimiters.component)
        self.element_separator = delimiters.element
        self.component = delimiters.component
        self.payer_type_for = payer_type_for
        self.rows: list[tuple[object, ...]] = []
        self.quarantined: list[QuarantineRecord] = []
        self.segments = 0
        self.claim: Claim | None = None
        self.line: Line | None = None
        self.in_cob = False
        self.entity = ""
        self._reset_billing()
        self._reset_subscriber()
        envelope = self.envelope
        self.handlers: dict[str, Handler] = {
            "ISA": envelope.isa,
            "GS": envelope.gs,
            "ST": self._st,
            "SE": self._se,
            "GE": envelope.ge,
            "IEA": envelope.iea,
            "LX": self._lx,
            "SV1": self._sv1,
            "SV2": self._sv2,
            "DTP": self._dtp,
            "NM1": self._nm1,
            "N4": self._n4,
            "PRV": self._prv,
            "DMG": self._dmg,
            "SBR": self._sbr,
            "CLM": self._clm,
            "HL": self._hl,
        }

    # -- driving ---------------------------------------------------------------------------
    def feed(self, segments: list[str]) -> None:
        """Process complete segments in file order.

        The loop does no per-segment envelope bookkeeping: envelope segments check that they
        directly follow the previous envelope segment (see :class:`Envelope`), which is how a
        claim segment outside ST/SE is caught.
        """
        separator = self.element_separator
        handlers = self.handlers
        number = self.segments
        try:
            for segment in segments:
                number += 1
                elements = segment.split(separator)
                handler = handlers.get(elements[0])
                if handler is not None:
                    handler(elements, number)
                elif elements[0] not in IGNORED_SEGMENTS:
                    number = self._unrecognised(segment, number)
        finally:
            self.segments = number

    def finish(self) -> None:
        """Check that every envelope was closed (else the file is truncated)."""
        self.envelope.finish(self.segments)

    def _unrecognised(self, segment: str, number: int) -> int:
        """Handle a piece without a handler; returns the (possibly corrected) segment number."""
        stripped = segment.strip()
        if not stripped:
            return number - 1  # blank piece between terminators: not a segment
        elements = stripped.split(self.element_separator)
        tag = elements[0]
        if SEGMENT_ID.fullmatch(tag) is None:
            raise self.envelope.error(
                number, f"invalid segment {_preview(stripped)!r}: garbage or wrong delimiters"
            )
        handler = self.handlers.get(tag)
        if handler is not None:
            handler(elements, number)
        elif self.envelope.transaction is None:
            raise self.envelope.error(number, f"{tag} segment outside a transaction set (ST/SE)")
        return number

    # -- envelopes and hierarchy -----------------------------------------------------------
    def _st(self, elements: list[str], number: int) -> None:
        self.envelope.st(elements, number)
        self._reset_billing()
        self._reset_subscriber()

    def _se(self, elements: list[str], number: int) -> None:
        self._close_claim()
        self.envelope.se(elements, number)

    def _reset_billing(self) -> None:
        self.billing_npi: str | None = None
        self.billing_taxonomy: str | None = None
        self.billing_state: str | None = None

    def _reset_subscriber(self) -> None:
        self.filing_indicator = ""
        self.member_id = ""
        self.payer_id = ""
        self._reset_patient()

    def _reset_patient(self) -> None:
        self.patient_name: tuple[str, str] | None = None
        self.patient_birth = ""

    def _hl(self, elements: list[str], number: int) -> None:
        if self.claim is not None:
            self._close_claim()
        level = elements[3] if len(elements) > 3 else ""
        if level == "20":
            self._reset_billing()
        elif level == "22":
            self._reset_subscriber()
        elif level == "23":
            self._reset_patient()
        self.entity = ""

    def _sbr(self, elements: list[str], number: int) -> None:
        if self.claim is None:
            self.filing_indicator = elements[9] if len(elements) > 9 else ""
        else:
            self.in_cob = True  # 2320: other subscriber / payer for this claim
        self.entity = ""

    # -- names, addresses, provider details ------------------------------------------------
    def _nm1(self, elements: list[str], number: int) -> None:
        self.entity = ""
        if self.in_cob:
            return
        if len(elements) < 10:
            pad(elements, 9)
        code = elements[1]
        npi = elements[9] if elements[8] == "XX" else None
        line, claim = self.line, self.claim
        if code == "82":
            if line is not None:
                line.rendering = (npi, None)
                self.entity = "line_rendering"
            elif claim is not None:
                claim.rendering = (npi, None)
                self.entity = "rendering"
        elif code == "77":
            self.entity = "line_facility" if line is not None else "facility"
        elif claim is not None:
            if code == "71" and line is None:
                claim.attending = (npi, None)
                self.entity = "attending"
        elif code == "85":
            self.billing_npi = npi
            self.entity = "billing"
        elif code == "IL":
            self.member_id = elements[9]
        elif code == "PR":
            self.payer_id = elements[9]
        elif code == "QC":
            self.patient_name = (elements[3].upper(), elements[4].upper())
            self.entity = "patient"

    def _n4(self, elements: list[str], number: int) -> None:
        entity = self.entity
        if not entity:
            return
        state = element(elements, 2) or None
        if entity == "billing":
            self.billing_state = state
        elif entity == "facility" and self.claim is not None:
            self.claim.facility_state = state
        elif entity == "line_facility" and self.line is not None:
            self.line.facility_state = state

    def _prv(self, elements: list[str], number: int) -> None:
        taxonomy = element(elements, 3) or None
        role = element(elements, 1)
        if role == "BI" and self.claim is None:
            self.billing_taxonomy = taxonomy
        elif self.entity == "line_rendering" and self.line is not None:
            self.line.rendering = (self.line.rendering[0], taxonomy)
        elif self.entity == "rendering" and self.claim is not None:
            self.claim.rendering = (self.claim.rendering[0], taxonomy)
        elif self.entity == "attending" and self.claim is not None:
            self.claim.attending = (self.claim.attending[0], taxonomy)

    def _dmg(self, elements: list[str], number: int) -> None:
        if self.entity == "patient":
            self.patient_birth = element(elements, 2)

    # -- claim -----------------------------------------------------------------------------
    def _clm(self, elements: list[str], number: int) -> None:
        self._close_claim()
        pad(elements, 5)
        claim = Claim(elements[1], number, split_composite(elements[5], self.component))
        claim.payer_type = self._payer_type()
        claim.patient_id = self._patient_id()
        if not claim.claim_id:
            claim.error = ElementError("CLM-01", "claim has no identifier")
        self.claim = claim
        self.in_cob = False
        self.entity = ""

    def _payer_type(self) -> str | None:
        """Payer type from SBR09; an unknown code is passed on as ``SBR09 <code>``.

        The pipeline loads missing or unrecognised payer types as ``other`` and reports them
        (with examples) in its warnings, so a bad filing indicator never drops a line.
        """
        indicator = self.filing_indicator
        if not indicator:
            return None
        return self.payer_type_for(indicator) or f"SBR09 {indicator}"

    def _patient_id(self) -> str | None:
        """Member id scoped by payer; a dependent patient adds name and birth date."""
        if not self.member_id:
            return None
        subscriber = f"{self.payer_id}|{self.member_id}"
        if self.patient_name is None:
            return subscriber
        last, first = self.patient_name
        return f"{subscriber}|{last}|{first}|{self.patient_birth}"

    def _close_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        self._close_line()
        if claim.lines == 0:
            self._quarantine(
                claim.segment, ElementError("LX", "claim has no service lines", claim.claim_id)
            )
        self.claim = None
        self.in_cob = False


def _preview(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = ["ROW_COLUMNS", "ClaimParser"]
