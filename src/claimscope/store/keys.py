"""Record keys for lines stored before claimscope gave every line one.

Cell-key perturbation needs every line's ``record_key``. Ingest derives it from the store
secret, the line's source, file and row number (:func:`claimscope.ingest.pseudonymise.record_keys`),
and every stored line keeps those three columns, so the key of an older line can be derived
later from exactly the same inputs: a store that gets its keys here answers exactly as if its
files had been ingested again. Two kinds of store lack keys: the old layout (converted by
:mod:`claimscope.store.upgrade`, which derives them on the way) and Delta tables written
before the column existed, whose files :func:`fill_record_keys` rewrites in ONE commit, the
way ``--replace`` rewrites mixed files: each file with a missing key is written again with
its keys (same rows, same order), the new file added and the old one removed. A run killed
before the commit leaves files no version references (``vacuum`` removes them); once it has
committed, every reader of a later version sees all the keys.

A line whose ``source_file`` is missing (claimscope's ingest always writes it; another writer
might not) is keyed as a file named after its ingest batch; a missing ``source_row`` is
numbered past any real row number. Keys stay permanent either way: they are stored once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction, RemoveAction

from claimscope.ingest.pseudonymise import record_keys
from claimscope.store.batches import BATCH_FILE, remove_action
from claimscope.store.faults import fault_point
from claimscope.store.layout import Store, StoreError
from claimscope.store.secret import load_or_create_secret
from claimscope.store.table import DataFile, commit, ensure_table, snapshot_of
from claimscope.store.writer import (
    FILE_SCHEMA,
    ROW_GROUP_ROWS,
    add_action,
    open_parquet,
    to_write_schema,
)

KEY: Final = "record_key"
# Rows with no row number are numbered from here: past any row a real file has.
UNNUMBERED_FROM: Final = 1 << 40
KEYED_PREFIX: Final = "keyed"  # files rewritten with their keys (see batches.BATCH_FILE)


@dataclass
class KeyDeriver:
    """Derives the missing record keys of a store's lines (one per run: it numbers rows that
    have no row number, per file, across every table it is given)."""

    secret: bytes
    derived: int = 0
    _unnumbered: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def for_store(cls, store: Store) -> KeyDeriver:
        # The key ingest uses; created as ingest would if the store has none yet (then no
        # patient key depends on it, and later ingests use the same one).
        return cls(load_or_create_secret(store.secret_path))

    def fill(self, table: pa.Table) -> pa.Table:
        """``table`` with every null (or absent) ``record_key`` derived; other keys kept."""
        n = table.num_rows
        if KEY in table.column_names:
            given = table.column(KEY).combine_chunks().cast(pa.int64())
        else:
            given = pa.nulls(n, pa.int64())
        missing = np.flatnonzero(np.asarray(pc.is_null(given)))
        keys = np.asarray(pc.fill_null(given, 0)).copy()
        if len(missing):
            rows = table if len(missing) == n else table.take(pa.array(missing))
            keys[missing] = self._derive(rows)
            self.derived += len(missing)
        column = pa.array(keys, pa.int64())
        if KEY in table.column_names:
            return table.set_column(table.column_names.index(KEY), KEY, column)
        return table.append_column(KEY, column)

    def _derive(self, rows: pa.Table) -> np.ndarray:
        """Keys of ``rows``: per (source, file), from their row numbers, as ingest does."""
        groups = (
            pa.table(
                {
                    "source": _strings(rows, "source", ""),
                    "file": _file_names(rows),
                    "at": pa.array(np.arange(rows.num_rows)),
                }
            )
            .group_by(["source", "file"], use_threads=False)
            .aggregate([("at", "list")])
        )
        numbers = rows.column("source_row").combine_chunks().cast(pa.int64())
        out = np.zeros(rows.num_rows, dtype=np.int64)
        for source, name, at in zip(*(groups.column(i).to_pylist() for i in range(3)), strict=True):
            rows_of_file = self._numbered(source, name, numbers.take(pa.array(at, pa.int64())))
            out[at] = np.asarray(record_keys(self.secret, source, name, rows_of_file))
        return out

    def _numbered(self, source: str, name: str, numbers: pa.Array) -> pa.Array:
        """Row numbers, missing ones replaced by fresh numbers of this file."""
        absent = np.asarray(pc.is_null(numbers))
        if not absent.any():
            return numbers
        start = UNNUMBERED_FROM + self._unnumbered[(source, name)]
        self._unnumbered[(source, name)] += int(absent.sum())
        filled = np.asarray(pc.fill_null(numbers, 0)).copy()
        filled[absent] = np.arange(start, start + int(absent.sum()))
        return pa.array(filled, pa.int64())


def _strings(rows: pa.Table, name: str, default: str) -> pa.Array:
    return pc.fill_null(rows.column(name).combine_chunks().cast(pa.string()), default)


def _file_names(rows: pa.Table) -> pa.Array:
    """``source_file``, or for a line without one a name made from its ingest batch."""
    batches = _strings(rows, "batch_id", "unknown")
    stand_in = pc.binary_join_element_wise("ingest batch ", batches, "")
    return pc.coalesce(rows.column("source_file").combine_chunks().cast(pa.string()), stand_in)


@dataclass
class KeysReport:
    """What the fill did: files rewritten, lines given keys, the version it committed and
    the rows that version holds (checked equal to the version before)."""

    files: int = 0
    lines: int = 0
    version: int | None = None
    rows: int = 0


def files_missing_keys(store: Store, files: tuple[DataFile, ...]) -> list[DataFile]:
    """The data files holding a line without a record key (reads one column of each)."""
    out = []
    for data_file in files:
        if not data_file.path.is_file():
            raise StoreError(
                f"store file {data_file.path} is missing; `claimscope check` reports the damage"
            )
        reader = pq.ParquetFile(data_file.path)
        # A file from before the column existed lacks it; a compacted one may mix both.
        absent = KEY not in reader.schema_arrow.names
        if absent or reader.read(columns=[KEY]).column(KEY).null_count:
            out.append(data_file)
    return out


def fill_record_keys(store: Store) -> KeysReport:
    """Give every line of the latest version its record key, in one commit (callers hold the
    store lock). A store whose lines all have keys is left as it is."""
    table = ensure_table(store)  # widened first: the log's schema must know the column
    current = snapshot_of(table, store)
    report = KeysReport()
    todo = files_missing_keys(store, current.files)
    if not todo:
        return report
    deriver = KeyDeriver.for_store(store)
    actions: list[AddAction | RemoveAction] = []
    written: list[Path] = []
    try:
        for index, data_file in enumerate(todo):
            # Named after the version this commit will be: a rerun after a kill reuses only
            # names no version references.
            target = _target(data_file, f"{current.version + 1}{index:06d}")
            written.append(target)
            actions += [remove_action(data_file), _rewrite(store, data_file, deriver, target)]
        fault_point("keys:files-written")
        record = {"operation": "record keys", "files": len(todo), "lines": deriver.derived}
        version = commit(store, actions, record, table=table)
    except (OSError, DeltaError, StoreError) as exc:
        for path in written:  # referenced by no version: nothing reads them
            path.unlink(missing_ok=True)
        raise StoreError(
            f"cannot write record keys to the store at {store.root}: {exc}; the store is unchanged"
        ) from exc
    fault_point("keys:committed")
    after = snapshot_of(table, store)
    if after.rows != current.rows:
        raise StoreError(
            f"record keys for {store.root}: version {version} holds {after.rows} rows, "
            f"version {current.version} held {current.rows}"
        )
    report.files, report.lines, report.version = len(todo), deriver.derived, version
    report.rows = after.rows
    return report


def _target(data_file: DataFile, name: str) -> Path:
    owner = BATCH_FILE.match(data_file.path.name)
    # A batch's own file keeps a name that says so (a later --replace removes it whole).
    name = f"{owner.group(1)}-{name}" if owner else f"v{name}"
    return data_file.path.parent / f"{KEYED_PREFIX}-{name}.parquet"


def _rewrite(store: Store, data_file: DataFile, deriver: KeyDeriver, target: Path) -> AddAction:
    """The file written again, row group by row group, with every key present."""
    # String columns read as the dictionaries they are written from (no decode, re-encode).
    dictionaries = [f.name for f in FILE_SCHEMA if pa.types.is_dictionary(f.type)]
    source = pq.ParquetFile(data_file.path, read_dictionary=dictionaries)
    writer = open_parquet(target)
    try:
        for group in range(source.num_row_groups):
            rows = deriver.fill(source.read_row_group(group))
            absent = [n for n in FILE_SCHEMA.names if n not in rows.column_names]
            for n in absent:  # columns added to the schema after the file was written
                rows = rows.append_column(n, pa.nulls(rows.num_rows, FILE_SCHEMA.field(n).type))
            rows = to_write_schema(rows.select(FILE_SCHEMA.names), FILE_SCHEMA)
            writer.write_table(rows, ROW_GROUP_ROWS)
    finally:
        writer.close()
    action = add_action(store, target)
    expected = source.metadata.num_rows
    if pq.read_metadata(target).num_rows != expected or data_file.rows not in (-1, expected):
        raise StoreError(f"{target} does not hold the {expected} rows of {data_file.path}")
    return action
