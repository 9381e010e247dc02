"""Payer type of an ExplanationOfBenefit.

CMS Blue Button / BFD claims are Medicare fee-for-service claims by construction (the API
serves the CCW's Part A/B/D claims), recognised by the CMS code systems in ``type``. Other
EOBs name their payer in ``insurer`` (display, contained Organization name or identifier) or
``insurance.coverage.display``; those names go through the terminology payer aliases
(``"Medicaid"``, ``"Blue Cross"``, ``"Part B"`` ...). An unrecognised name is passed on as
written: the pipeline loads it as ``other`` and lists it in its warnings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from claimscope.ingest.fhir.fields import arr, is_blue_button, obj, text
from claimscope.terminology.payers import normalise_payer_type


def payer_type(resource: dict[str, Any], contained: dict[str, dict[str, Any]]) -> str | None:
    """``medicare`` for Blue Button claims, else the first payer name that maps, else a name."""
    if is_blue_button(resource):
        return "medicare"
    names = list(_payer_names(resource, contained))
    for name in names:
        mapped = normalise_payer_type(name)
        if mapped is not None:
            return mapped
    return names[0] if names else None


def _payer_names(resource: dict[str, Any], contained: dict[str, dict[str, Any]]) -> Iterator[str]:
    insurer = obj(resource.get("insurer"))
    target = text(insurer.get("reference")) or ""
    for name in (
        text(insurer.get("display")),
        text(contained.get(target[1:], {}).get("name")) if target.startswith("#") else None,
        text(obj(insurer.get("identifier")).get("value")),
    ):
        if name:
            yield name
    for insurance in arr(resource.get("insurance")):
        display = text(obj(obj(insurance).get("coverage")).get("display"))
        if display:
            yield display
