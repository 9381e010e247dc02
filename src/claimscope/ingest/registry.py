"""Known source formats, by name. Readers are imported lazily so start-up stays fast."""

from __future__ import annotations

import importlib
from typing import Final

from claimscope.ingest.base import FormatReader

# name -> "module:attribute" of a FormatReader. Order matters for detection: more specific
# formats first, the generic claim-line layout last.
READERS: Final[dict[str, str]] = {
    "x12_837": "claimscope.ingest.x12.reader:READER",
    "fhir_eob": "claimscope.ingest.fhir:READER",
    "cms_rif": "claimscope.ingest.rif:READER",
    "cms_puf": "claimscope.ingest.cms_puf:READER",
    "tuva": "claimscope.ingest.tuva:READER",
    "generic": "claimscope.ingest.generic:READER",
}


def format_names() -> list[str]:
    """Names accepted by ``--format``."""
    return list(READERS)


def get_reader(name: str) -> FormatReader:
    """The reader registered under ``name``; ``KeyError`` with the known names otherwise."""
    try:
        target = READERS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(READERS)}") from None
    module_name, _, attribute = target.partition(":")
    reader: FormatReader = getattr(importlib.import_module(module_name), attribute)
    return reader
