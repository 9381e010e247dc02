"""Streaming CSV and Parquet reading shared by the tabular readers (generic, CMS PUF, Tuva).

CSV files are read with ``pyarrow.csv.open_csv`` in blocks, every column as a string (typing is
the pipeline's job, so a stray letter in an amount quarantines one row instead of failing the
file). Rows with the wrong number of fields are skipped by the parser and reported as
quarantine records with their data-row number; rows are numbered from 1 for the first row
after the header, so row ``r`` is line ``r + 1`` of the file (as long as no quoted value spans
lines). ``.gz`` files are decompressed on the fly.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from claimscope.ingest.base import IngestError, QuarantineRecord

HEAD_BYTES: Final = 64 * 1024
_BLOCK_BYTES: Final = 8 * 1024 * 1024
_DELIMITERS: Final = ",\t|;"
_DICTIONARY: Final = pa.dictionary(pa.int32(), pa.string())


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file, decompressed when it is gzip."""
    with path.open("rb") as handle:
        head = handle.read(size)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as handle:
            return handle.read(size)
    return head


def header_fields(head: bytes) -> tuple[list[str], str] | None:
    """(column names, delimiter) of a delimited text header, or None if it is not one."""
    text = head.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first or "\x00" in first:
        return None
    delimiter = max(_DELIMITERS, key=first.count)
    if first.count(delimiter) == 0:
        return None
    names = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    return [n.strip() for n in names], delimiter


def check_unique_names(path: Path, names: Sequence[str]) -> None:
    """:class:`IngestError` naming both columns when a header repeats a column name."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, 1):
        if name in seen:
            raise IngestError(
                f"{path}: duplicate column name {name!r} (columns {seen[name]} and {position}); "
                "rename one so it is clear which holds the data"
            )
        seen[name] = position


def parquet_columns(path: Path, head: bytes, *, reading: bool = False) -> list[str] | None:
    """Column names of a Parquet file; None when ``head`` is not Parquet. A damaged Parquet
    file gives None too when sniffing, and an :class:`IngestError` saying why when ``reading``.
    """
    if not head.startswith(b"PAR1"):
        return None
    try:
        return list(pq.read_schema(path).names)
    except (OSError, pa.ArrowException) as exc:
        if reading:
            raise IngestError(f"{path}: cannot read as Parquet: {exc}") from exc
        return None


@dataclass
class TextChunk:
    """Rows of one CSV block: a string table, each row's number, rows the parser rejected."""

    table: pa.Table
    rows: np.ndarray
    rejected: list[QuarantineRecord] = field(default_factory=list)
    bytes_read: int = 0


class _Rejects:
    """Collects rows with a wrong field count (the parser calls us, we say skip)."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, int, int]] = []
        self.undecodable = False

    def __call__(self, row: pacsv.InvalidRow) -> str:
        self.lines.append((row.number or 0, row.expected_columns, row.actual_columns))
        return "skip"


@contextmanager
def _quiet_decode_errors(rejects: _Rejects) -> Iterator[None]:
    """Catch pyarrow's decoding failure inside the row handler while the parser runs.

    pyarrow decodes a rejected row as UTF-8 *before* calling the handler; on invalid bytes the
    error escapes to ``sys.unraisablehook`` (a traceback on the user's terminal) and the read
    then fails. The hook is swapped only around parser calls, to record the failure quietly.
    """
    previous = sys.unraisablehook

    def hook(info: Any) -> None:
        if isinstance(info.exc_value, UnicodeDecodeError):
            rejects.undecodable = True
        else:
            previous(info)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _batches(
    open_reader: Callable[[], pacsv.CSVStreamingReader], rejects: _Rejects
) -> Iterator[pa.RecordBatch]:
    """The parser's batches; the parser only runs inside :func:`_quiet_decode_errors`."""
    with _quiet_decode_errors(rejects):
        reader = open_reader()  # reads the first block already
    while True:
        with _quiet_decode_errors(rejects):
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
        yield batch


def iter_csv(
    path: Path,
    columns: Sequence[str],
    *,
    delimiter: str,
    batch_rows: int,
    dictionary: Collection[str] = (),
) -> Iterator[TextChunk]:
    """Stream ``columns`` of a delimited file as string tables of about ``batch_rows`` rows.

    Columns named in ``dictionary`` (codes and other repeated values) are dictionary-encoded
    by the parser itself, which is cheaper than materialising the strings and encoding later.
    """
    header = header_fields(read_head(path))
    if header is not None:
        check_unique_names(path, header[0])
    rejects = _Rejects()
    # Single-threaded parsing: the parser then knows the line number of every rejected row.
    read = pacsv.ReadOptions(use_threads=False, block_size=_BLOCK_BYTES)
    parse_opts = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=rejects)
    convert = pacsv.ConvertOptions(
        column_types={c: _DICTIONARY if c in dictionary else pa.string() for c in columns},
        include_columns=list(columns),
        # Only an empty field is missing: "NA", "null", "n/a" are values, to be validated.
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        # UTF-8 is checked per batch instead, so that a bad byte quarantines its row only.
        check_utf8=False,
    )
    raw = pa.OSFile(str(path))
    gzipped = raw.read(2) == b"\x1f\x8b"
    raw.seek(0)
    # Progress is measured on the file itself (compressed bytes for .gz).
    stream = pa.CompressedInputStream(raw, "gzip") if gzipped else raw
    next_row, pending, pending_rows = 1, [], 0
    reported = 0
    try:
        opener = partial(pacsv.open_csv, stream, read, parse_opts, convert)
        for batch in _batches(opener, rejects):
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows < batch_rows:
                continue
            chunk, next_row, reported = _chunk(pending, next_row, rejects, reported, path)
            chunk.bytes_read = raw.tell()
            pending, pending_rows = [], 0
            yield chunk
        if pending or len(rejects.lines) > reported:
            chunk, next_row, reported = _chunk(pending, next_row, rejects, reported, path)
            chunk.bytes_read = raw.tell()
            yield chunk
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        if rejects.undecodable:
            raise IngestError(
                f"{path}: a row with the wrong number of fields is not valid UTF-8 text "
                "(is the file in another encoding?)"
            ) from exc
        raise IngestError(f"{path}: cannot read as delimited text: {exc}") from exc
    finally:
        stream.close()
        raw.close()


def _chunk(
    batches: list[pa.RecordBatch], next_row: int, rejects: _Rejects, reported: int, path: Path
) -> tuple[TextChunk, int, int]:
    """Number the rows of ``batches`` from ``next_row``, stepping over rejected rows."""
    table = pa.Table.from_batches(batches) if batches else pa.table({})
    n = table.num_rows
    # Data-row number = physical line - 1 (the header is line 1).
    ahead = np.array(sorted(line - 1 for line, _, _ in rejects.lines if line - 1 >= next_row))
    candidates = np.arange(next_row, next_row + n + len(ahead), dtype=np.int64)
    rows = np.setdiff1d(candidates, ahead.astype(np.int64), assume_unique=True)[:n]
    rejected = [
        QuarantineRecord(
            file=str(path),
            row=line - 1,
            field="(row)",
            reason=f"wrong number of fields: {actual}, expected {expected}",
        )
        for line, expected, actual in rejects.lines[reported:]
    ]
    following = int(rows[-1]) + 1 if n else next_row
    table, rows, undecodable = _drop_invalid_utf8(table, rows, path)
    rejected.extend(undecodable)
    return TextChunk(table=table, rows=rows, rejected=rejected), following, len(rejects.lines)


def _drop_invalid_utf8(
    table: pa.Table, rows: np.ndarray, path: Path
) -> tuple[pa.Table, np.ndarray, list[QuarantineRecord]]:
    """Rows holding bytes that are not UTF-8, taken out of ``table`` as quarantine records.

    The parser's own UTF-8 check would fail the whole file; checking each column here costs
    about as much and lets every other row load. The search for the offending rows (Python,
    per value) only runs for a column that fails the check.
    """
    bad = np.zeros(table.num_rows, dtype=bool)
    first_bad: dict[int, str] = {}
    damaged = []
    for name in table.column_names:
        column = table.column(name)
        try:
            column.validate(full=True)
            continue
        except pa.ArrowInvalid:
            damaged.append(name)
        undecodable = _undecodable(column)
        for position in np.flatnonzero(undecodable & ~bad):
            first_bad[int(position)] = name
        bad |= undecodable
    if not bad.any():
        return table, rows, []
    records = [
        QuarantineRecord(
            file=str(path),
            row=int(rows[i]),
            field=first_bad[int(i)],
            reason="not valid UTF-8 text (is the file in another encoding?)",
            value=_shown_bytes(table.column(first_bad[int(i)])[int(i)]),
        )
        for i in np.flatnonzero(bad)
    ]
    kept = table.filter(pa.array(~bad))
    for name in damaged:  # a dictionary keeps its undecodable entries: blank them
        column = kept.column(name).combine_chunks()
        if pa.types.is_dictionary(column.type):
            invalid = pa.array(_undecodable_dense(column.dictionary))
            clean = pc.if_else(invalid, "", column.dictionary)
            fixed = pa.DictionaryArray.from_arrays(column.indices, clean)
            kept = kept.set_column(kept.column_names.index(name), name, fixed)
    return kept, rows[~bad], records


def _undecodable(column: pa.ChunkedArray) -> np.ndarray:
    """Mask of the values of a string column that are not valid UTF-8."""
    array = column.combine_chunks()
    if pa.types.is_dictionary(array.type):
        invalid = _undecodable_dense(array.dictionary)
        indices = np.asarray(array.indices.fill_null(0).to_numpy(zero_copy_only=False))
        return invalid[indices] & ~np.asarray(array.is_null().to_numpy(zero_copy_only=False))
    return _undecodable_dense(array)


def _undecodable_dense(array: pa.Array) -> np.ndarray:
    out = np.zeros(len(array), dtype=bool)
    for i, value in enumerate(array.cast(pa.binary()).to_pylist()):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                out[i] = True
    return out


def _shown_bytes(value: pa.Scalar) -> str:
    """A value with undecodable bytes, as text a CSV can hold (bad bytes as U+FFFD)."""
    scalar = value.value if isinstance(value, pa.DictionaryScalar) else value
    raw = scalar.cast(pa.binary()).as_py()
    return raw.decode("utf-8", errors="replace") if raw is not None else ""


def _is_text(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_large_string(type_)


def iter_parquet(
    path: Path, columns: Sequence[str], *, batch_rows: int
) -> Iterator[tuple[pa.Table, int, int]]:
    """Stream ``columns`` of a Parquet file: (table, first row number, approximate bytes read)."""
    try:
        schema = pq.read_schema(path)
        # Strings are read dictionary-encoded: decoding Parquet dictionaries into dense
        # strings is the slowest part of a read, and validation works per distinct value.
        strings = [c for c in columns if _is_text(schema.field(c).type)]
        handle = pq.ParquetFile(path, read_dictionary=strings)
        total_rows = max(handle.metadata.num_rows, 1)
        size = path.stat().st_size
        first = 1
        for batch in handle.iter_batches(batch_size=batch_rows, columns=list(columns)):
            table = pa.Table.from_batches([batch])
            done = first - 1 + table.num_rows
            yield table, first, int(size * done / total_rows)
            first += table.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: cannot read as Parquet: {exc}") from exc
