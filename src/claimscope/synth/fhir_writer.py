"""Write synthetic claims as FHIR R4 ExplanationOfBenefit resources, one per line (NDJSON).

Each claim (consecutive rows sharing a ``claim_id``, see
:func:`claimscope.synth.x12_writer.iter_claims`) becomes one EOB shaped after the CARIN
Blue Button professional / institutional profiles: HL7 claim-type, ``patient`` reference,
billing ``provider`` and rendering ``careTeam`` member with NPI (``us-npi``) and NUCC
taxonomy, ``insurer`` named by payer type, and one ``item`` per line with the HCPCS/CPT code
(AMA CPT system for five-digit Level I codes, CMS HCPCS system otherwise), modifiers,
quantity, service date(s), place of service (professional) or revenue code (institutional)
and adjudication amounts (submitted, eligible, benefit). Streaming: one claim in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from claimscope.synth.x12_writer import ClaimLine, WriteSummary, iter_claims

NPI: Final = "http://hl7.org/fhir/sid/us-npi"
CPT: Final = "http://www.ama-assn.org/go/cpt"
HCPCS: Final = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
POS: Final = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
NUBC: Final = "https://www.nubc.org/CodeSystem/RevenueCodes"
ADJUDICATION: Final = "http://terminology.hl7.org/CodeSystem/adjudication"
C4BB_ROLE: Final = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole"
# Insurer names the reader maps back through the terminology payer aliases.
PAYER_NAMES: Final = {
    "medicare": "Medicare", "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid", "commercial": "Commercial", "other": "Other",
}  # fmt: skip


def write_fhir_ndjson(tables: Iterable[pa.Table], out: Path) -> WriteSummary:
    """Write every claim of ``tables`` to ``out`` as ExplanationOfBenefit NDJSON."""
    claims = lines = 0
    with open(out, "w", encoding="utf-8", newline="\n") as stream:
        for claim in iter_claims(tables):
            stream.write(json.dumps(explanation_of_benefit(claim), separators=(",", ":")))
            stream.write("\n")
            claims += 1
            lines += len(claim)
    return WriteSummary(out, claims, lines, out.stat().st_size)


def explanation_of_benefit(claim: list[ClaimLine]) -> dict[str, Any]:
    """One ExplanationOfBenefit resource for the lines of one claim."""
    first = claim[0]
    start = min(line.service_from for line in claim)
    end = max(line.service_to for line in claim)
    payer = PAYER_NAMES.get(first.payer_type, first.payer_type)
    resource: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": f"synthetic-{first.claim_id}",
        "meta": {"tag": [{"system": "urn:claimscope", "code": "synthetic"}]},
        "identifier": [_identifier("uc", "urn:claimscope:synthetic:claim-id", first.claim_id)],
        "status": "active",
        "type": _concept("http://terminology.hl7.org/CodeSystem/claim-type", first.claim_type),
        "use": "claim",
        "patient": {"reference": f"Patient/{first.patient_id}"},
        "billablePeriod": {"start": start.isoformat(), "end": end.isoformat()},
        "created": end.isoformat(),
        "insurer": {"display": payer},
        "outcome": "complete",
        "insurance": [{"focal": True, "coverage": {"display": payer}}],
        "careTeam": [],
        "item": [],
    }
    if first.billing_npi:
        resource["provider"] = {"identifier": {"system": NPI, "value": first.billing_npi}}
    team: dict[tuple[str | None, str | None], int] = {}
    for number, line in enumerate(claim, start=1):
        resource["item"].append(_item(number, line, _care_team(resource, team, line)))
    return resource


def _care_team(resource: dict[str, Any], team: dict[Any, int], line: ClaimLine) -> list[int]:
    if not line.rendering_npi:
        return []
    key = (line.rendering_npi, line.rendering_taxonomy)
    if key not in team:
        team[key] = len(team) + 1
        member: dict[str, Any] = {
            "sequence": team[key],
            "provider": {"identifier": {"system": NPI, "value": line.rendering_npi}},
            "role": _concept(C4BB_ROLE, "rendering"),
        }
        if line.rendering_taxonomy:
            member["qualification"] = _concept(
                "http://nucc.org/provider-taxonomy", line.rendering_taxonomy
            )
        resource["careTeam"].append(member)
    return [team[key]]


def _item(number: int, line: ClaimLine, care_team: list[int]) -> dict[str, Any]:
    code = line.hcpcs_code
    item: dict[str, Any] = {"sequence": number}
    if care_team:
        item["careTeamSequence"] = care_team
    if line.claim_type == "institutional" and line.revenue_code:
        item["revenue"] = _concept(NUBC, line.revenue_code)
    item["productOrService"] = _concept(_system(code), code)
    if line.modifiers:
        item["modifier"] = [_concept(_system(m), m) for m in line.modifiers]
    if line.service_from == line.service_to:
        item["servicedDate"] = line.service_from.isoformat()
    else:
        item["servicedPeriod"] = {
            "start": line.service_from.isoformat(),
            "end": line.service_to.isoformat(),
        }
    if line.claim_type != "institutional" and line.place_of_service:
        item["locationCodeableConcept"] = _concept(POS, line.place_of_service)
    item["quantity"] = {"value": line.units}
    item["adjudication"] = [
        _adjudication(category, amount)
        for category, amount in (
            ("submitted", line.charge),
            ("eligible", line.allowed),
            ("benefit", line.paid),
        )
        if amount is not None
    ]
    return item


def _system(code: str) -> str:
    """CPT (Level I codes and numeric modifiers such as 59) or CMS HCPCS Level II."""
    return CPT if code[:1].isdigit() else HCPCS


def _adjudication(category: str, amount: float) -> dict[str, Any]:
    return {
        "category": _concept(ADJUDICATION, category),
        "amount": {"value": round(amount, 2), "currency": "USD"},
    }


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _identifier(kind: str, system: str, value: str) -> dict[str, Any]:
    return {
        "type": _concept("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType", kind),
        "system": system,
        "value": value,
    }
