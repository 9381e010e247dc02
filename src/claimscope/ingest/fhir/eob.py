"""One FHIR R4 ExplanationOfBenefit -> claim-line rows (one per ``item``) or quarantine records.

Field sources, in order of preference:

* HCPCS/CPT code: ``item.productOrService`` codings in a HCPCS or CPT system (see
  ``fields.HCPCS_SYSTEMS``); modifiers from ``item.modifier`` codings; units from
  ``item.quantity.value``;
* dates: ``item.servicedDate`` / ``item.servicedPeriod``, else the claim's ``billablePeriod``;
* place of service: the ``item.locationCodeableConcept`` coding in a place-of-service system;
  state: its Blue Button ``prvdr_state_cd`` extension;
* rendering provider: the ``careTeam`` member the item points at with role rendering or
  performing (else primary): NPI from an ``us-npi`` identifier, an identifier typed NPI, or a
  contained Practitioner; taxonomy and CMS specialty code from its ``qualification``;
* billing provider: ``provider`` (identifier or contained resource) NPI;
* payer type: Blue Button claims (CMS systems in ``type``) are Medicare fee-for-service; else
  the insurer's or coverage's name through the terminology payer aliases (else left to the
  pipeline, which loads it as ``other`` with a warning);
* amounts: ``item.adjudication`` categories submitted, eligible (allowed) and benefit (paid;
  else paid-to-provider + paid-to-patient); line status from the Blue Button line processing
  indicator extension when present.

Claims with status cancelled, entered-in-error or draft, ``use`` other than claim, or type
pharmacy are not loaded: each of their items is quarantined with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import claimscope.ingest.fhir.fields as f
from claimscope.ingest.base import QuarantineRecord
from claimscope.ingest.fhir.fields import ItemError

ROW_COLUMNS: Final[tuple[str, ...]] = (
    "claim_id",
    "claim_type",
    "patient_id",
    "billing_npi",
    "payer_type",
    "line_number",
    "service_from",
    "service_to",
    "rendering_npi",
    "rendering_taxonomy",
    "medicare_specialty_code",
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
    "allowed_amount",
    "paid_amount",
    "line_status",
    "source_row",
)
NOT_LOADED_STATUSES: Final[frozenset[str]] = frozenset({"cancelled", "entered-in-error", "draft"})


@dataclass
class Converted:
    """Rows (tuples in :data:`ROW_COLUMNS` order) and quarantine records of one resource."""

    rows: list[tuple[object, ...]]
    quarantined: list[QuarantineRecord]


def convert_eob(resource: dict[str, Any], row: int, prefix: str, file: str) -> Converted:
    """Rows for every item of ``resource``; a rejected claim quarantines each of its items."""
    out = Converted([], [])
    items = resource.get("item")
    items = items if isinstance(items, list) and items else None
    rejection = _claim_rejection(resource)
    if rejection is not None or items is None:
        field, reason = rejection or ("item", "ExplanationOfBenefit has no items")
        for _ in items or [None]:
            out.quarantined.append(QuarantineRecord(file, row, prefix + field, reason))
        return out
    claim = f.ClaimContext.of(resource)
    for index, item in enumerate(items):
        try:
            out.rows.append((*claim.prefix, *_item_values(item, claim), row))
        except ItemError as error:
            field = f"{prefix}item[{index}]{error.path}"
            out.quarantined.append(QuarantineRecord(file, row, field, error.reason, error.value))
    return out


def _claim_rejection(resource: dict[str, Any]) -> tuple[str, str] | None:
    status = resource.get("status")
    if isinstance(status, str) and status in NOT_LOADED_STATUSES:
        return "status", f"claim status {status!r}: not loaded"
    use = resource.get("use")
    if use not in (None, "claim"):
        return "use", f"use {use!r} is not a claim (pre-authorization or predetermination)"
    if f.claim_type(resource) == "pharmacy":
        return "type", "pharmacy claims (drug events) carry no procedure lines"
    return None


def _item_values(item: Any, claim: f.ClaimContext) -> tuple[object, ...]:
    if not isinstance(item, dict):
        raise ItemError("", "item is not a JSON object")
    code = f.procedure_code(item)
    modifiers = f.modifiers(item)
    units = f.quantity(item)
    start, end = f.service_period(item, claim.billable)
    npi, taxonomy, specialty = claim.rendering_for(item)
    place, state = f.location(item)
    charge, allowed, paid = f.amounts(item)
    sequence = item.get("sequence")
    return (
        str(sequence) if isinstance(sequence, int) and not isinstance(sequence, bool) else None,
        start,
        end,
        npi,
        taxonomy,
        specialty or f.item_specialty(item),
        state,
        place,
        f.revenue_code(item),
        code,
        *modifiers,
        units,
        charge,
        allowed,
        paid,
        f.line_status(item, paid, claim.outcome),
    )
