"""The generic claim-line layout: CSV (comma, tab, pipe or semicolon) or Parquet whose columns
carry the staging names of :data:`claimscope.schema.STAGING_COLUMNS` (see docs/ingest.md).

Column names are matched case-insensitively; ``service_date`` is accepted for
``service_from``. Only the raw ``patient_id`` is accepted for the patient: the pipeline
pseudonymises it (a ``patient_key`` column would bypass that, so it is ignored with a warning,
as is any other unknown column). ``hcpcs_code``, ``service_from`` and ``units`` must be present.
Parquet columns may already be typed (dates, numbers); CSV columns are read as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa

from claimscope.ingest import tabular
from claimscope.ingest.base import IngestError, ReadOptions, StagingBatch
from claimscope.schema import STAGING_COLUMNS

ALIASES: Final = {"service_date": "service_from"}
# Columns whose values rarely repeat are read as plain strings, the rest dictionary-encoded.
MOSTLY_DISTINCT: Final = frozenset({"claim_id", "charge_amount", "allowed_amount", "paid_amount"})
REQUIRED: Final = ("hcpcs_code", "service_from", "units")
# Row numbers are the reader's job: a `source_row` column in the file is not trusted.
INPUT_COLUMNS: Final = tuple(c for c in STAGING_COLUMNS if c != "source_row")


def column_map(names: list[str]) -> dict[str, str]:
    """File column name -> staging name for every column of the generic layout present
    (the first column wins where two name the same field; :func:`conflicts` reports them)."""
    known = {c: c for c in INPUT_COLUMNS} | ALIASES
    mapping: dict[str, str] = {}
    for name in names:
        target = known.get(name.strip().lower())
        if target is not None and target not in mapping.values():
            mapping[name] = target
    return mapping


def conflicts(names: list[str]) -> list[str]:
    """One message per pair of columns that name the same field (``Units``/``units``,
    ``service_date``/``service_from``, or the same name twice)."""
    known = {c: c for c in INPUT_COLUMNS} | ALIASES
    first: dict[str, tuple[int, str]] = {}
    found = []
    for position, name in enumerate(names, 1):
        target = known.get(name.strip().lower())
        if target is None:
            continue
        if target in first:
            where, other = first[target]
            found.append(f"columns {where} {other!r} and {position} {name!r} both give {target}")
        else:
            first[target] = (position, name)
    return found


def _ignored_warning(names: list[str], mapping: dict[str, str]) -> list[str]:
    ignored = [n for n in names if n not in mapping]
    if not ignored:
        return []
    shown = ", ".join(ignored[:10]) + (
        f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
    )
    return [f"columns not in the generic layout were ignored: {shown}"]


class GenericReader:
    """Reader of the documented generic layout (CSV or Parquet)."""

    name = "generic"
    description = "claim lines in the generic layout (CSV or Parquet with staging column names)"

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the columns include ``hcpcs_code`` and ``service_from``/``service_date``."""
        names = tabular.parquet_columns(path, head)
        if names is None:
            parsed = tabular.header_fields(head)
            names = parsed[0] if parsed else []
        mapped = set(column_map(names).values())
        return all(r in mapped for r in REQUIRED)

    def read(self, path: Path, options: ReadOptions) -> Iterator[StagingBatch]:
        """Stream the file in batches of ``options.batch_rows``."""
        head = tabular.read_head(path)
        parquet_names = tabular.parquet_columns(path, head, reading=True)
        if parquet_names is not None:
            yield from self._read_parquet(path, parquet_names, options)
            return
        parsed = tabular.header_fields(head)
        if parsed is None:
            raise IngestError(f"{path}: neither Parquet nor a delimited text file with a header")
        names, delimiter = parsed
        mapping = _checked_map(path, names)
        warnings = _ignored_warning(names, mapping)
        repeated = [c for c, staging in mapping.items() if staging not in MOSTLY_DISTINCT]
        for chunk in tabular.iter_csv(
            path,
            list(mapping),
            delimiter=delimiter,
            batch_rows=options.batch_rows,
            dictionary=repeated,
        ):
            table = chunk.table.rename_columns([mapping[c] for c in chunk.table.column_names])
            table = table.append_column("source_row", pa.array(chunk.rows))
            yield StagingBatch(
                table=table,
                quarantined=chunk.rejected,
                warnings=warnings,
                bytes_read=chunk.bytes_read,
                field_names=_file_names(mapping),
            )
            warnings = []

    def _read_parquet(
        self, path: Path, names: list[str], options: ReadOptions
    ) -> Iterator[StagingBatch]:
        mapping = _checked_map(path, names)
        warnings = _ignored_warning(names, mapping)
        for table, first, done in tabular.iter_parquet(
            path, list(mapping), batch_rows=options.batch_rows
        ):
            table = table.rename_columns([mapping[c] for c in table.column_names])
            rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
            yield StagingBatch(
                table=table.append_column("source_row", rows),
                warnings=warnings,
                bytes_read=done,
                field_names=_file_names(mapping),
            )
            warnings = []


def _file_names(mapping: dict[str, str]) -> dict[str, str]:
    """Staging name -> the file's own column name, for quarantine records."""
    return {staging: original for original, staging in mapping.items()}


def _checked_map(path: Path, names: list[str]) -> dict[str, str]:
    tabular.check_unique_names(path, names)
    clashes = conflicts(names)
    if clashes:
        raise IngestError(
            f"{path}: duplicate columns: {'; '.join(clashes)}; keep one so it is clear which "
            "holds the data"
        )
    mapping = column_map(names)
    missing = [r for r in REQUIRED if r not in mapping.values()]
    if missing:
        raise IngestError(
            f"{path}: missing required column(s) {', '.join(missing)} of the generic layout "
            f"(found: {', '.join(names[:20])})"
        )
    return mapping


READER = GenericReader()
