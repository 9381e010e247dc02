"""Reading single fields of an ExplanationOfBenefit, defensively: any JSON may arrive.

Helpers return strings (or None) for the staging table; problems that make an item unusable
raise :class:`ItemError` with the JSON path below the item (``.quantity``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from claimscope.ingest.rif import line_status_for

NPI_SYSTEM: Final = "http://hl7.org/fhir/sid/us-npi"
TAXONOMY_SYSTEM: Final = "http://nucc.org/provider-taxonomy"
CLAIM_TYPE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/claim-type"
BLUE_BUTTON: Final = "https://bluebutton.cms.gov/"
HCPCS_SYSTEMS: Final = frozenset(
    {
        "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
        "http://www.ama-assn.org/go/cpt",
        "urn:oid:2.16.840.1.113883.6.12",  # CPT-4
        "urn:oid:2.16.840.1.113883.6.14",  # HCPCS
        "urn:oid:2.16.840.1.113883.6.285",  # HCPCS Level II
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "http://terminology.hl7.org/CodeSystem/HCPCS",
    }
)
# Blue Button eob-type -> claim type (PDE = Part D drug event).
BLUE_BUTTON_TYPES: Final = {
    "CARRIER": "professional", "DME": "professional", "INPATIENT": "institutional",
    "OUTPATIENT": "institutional", "SNF": "institutional", "HHA": "institutional",
    "HOSPICE": "institutional", "PDE": "pharmacy",
}  # fmt: skip
# HL7 claim-type -> claim type; vision and oral claims are billed like professional claims.
HL7_TYPES: Final = {
    "professional": "professional", "institutional": "institutional", "vision": "professional",
    "oral": "professional", "pharmacy": "pharmacy",
}  # fmt: skip
RENDERING_ROLES: Final = ("rendering", "performing", "primary")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER: Final = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


class ItemError(ValueError):
    """An item cannot be loaded; ``path`` is relative to the item (``.quantity``)."""

    def __init__(self, path: str, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.path, self.reason, self.value = path, reason, value[:60]


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A non-empty JSON string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def codings(concept: Any) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept that are objects."""
    return [c for c in arr(obj(concept).get("coding")) if isinstance(c, dict)]


def number(value: Any) -> str | None:
    """A JSON number (decimals arrive as their original text) as a string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value
    return None


def claim_type(resource: dict[str, Any]) -> str | None:
    """professional / institutional / pharmacy from HL7 claim-type, else Blue Button eob-type."""
    found = None
    for coding in codings(resource.get("type")):
        system, code = coding.get("system"), text(coding.get("code"))
        if system == CLAIM_TYPE_SYSTEM and code in HL7_TYPES:
            return HL7_TYPES[code]
        if isinstance(system, str) and system.startswith(BLUE_BUTTON) and code in BLUE_BUTTON_TYPES:
            found = BLUE_BUTTON_TYPES[code]
    return found


def is_blue_button(resource: dict[str, Any]) -> bool:
    """A CMS Blue Button / BFD claim: Medicare fee-for-service by construction."""
    return any(
        isinstance(c.get("system"), str) and c["system"].startswith(BLUE_BUTTON)
        for c in codings(resource.get("type"))
    )


def reference_id(reference: Any, resource_type: str) -> str | None:
    """``Patient/123`` -> ``123``; else the reference's identifier value."""
    ref = obj(reference)
    target = text(ref.get("reference"))
    if target:
        return target.split("/", 1)[1] if target.startswith(f"{resource_type}/") else target
    return text(obj(ref.get("identifier")).get("value"))


def _npi_in(identifiers: list[Any]) -> str | None:
    for identifier in identifiers:
        ident = obj(identifier)
        system = ident.get("system")
        typed = any(str(c.get("code", "")).lower() == "npi" for c in codings(ident.get("type")))
        named = isinstance(system, str) and (system == NPI_SYSTEM or system.endswith("npi_num"))
        if named or typed:
            return text(ident.get("value"))
    return None


def provider_npi(reference: Any, contained: dict[str, dict[str, Any]]) -> str | None:
    """NPI of a Reference: its identifier, or the identifiers of the contained resource."""
    ref = obj(reference)
    npi = _npi_in([ref.get("identifier")])
    if npi is not None:
        return npi
    target = text(ref.get("reference")) or ""
    if target.startswith("#"):
        return _npi_in(arr(contained.get(target[1:], {}).get("identifier")))
    return None


def qualification(member: dict[str, Any]) -> tuple[str | None, str | None]:
    """(NUCC taxonomy, CMS specialty code) from a careTeam member's qualification."""
    taxonomy = specialty = None
    for coding in codings(member.get("qualification")):
        system = str(coding.get("system", ""))
        if system == TAXONOMY_SYSTEM:
            taxonomy = taxonomy or text(coding.get("code"))
        elif system.lower().endswith(("prvdr_spclty", "clm-prvdr-spclty-cd")):
            specialty = specialty or text(coding.get("code"))
    return taxonomy, specialty


def _role(member: dict[str, Any]) -> str | None:
    for coding in codings(member.get("role")):
        if coding.get("code") in RENDERING_ROLES:
            return str(coding["code"])
    return None


@dataclass
class ClaimContext:
    """Claim-level values shared by every item of one ExplanationOfBenefit."""

    prefix: tuple[str | None, ...]  # claim_id, claim_type, patient_id, billing_npi, payer_type
    billable: tuple[str | None, str | None]
    outcome: str | None
    care_team: dict[int, tuple[str | None, tuple[str | None, str | None, str | None]]]

    @classmethod
    def of(cls, resource: dict[str, Any]) -> ClaimContext:
        """Read the claim-level fields of ``resource``."""
        contained = {
            str(r["id"]): r
            for r in arr(resource.get("contained"))
            if isinstance(r, dict) and "id" in r
        }
        from claimscope.ingest.fhir.payer import payer_type

        prefix = (
            claim_id(resource),
            claim_type(resource),
            reference_id(resource.get("patient"), "Patient"),
            provider_npi(resource.get("provider"), contained),
            payer_type(resource, contained),
        )
        team = {}
        for member in arr(resource.get("careTeam")):
            member = obj(member)
            sequence = member.get("sequence")
            if isinstance(sequence, int):
                npi = provider_npi(member.get("provider"), contained)
                team[sequence] = (_role(member), (npi, *qualification(member)))
        billable = obj(resource.get("billablePeriod"))
        outcome = text(resource.get("outcome"))
        return cls(
            prefix, (_date(billable.get("start")), _date(billable.get("end"))), outcome, team
        )

    def rendering_for(self, item: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
        """(NPI, taxonomy, specialty code) of the item's rendering provider, best role first."""
        pointed = [s for s in arr(item.get("careTeamSequence")) if isinstance(s, int)]
        for members in (pointed, list(self.care_team)):
            for role in RENDERING_ROLES:
                for sequence in members:
                    entry = self.care_team.get(sequence)
                    if entry is not None and entry[0] == role:
                        return entry[1]
        return None, None, None


def claim_id(resource: dict[str, Any]) -> str | None:
    """Blue Button ``clm_id`` identifier, else the unique-claim-id identifier, else the id."""
    typed = None
    for identifier in arr(resource.get("identifier")):
        ident = obj(identifier)
        value = text(ident.get("value"))
        if value and str(ident.get("system", "")).endswith("/clm_id"):
            return value
        if (
            value
            and typed is None
            and any(c.get("code") == "uc" for c in codings(ident.get("type")))
        ):
            typed = value
    return typed or text(resource.get("id"))


def procedure_code(item: dict[str, Any]) -> str:
    """The HCPCS/CPT code of ``item.productOrService``."""
    found = codings(item.get("productOrService"))
    for coding in found:
        system = str(coding.get("system", ""))
        if system in HCPCS_SYSTEMS or system.lower().endswith(("/hcpcs", "/cpt")):
            code = text(coding.get("code"))
            if code:
                return code.strip()
    systems = ", ".join(sorted({str(c.get("system", "")) for c in found})) or "none"
    raise ItemError(".productOrService", "no HCPCS/CPT coding", systems)


def modifiers(item: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """Up to four modifier codes, in order."""
    codes = [text(c.get("code")) for m in arr(item.get("modifier")) for c in codings(m)]
    padded = [*[code for code in codes if code][:4], None, None, None, None]
    return padded[0], padded[1], padded[2], padded[3]


def quantity(item: dict[str, Any]) -> str:
    """``item.quantity.value`` as a string."""
    value = number(obj(item.get("quantity")).get("value"))
    if value is None:
        raise ItemError(".quantity", "no quantity (units of service)")
    return value


def _date(value: Any) -> str | None:
    """The date part of a FHIR date or dateTime; None when absent or partial."""
    raw = text(value)
    return raw[:10] if raw and _DATE.match(raw) else None


def service_period(
    item: dict[str, Any], billable: tuple[str | None, str | None]
) -> tuple[str, str]:
    """(from, to) of the item: servicedDate, servicedPeriod, else the billable period."""
    if "servicedDate" in item:
        day = _date(item["servicedDate"])
        if day is None:
            raise ItemError(
                ".servicedDate", "not a full date (YYYY-MM-DD)", str(item["servicedDate"])
            )
        return day, day
    period = obj(item.get("servicedPeriod"))
    start, end = _date(period.get("start")), _date(period.get("end"))
    if start is None:
        start, end = billable
    if start is None:
        raise ItemError(".servicedPeriod", "no service date on the item or billablePeriod")
    return start, end or start


def location(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """(place of service, provider state) from ``item.locationCodeableConcept``."""
    concept = obj(item.get("locationCodeableConcept"))
    place = None
    for coding in codings(concept):
        system = str(coding.get("system", "")).lower()
        if "place" in system and ("service" in system or "srvc" in system):
            place = text(coding.get("code"))
            break
    state = None
    for extension in arr(concept.get("extension")):
        ext = obj(extension)
        if str(ext.get("url", "")).endswith("prvdr_state_cd"):
            state = text(obj(ext.get("valueCoding")).get("code"))
    return place, state


def revenue_code(item: dict[str, Any]) -> str | None:
    """UB-04 revenue code from ``item.revenue``."""
    for coding in codings(item.get("revenue")):
        system = str(coding.get("system", "")).lower()
        if "nubc" in system or "rev" in system:
            return text(coding.get("code"))
    return None


def item_specialty(item: dict[str, Any]) -> str | None:
    """CMS specialty code carried as an item extension (BFD v3 ``CLM-PRVDR-SPCLTY-CD``)."""
    for extension in arr(item.get("extension")):
        ext = obj(extension)
        if str(ext.get("url", "")).lower().endswith(("clm-prvdr-spclty-cd", "prvdr_spclty")):
            return text(obj(ext.get("valueCoding")).get("code"))
    return None


_CATEGORY: Final = {
    "submitted": "charge", "line_sbmtd_chrg_amt": "charge", "clm_line_sbmt_chrg_amt": "charge",
    "eligible": "allowed", "line_alowd_chrg_amt": "allowed", "clm_line_alowd_chrg_amt": "allowed",
    "benefit": "paid", "line_nch_pmt_amt": "paid",
    "paidtoprovider": "to_provider", "clm_line_prvdr_pmt_amt": "to_provider",
    "line_prvdr_pmt_amt": "to_provider", "paidtopatient": "to_patient",
    "line_bene_pmt_amt": "to_patient", "clm_line_bene_pmt_amt": "to_patient",
}  # fmt: skip


def amounts(item: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(submitted charge, allowed, paid) from ``item.adjudication``."""
    found: dict[str, str] = {}
    for adjudication in arr(item.get("adjudication")):
        adj = obj(adjudication)
        value = number(obj(adj.get("amount")).get("value"))
        if value is None:
            continue
        for coding in codings(adj.get("category")):
            kind = _CATEGORY.get(str(coding.get("code", "")).rsplit("/", 1)[-1].lower())
            if kind is not None:
                found.setdefault(kind, value)
                break
    paid = found.get("paid")
    if paid is None and ("to_provider" in found or "to_patient" in found):
        total = float(found.get("to_provider", 0)) + float(found.get("to_patient", 0))
        paid = f"{total:.2f}"
    return found.get("charge"), found.get("allowed"), paid


def line_status(item: dict[str, Any], paid: str | None, outcome: str | None) -> str:
    """From the Blue Button line processing indicator extension; ``unknown`` otherwise."""
    for extension in arr(item.get("extension")):
        ext = obj(extension)
        if str(ext.get("url", "")).lower().endswith(("line_prcsg_ind_cd", "clm-prcsg-ind-cd")):
            code = text(obj(ext.get("valueCoding")).get("code"))
            return line_status_for(code, paid)
    if outcome == "complete" and paid is not None and float(paid) > 0:
        return "paid"
    return "unknown"
