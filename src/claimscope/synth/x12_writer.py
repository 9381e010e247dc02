"""Write synthetic claim lines as ASC X12 837 interchanges, streaming.

Input is any iterable of Arrow tables in the generic staging layout (column names from
:data:`claimscope.schema.STAGING_COLUMNS`, e.g. from :func:`claimscope.synth.generate_claims`).
Consecutive rows with the same ``claim_id`` form one claim (see :func:`iter_claims`).

:func:`write_837p` writes one interchange: professional claims in a 005010X222A2 (837P)
functional group and, so that nothing is dropped, institutional claims (hospital outpatient
therapy with revenue codes) in a 005010X223A3 (837I) group. Transaction sets hold at most
``claims_per_transaction`` claims; segment counts and control numbers are exact, so
:mod:`claimscope.ingest.x12` reads the file back.

Loops per claim: a billing provider HL (2000A) whenever the billing NPI changes, a subscriber
HL (2000B, the patient is the subscriber) whenever patient or payer type changes, CLM, then the
rendering (837P 2310B) or attending (837I 2310A) provider and one LX/SV1|SV2/DTP*472 per line.
Synthetic claims carry no diagnosis: the required 2300 HI segment states R69 (illness,
unspecified). Names and addresses say SYNTHETIC; ISA15 marks the interchange as test data.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

import pyarrow as pa

PROFESSIONAL: Final = "005010X222A2"
INSTITUTIONAL: Final = "005010X223A3"
TERMINATOR: Final = "~\n"
# SBR09 written per payer type. Professional Medicare claims are Part B (MB); institutional
# Medicare claims are filed with MA; Medicare Advantage is "HMO Medicare Risk" (16). Each code's
# payer type is checked against the terminology data, which owns the code list.
FILING_INDICATORS: Final = {
    PROFESSIONAL: ("MB", "16", "MC", "CI", "ZZ"),
    INSTITUTIONAL: ("MA", "16", "MC", "CI", "ZZ"),
}


@dataclass(frozen=True)
class WriteSummary:
    """What a writer produced."""

    path: Path
    claims: int
    lines: int
    bytes: int


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One synthetic claim line, typed, as the writers need it."""

    claim_id: str
    claim_type: str
    frequency: str | None
    patient_id: str
    payer_type: str
    billing_npi: str | None
    rendering_npi: str | None
    rendering_taxonomy: str | None
    state: str | None
    place_of_service: str | None
    revenue_code: str | None
    hcpcs_code: str
    modifiers: tuple[str, ...]
    units: float
    charge: float
    allowed: float | None
    paid: float | None
    service_from: dt.date
    service_to: dt.date


_FIELDS: Final = (
    "claim_id", "claim_type", "claim_frequency", "patient_id", "payer_type", "billing_npi",
    "rendering_npi", "rendering_taxonomy", "state", "place_of_service", "revenue_code",
    "hcpcs_code", "modifier_1", "modifier_2", "modifier_3", "modifier_4", "units",
    "charge_amount", "allowed_amount", "paid_amount", "service_from", "service_to",
)  # fmt: skip


def iter_claims(tables: Iterable[pa.Table]) -> Iterator[list[ClaimLine]]:
    """Claims (lists of lines) from staging-layout tables; consecutive rows share a claim id.

    A claim split across two tables is kept whole. Rows without a claim id become one-line
    claims with a generated id; rows without a HCPCS code or service date are skipped (they
    cannot be written as a service line).
    """
    pending: list[ClaimLine] = []
    serial = 0
    for table in tables:
        columns = [_column(table, name) for name in _FIELDS]
        for values in zip(*columns, strict=True):
            serial += 1
            line = _claim_line(values, serial)
            if line is None:
                continue
            if pending and line.claim_id != pending[0].claim_id:
                yield pending
                pending = []
            pending.append(line)
    if pending:
        yield pending


def _column(table: pa.Table, name: str) -> list[Any]:
    if name in table.column_names:
        return table.column(name).to_pylist()
    return [None] * table.num_rows


def _claim_line(values: tuple[Any, ...], serial: int) -> ClaimLine | None:
    (claim_id, claim_type, frequency, patient, payer, billing, rendering, taxonomy, state, pos,
     revenue, code, m1, m2, m3, m4, units, charge, allowed, paid, start, end) = values  # fmt: skip
    if not code or start is None:
        return None
    first = _date(start)
    return ClaimLine(
        claim_id=str(claim_id) if claim_id not in (None, "") else f"SYN{serial:012d}",
        claim_type="institutional" if claim_type == "institutional" else "professional",
        frequency=_text(frequency),
        patient_id=_text(patient) or "UNKNOWN",
        payer_type=_text(payer) or "other",
        billing_npi=_text(billing),
        rendering_npi=_text(rendering),
        rendering_taxonomy=_text(taxonomy),
        state=_text(state),
        place_of_service=_text(pos),
        revenue_code=_text(revenue),
        hcpcs_code=str(code).upper(),
        modifiers=tuple(str(m) for m in (m1, m2, m3, m4) if m),
        units=_float(units, 1.0),
        charge=_float(charge, 0.0),
        allowed=_float(allowed, None),
        paid=_float(paid, None),
        service_from=first,
        service_to=_date(end) if end is not None else first,
    )


def _float(value: Any, default: float | None) -> Any:
    return float(value) if value not in (None, "") else default


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if "-" in text:
        return dt.date.fromisoformat(text[:10])
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def filing_indicators(guide: str) -> Callable[[str], str]:
    """payer type -> the SBR09 code written for it in ``guide`` (ZZ mutually defined else)."""
    from claimscope.terminology.payers import payer_type_from_filing_indicator

    chosen = {payer_type_from_filing_indicator(c): c for c in reversed(FILING_INDICATORS[guide])}
    return lambda payer_type: chosen.get(payer_type, "ZZ")


@dataclass
class _Group:
    """One functional group being written (its own stream until the interchange is joined)."""

    guide: str
    control: int
    stream: TextIO
    loops: ClaimLoops
    claims: int = 0


def write_837p(
    tables: Iterable[pa.Table],
    out: Path,
    *,
    sender_id: str = "CLAIMSCOPE",
    receiver_id: str = "SYNTHRECEIVER",
    claims_per_transaction: int = 5000,
    control_number: int = 1,
    created: dt.datetime | None = None,
) -> WriteSummary:
    """Write every claim of ``tables`` to ``out`` as one 837 interchange; returns counts.

    Professional claims go to an 837P group, institutional claims to an 837I group (written to
    a temporary file beside ``out`` and appended, so memory stays bounded).
    """
    created = created or dt.datetime(2024, 1, 1, 12, 0)
    claims = lines = 0
    with (
        open(out, "w", encoding="ascii", newline="") as main,
        tempfile.TemporaryFile("w+", encoding="ascii", newline="", dir=out.parent) as side,
    ):
        groups = {
            "professional": _group(PROFESSIONAL, 1, main, created, claims_per_transaction),
            "institutional": _group(INSTITUTIONAL, 2, side, created, claims_per_transaction),
        }
        main.write(_isa(sender_id, receiver_id, control_number, created) + TERMINATOR)
        for claim in iter_claims(tables):
            group = groups[claim[0].claim_type]
            if group.claims == 0:
                group.stream.write(_gs(group, sender_id, receiver_id, created) + TERMINATOR)
            group.loops.claim(claim)
            group.claims += 1
            claims += 1
            lines += len(claim)
        written = [g for g in groups.values() if g.claims]
        for group in written:
            group.stream.write(f"GE*{group.loops.close()}*{group.control}{TERMINATOR}")
        side.seek(0)
        shutil.copyfileobj(side, main)
        main.write(f"IEA*{len(written)}*{control_number:09d}{TERMINATOR}")
    return WriteSummary(out, claims, lines, out.stat().st_size)


def _group(guide: str, control: int, stream: TextIO, created: dt.datetime, per: int) -> _Group:
    loops = ClaimLoops(stream, guide, created, per, filing_indicators(guide))
    return _Group(guide, control, stream, loops)


def _isa(sender: str, receiver: str, control: int, created: dt.datetime) -> str:
    blank = " " * 10
    return (
        f"ISA*00*{blank}*00*{blank}*ZZ*{sender.ljust(15)[:15]}*ZZ*{receiver.ljust(15)[:15]}*"
        f"{created:%y%m%d}*{created:%H%M}*^*00501*{control:09d}*0*T*:"
    )


def _gs(group: _Group, sender: str, receiver: str, created: dt.datetime) -> str:
    return (
        f"GS*HC*{sender}*{receiver}*{created:%Y%m%d}*{created:%H%M}*{group.control}*X*{group.guide}"
    )


class ClaimLoops:
    """Writes the ST/SE transaction sets and claim loops of one functional group."""

    def __init__(
        self,
        stream: TextIO,
        guide: str,
        created: dt.datetime,
        per: int,
        filing: Callable[[str], str],
    ) -> None:
        self.stream, self.guide, self.filing = stream, guide, filing
        self.institutional = guide == INSTITUTIONAL
        self.date, self.time = f"{created:%Y%m%d}", f"{created:%H%M}"
        self.per_transaction = max(1, per)
        self.transactions = self.segments = self.in_transaction = self.hl = 0
        self.billing_hl = 0
        self.billing_npi: str | None = None
        self.subscriber: tuple[str, str] | None = None

    def put(self, segment: str) -> None:
        self.stream.write(segment + TERMINATOR)
        self.segments += 1

    def close(self) -> int:
        """Close the open transaction set; returns the number of transaction sets."""
        if self.in_transaction:
            self.put(f"SE*{self.segments + 1}*{self.transactions:04d}")
            self.in_transaction = 0
        return self.transactions

    def claim(self, lines: list[ClaimLine]) -> None:
        """Write one claim, opening a transaction set and HL loops as needed."""
        if not self.in_transaction or self.in_transaction > self.per_transaction:
            self.close()
            self._open_transaction()
        first = lines[0]
        if first.billing_npi != self.billing_npi or self.billing_hl == 0:
            self._billing(first)
        if (first.patient_id, first.payer_type) != self.subscriber:
            self._subscriber(first)
        self._claim(lines)
        self.in_transaction += 1

    def _open_transaction(self) -> None:
        self.transactions += 1
        self.segments = self.hl = self.billing_hl = 0
        self.billing_npi, self.subscriber = None, None
        control = f"{self.transactions:04d}"
        self.put(f"ST*837*{control}*{self.guide}")
        self.put(f"BHT*0019*00*{control}*{self.date}*{self.time}*CH")
        self.put("NM1*41*2*CLAIMSCOPE SYNTHETIC SUBMITTER*****46*CLAIMSCOPE")
        self.put("PER*IC*SYNTHETIC DATA*TE*5555550100")
        self.put("NM1*40*2*SYNTHETIC RECEIVER*****46*SYNTHRECEIVER")
        self.in_transaction = 1

    def _billing(self, line: ClaimLine) -> None:
        self.hl += 1
        self.billing_hl, self.billing_npi, self.subscriber = self.hl, line.billing_npi, None
        self.put(f"HL*{self.hl}**20*1")
        self.put(f"NM1*85*2*SYNTHETIC BILLING PROVIDER*****XX*{line.billing_npi or ''}")
        self.put("N3*1 SYNTHETIC WAY")
        self.put(f"N4*SYNTHETIC CITY*{line.state or ''}*000000000")
        self.put("REF*EI*000000000")

    def _subscriber(self, line: ClaimLine) -> None:
        # One synthetic payer id for every payer type keeps patient ids (payer-scoped by the
        # reader) one-to-one with the generic layout's patient ids.
        self.hl += 1
        self.subscriber = (line.patient_id, line.payer_type)
        self.put(f"HL*{self.hl}*{self.billing_hl}*22*0")
        self.put(f"SBR*P*18*******{self.filing(line.payer_type)}")
        self.put(f"NM1*IL*1*SYNTHETIC*PATIENT****MI*{line.patient_id}")
        self.put("N3*1 SYNTHETIC WAY")
        self.put(f"N4*SYNTHETIC CITY*{line.state or ''}*000000000")
        self.put("NM1*PR*2*CLAIMSCOPE SYNTHETIC PAYER*****PI*SYNTHPAYER")

    def _claim(self, lines: list[ClaimLine]) -> None:
        first = lines[0]
        total = _amount(sum(line.charge for line in lines))
        frequency = first.frequency or "1"
        npi, taxonomy = first.rendering_npi, first.rendering_taxonomy
        if self.institutional:
            start = min(line.service_from for line in lines)
            end = max(line.service_to for line in lines)
            self.put(f"CLM*{first.claim_id}*{total}***13:A:{frequency}**A*Y*Y")
            self.put(f"DTP*434*RD8*{_d8(start)}-{_d8(end)}")
            self.put("CL1***01")
            self.put("HI*ABK:R69")
            if npi:
                self.put(f"NM1*71*1*SYNTHETIC*ATTENDING****XX*{npi}")
                if taxonomy:
                    self.put(f"PRV*AT*PXC*{taxonomy}")
        else:
            pos = first.place_of_service or "11"
            self.put(f"CLM*{first.claim_id}*{total}***{pos}:B:{frequency}*Y*A*Y*Y")
            self.put("HI*ABK:R69")
            if npi and (npi != first.billing_npi or taxonomy):
                self.put(f"NM1*82*1*SYNTHETIC*RENDERING****XX*{npi}")
                if taxonomy:
                    self.put(f"PRV*PE*PXC*{taxonomy}")
        for number, line in enumerate(lines, start=1):
            self._line(number, line, first)

    def _line(self, number: int, line: ClaimLine, first: ClaimLine) -> None:
        procedure = ":".join(("HC", line.hcpcs_code, *line.modifiers))
        charge, units = _amount(line.charge), _amount(line.units, 3)
        self.put(f"LX*{number}")
        if self.institutional:
            self.put(f"SV2*{line.revenue_code or ''}*{procedure}*{charge}*UN*{units}")
        else:
            pos = line.place_of_service or "11"
            line_pos = pos if pos != (first.place_of_service or "11") else ""
            self.put(f"SV1*{procedure}*{charge}*UN*{units}*{line_pos}**1")
        start = _d8(line.service_from)
        if line.service_from == line.service_to:
            self.put(f"DTP*472*D8*{start}")
        else:
            self.put(f"DTP*472*RD8*{start}-{_d8(line.service_to)}")
        if (
            not self.institutional
            and line.rendering_npi
            and line.rendering_npi != first.rendering_npi
        ):
            self.put(f"NM1*82*1*SYNTHETIC*RENDERING****XX*{line.rendering_npi}")
            if line.rendering_taxonomy:
                self.put(f"PRV*PE*PXC*{line.rendering_taxonomy}")


def _amount(value: float, places: int = 2) -> str:
    """X12 decimal without superfluous zeros: 100.0 -> "100", 43.5 -> "43.5"."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


_D8_CACHE: dict[dt.date, str] = {}


def _d8(day: dt.date) -> str:
    """CCYYMMDD, cached (a synthetic file repeats a few hundred distinct dates)."""
    text = _D8_CACHE.get(day)
    if text is None:
        text = _D8_CACHE[day] = f"{day:%Y%m%d}"
    return text
