"""The resources in a FHIR file: a single resource, a Bundle, or bulk NDJSON.

NDJSON (FHIR Bulk Data) is streamed line by line, so files of any size need little memory; a
line that is not JSON is reported as its own record instead of failing the file. A JSON
document (one resource or a Bundle) is parsed whole; such files are small by nature (a Bundle
is one page of search results), and larger ones are refused with advice to export NDJSON.

Every resource comes with its ``row``: the NDJSON line number, the 1-based entry index of a
Bundle document, or 1 for a single-resource file. Numbers keep their JSON spelling (decimals
are parsed as strings) so amounts such as ``75.00`` reach the pipeline exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Final

from claimscope.ingest.base import IngestError

MAX_DOCUMENT_BYTES: Final = 256 << 20
FIRST_LINE_BYTES: Final = 64 << 20
_BOM: Final = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder(parse_float=str)


@dataclass(frozen=True)
class Located:
    """One resource (or one unparseable record) and where it is in the file."""

    row: int
    prefix: str  # JSON path prefix for quarantine fields ("" or "entry[3].resource.")
    resource: dict[str, Any] | None
    problem: str = ""  # why ``resource`` is None
    offset: int = 0  # bytes of the file read so far (for progress reports)


def is_fhir_json(head: bytes) -> bool:
    """True when ``head`` starts with a JSON object that names a ``resourceType``."""
    text = head[len(_BOM) :] if head.startswith(_BOM) else head
    text = text.lstrip()
    return text.startswith(b"{") and b'"resourceType"' in text[:65536]


def iter_located(path: Path, file: str) -> Iterator[Located]:
    """Every resource of the file, with Bundle entries unpacked; IngestError if unreadable."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise IngestError(f"{file}: cannot open: {exc.strerror}") from None
    with stream:
        first = _first_line(stream)
        stream.seek(0)
        if _is_complete_object(first):
            yield from _ndjson(stream, file)
        else:
            yield from _document(stream, path, file)


def _first_line(stream: BinaryIO) -> bytes:
    line = stream.readline(FIRST_LINE_BYTES)
    while line and not line.strip():
        line = stream.readline(FIRST_LINE_BYTES)
    return line.removeprefix(_BOM).strip()


def _is_complete_object(line: bytes) -> bool:
    """NDJSON when the first non-blank line is a whole JSON object by itself."""
    try:
        return isinstance(_loads(line), dict)
    except (ValueError, RecursionError):
        return False


def _loads(raw: bytes) -> Any:
    return _DECODER.decode(raw.decode("utf-8"))


def _ndjson(stream: BinaryIO, file: str) -> Iterator[Located]:
    offset = 0
    for number, raw in enumerate(stream, start=1):
        offset += len(raw)
        raw = raw.removeprefix(_BOM) if number == 1 else raw
        if not raw.strip():
            continue
        try:
            value = _loads(raw)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            yield Located(number, "", None, f"line is not valid JSON: {_reason(exc)}", offset)
            continue
        for located in _unpack(value, number, "", numbered_entries=False):
            yield replace(located, offset=offset)


def _document(stream: BinaryIO, path: Path, file: str) -> Iterator[Located]:
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise IngestError(
            f"{file}: a {size >> 20} MiB JSON document is too large to read whole; "
            "export it as NDJSON (one resource per line, FHIR Bulk Data) instead"
        )
    raw = stream.read().removeprefix(_BOM)
    try:
        value = _loads(raw)
    except UnicodeDecodeError:
        raise IngestError(f"{file}: not UTF-8 text, so not a FHIR JSON file") from None
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{file}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise IngestError(f"{file}: JSON nested too deeply to be a FHIR resource") from None
    if not isinstance(value, dict):
        raise IngestError(f"{file}: the JSON document is not a FHIR resource (not an object)")
    for located in _unpack(value, 1, "", numbered_entries=True):
        yield replace(located, offset=size)


def _unpack(value: Any, row: int, prefix: str, *, numbered_entries: bool) -> Iterator[Located]:
    """A resource, or the resources of a Bundle (entry index as row in a Bundle document)."""
    if not isinstance(value, dict):
        yield Located(row, prefix, None, "not a FHIR resource (JSON value is not an object)")
        return
    if value.get("resourceType") != "Bundle":
        yield Located(row, prefix, value)
        return
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        yield Located(row, f"{prefix}entry", None, "Bundle.entry is not a list")
        return
    for index, entry in enumerate(entries):
        where = index + 1 if numbered_entries else row
        path = f"{prefix}entry[{index}].resource"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None:
            yield Located(where, path, None, "Bundle entry has no resource")
        else:
            yield from _unpack(resource, where, f"{path}.", numbered_entries=False)


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)[:80]
