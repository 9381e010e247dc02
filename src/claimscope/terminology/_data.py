"""Reading the versioned terminology data files shipped in ``terminology/data/``.

Every data file (CSV or TOML) starts with a block of ``# key: value`` comment lines naming at
least its ``source`` and ``version``; ``data/SOURCES.md`` lists the same facts in one table.
CSV bodies are read with the standard ``csv`` module (first non-comment line is the header);
TOML files are read with ``tomllib``, which ignores the comment header itself.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DATA_PACKAGE = "claimscope.terminology"
REQUIRED_META = ("source", "version")


class TerminologyDataError(Exception):
    """A shipped terminology data file is missing or malformed (a packaging bug)."""


@dataclass(frozen=True)
class DataFile:
    """One parsed data file: its header metadata and its body text."""

    name: str
    meta: dict[str, str]
    body: str


def _read_text(name: str) -> str:
    path = resources.files(DATA_PACKAGE).joinpath("data", name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TerminologyDataError(f"terminology data file {name!r} is missing") from exc


def parse_header(name: str, text: str) -> DataFile:
    """Split the leading ``# key: value`` lines from the body; check required keys."""
    meta: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        key, sep, value = lines[i][1:].partition(":")
        if sep:
            k = key.strip().lower()
            # Repeated keys (a long source note) are joined rather than overwritten.
            meta[k] = f"{meta[k]} {value.strip()}" if k in meta else value.strip()
        i += 1
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise TerminologyDataError(f"data file {name!r}: header lacks {', '.join(missing)}")
    return DataFile(name=name, meta=meta, body="".join(lines[i:]))


@cache
def data_file(name: str) -> DataFile:
    """The parsed data file ``name`` (loaded once per process)."""
    return parse_header(name, _read_text(name))


def read_csv_rows(name: str) -> list[dict[str, str]]:
    """Rows of a CSV data file as dicts (values stripped; header from the first body line)."""
    reader = csv.DictReader(io.StringIO(data_file(name).body))
    rows = []
    for n, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            raise TerminologyDataError(f"data file {name!r}: body row {n} has a wrong field count")
        rows.append({k: v.strip() for k, v in row.items()})
    return rows


def read_toml(name: str) -> dict[str, Any]:
    """A TOML data file as a dict."""
    try:
        return tomllib.loads(data_file(name).body)
    except tomllib.TOMLDecodeError as exc:
        raise TerminologyDataError(f"data file {name!r}: {exc}") from exc


def data_file_names() -> list[str]:
    """Names of every shipped CSV/TOML data file."""
    folder = resources.files(DATA_PACKAGE).joinpath("data")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".csv", ".toml")))


def data_sources() -> dict[str, dict[str, str]]:
    """Header metadata (source, version, licence, ...) of every shipped data file."""
    return {name: data_file(name).meta for name in data_file_names()}


def normalise_text(text: str) -> str:
    """Lookup key for free text: case-folded, ``&`` read as ``and``, punctuation as spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    return " ".join(re.findall(r"[^\W_]+", folded))
