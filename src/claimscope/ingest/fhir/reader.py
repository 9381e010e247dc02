"""The FHIR ExplanationOfBenefit format reader.

One staged row is one EOB ``item`` (service line). ``source_row`` is the NDJSON line number,
the 1-based entry index in a Bundle document, or 1 for a single-resource file; quarantine
fields are JSON paths from the resource (``item[2].quantity``, 0-based like FHIRPath).
Resources of other types (Patient, Coverage ...) are skipped and counted in a warning; a file
without any ExplanationOfBenefit is an :class:`IngestError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pyarrow as pa

from claimscope.ingest.base import IngestError, QuarantineRecord, ReadOptions, StagingBatch
from claimscope.ingest.fhir.eob import ROW_COLUMNS, convert_eob
from claimscope.ingest.fhir.source import Located, is_fhir_json, iter_located

ROW_TYPE: Final = pa.struct(
    [(name, pa.int64() if name == "source_row" else pa.string()) for name in ROW_COLUMNS]
)
EOB: Final = "ExplanationOfBenefit"
# FHIR paths for the staging columns, so the pipeline's quarantine records name them.
FIELD_NAMES: Final = {
    "claim_id": "identifier",
    "claim_type": "type",
    "patient_id": "patient",
    "billing_npi": "provider",
    "payer_type": "insurer",
    "line_number": "item.sequence",
    "service_from": "item.serviced[x]",
    "service_to": "item.serviced[x]",
    "rendering_npi": "careTeam.provider",
    "rendering_taxonomy": "careTeam.qualification",
    "medicare_specialty_code": "careTeam.qualification",
    "state": "item.locationCodeableConcept.extension",
    "place_of_service": "item.locationCodeableConcept",
    "revenue_code": "item.revenue",
    "hcpcs_code": "item.productOrService",
    "modifier_1": "item.modifier",
    "modifier_2": "item.modifier",
    "modifier_3": "item.modifier",
    "modifier_4": "item.modifier",
    "units": "item.quantity",
    "charge_amount": "item.adjudication(submitted)",
    "allowed_amount": "item.adjudication(eligible)",
    "paid_amount": "item.adjudication(benefit)",
}


class FhirEobReader:
    """FHIR R4 ExplanationOfBenefit: single resource JSON, Bundle, or bulk NDJSON."""

    name = "fhir_eob"
    description = "FHIR R4 ExplanationOfBenefit (resource, Bundle or bulk NDJSON)"

    def sniff(self, path: Path, head: bytes) -> bool:
        """A JSON object naming a ``resourceType``."""
        return is_fhir_json(head)

    def read(self, path: Path, options: ReadOptions) -> Iterator[StagingBatch]:
        """Stream resources into batches of up to ``options.batch_rows`` items."""
        file = str(path)
        limit = max(1, options.batch_rows)
        rows: list[tuple[object, ...]] = []
        quarantined: list[QuarantineRecord] = []
        others: Counter[str] = Counter()
        eobs = offset = 0
        for located in iter_located(path, file):
            offset = located.offset
            resource = located.resource
            if resource is None:
                quarantined.append(_unparsed(located, file))
            elif resource.get("resourceType") == EOB:
                eobs += 1
                converted = convert_eob(resource, located.row, located.prefix, file)
                rows.extend(converted.rows)
                quarantined.extend(converted.quarantined)
            else:
                others[str(resource.get("resourceType"))[:40]] += 1
            if len(rows) + len(quarantined) >= limit:
                yield StagingBatch(
                    table=rows_to_table(rows),
                    quarantined=quarantined,
                    field_names=FIELD_NAMES,
                    bytes_read=offset,
                )
                rows, quarantined = [], []
        if eobs == 0 and not quarantined:
            found = ", ".join(f"{k} x{v}" for k, v in others.most_common(5)) or "nothing"
            raise IngestError(f"{file}: no FHIR ExplanationOfBenefit resources (found {found})")
        yield StagingBatch(
            table=rows_to_table(rows),
            quarantined=quarantined,
            warnings=_warnings(others),
            field_names=FIELD_NAMES,
            bytes_read=offset,
        )


def _unparsed(located: Located, file: str) -> QuarantineRecord:
    return QuarantineRecord(file, located.row, located.prefix or "(line)", located.problem)


def _warnings(others: Counter[str]) -> list[str]:
    if not others:
        return []
    listed = ", ".join(f"{name} x{count}" for name, count in others.most_common())
    return [f"skipped {sum(others.values())} resources that are not ExplanationOfBenefit: {listed}"]


def rows_to_table(rows: list[tuple[object, ...]]) -> pa.Table:
    """Row tuples in :data:`ROW_COLUMNS` order -> a staging table (strings + int64 row)."""
    columns = pa.array(rows, type=ROW_TYPE).flatten()
    arrays = dict(zip(ROW_COLUMNS, columns, strict=True))
    arrays["record_kind"] = pa.array(["line"] * len(rows), pa.string())
    return pa.table(arrays)


READER: Final = FhirEobReader()
