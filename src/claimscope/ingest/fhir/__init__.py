"""FHIR R4 ExplanationOfBenefit reader (CARIN Blue Button and CMS Blue Button / BFD profiles).

* :mod:`.source` finds the resources in a file: one resource, a Bundle, or bulk NDJSON;
* :mod:`.eob` turns one ExplanationOfBenefit into claim-line rows or quarantine records;
* :mod:`.reader` is the :class:`~claimscope.ingest.base.FormatReader` the registry names.
"""

from claimscope.ingest.fhir.reader import READER, FhirEobReader

__all__ = ["READER", "FhirEobReader"]
