"""Write canonical claim lines of one ingest batch into the store.

Rows are buffered up to ``flush_rows``; each flush sorts the buffer by ``service_month`` and
``hcpcs_code`` and appends it, month by month, as row groups to one Parquet file per month
touched (``part-<batch_id>-<n>.parquet``). Flushes run on a background thread, so sorting and
Parquet encoding overlap with the reading and validation of the next rows (2 cores busy);
at most one flush is in flight, which bounds memory to about two buffers. A file with fewer
rows than ``flush_rows`` therefore gives fully sorted month files; a larger one gives month
files whose row groups are each sorted. :meth:`BatchWriter.commit` moves the files into
``lines/<source>/<YYYY-MM>/``; :meth:`BatchWriter.abort` deletes them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store

DEFAULT_FLUSH_ROWS: Final = 1_000_000
ROW_GROUP_ROWS: Final = 512 * 1024
COMPRESSION: Final = "zstd"
_ENCODE_THREADS: Final = 2
# Min/max statistics only where queries filter (row-group pruning); computing them for ids
# and amounts would cost write time and help no query.
STATISTICS_COLUMNS: Final = (
    "source", "record_kind", "claim_type", "claim_frequency", "service_from", "service_to",
    "service_month",
    "period_end_month", "rendering_npi", "specialty", "payer_type", "state", "place_of_service",
    "setting", "hcpcs_code", "modifier_1", "line_status", "batch_id",
)  # fmt: skip
# Mostly-distinct string columns are written plain; every other string column is written
# from a dictionary array (fast to sort, and Parquet dictionary-encodes it anyway).
PLAIN_STRINGS: Final = frozenset({"claim_id"})
WRITE_SCHEMA: Final = pa.schema(
    [
        pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
        if f.type == pa.string() and f.name not in PLAIN_STRINGS
        else f
        for f in CLAIM_LINE
    ]
)


class BatchWriter:
    """Collects canonical tables for one (source, batch) and writes sorted Parquet files."""

    def __init__(
        self, store: Store, source: str, batch_id: str, *, flush_rows: int = DEFAULT_FLUSH_ROWS
    ) -> None:
        self.store = store
        self.source = source
        self.batch_id = batch_id
        self.flush_rows = flush_rows
        self.staging = store.batch_staging_dir(batch_id)
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._paths: dict[str, Path] = {}
        self._job: Future[None] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="claimscope-flush")
        self._encoders = ThreadPoolExecutor(_ENCODE_THREADS, thread_name_prefix="claimscope-encode")
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)

    @property
    def months(self) -> set[str]:
        """Months (``YYYY-MM``) this batch has written rows for."""
        return set(self._paths)

    def write(self, table: pa.Table) -> None:
        """Buffer canonical rows (schema :data:`CLAIM_LINE`); flush when the buffer is full."""
        if not conforms(table.schema):
            raise ValueError("BatchWriter.write expects a table with the CLAIM_LINE schema")
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.flush_rows:
            self._submit()

    def _submit(self) -> None:
        """Hand the buffer to the background writer (after the previous flush is done)."""
        if not self._pending:
            return
        tables, self._pending, self._pending_rows = self._pending, [], 0
        self._wait()
        self._job = self._pool.submit(self._flush, tables)

    def _wait(self) -> None:
        if self._job is not None:
            job, self._job = self._job, None
            job.result()  # re-raises a failure of the background flush here

    def _flush(self, tables: list[pa.Table]) -> None:
        # Cast each part first: a column all null in one batch arrives as plain strings while
        # another batch has it dictionary-encoded, and concat_tables needs one schema.
        table = sort_lines(pa.concat_tables([to_write_schema(t) for t in tables]), self._encoders)
        parts = split_by_month(table)
        for month, _ in parts:
            if month not in self._writers:
                folder = self.staging / month
                folder.mkdir(exist_ok=True)
                path = folder / f"part-{self.batch_id}-{len(self._paths)}.parquet"
                self._writers[month], self._paths[month] = open_parquet(path), path
        # Month files are independent: encode them on two threads (Parquet releases the GIL).
        jobs = [
            self._encoders.submit(self._writers[month].write_table, part, ROW_GROUP_ROWS)
            for month, part in parts
        ]
        for job in jobs:
            job.result()

    def commit(self) -> list[Path]:
        """Write what is buffered, then move the batch's files into ``lines/``."""
        self._submit()
        self._wait()
        self._close_writers()
        self._pool.shutdown()
        self._encoders.shutdown()
        final = []
        for month, path in sorted(self._paths.items()):
            target_dir = self.store.month_dir(self.source, month)
            target_dir.mkdir(parents=True, exist_ok=True)
            target = target_dir / path.name
            os.replace(path, target)
            final.append(target)
        shutil.rmtree(self.staging, ignore_errors=True)
        return final

    def abort(self) -> None:
        """Discard everything this batch wrote."""
        self._pending = []
        # The batch is being thrown away: an error of its last flush no longer matters.
        with contextlib.suppress(Exception):
            self._wait()
        self._pool.shutdown(cancel_futures=True)
        self._encoders.shutdown(cancel_futures=True)
        self._close_writers()
        shutil.rmtree(self.staging, ignore_errors=True)

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def conforms(schema: pa.Schema) -> bool:
    """True when ``schema`` is :data:`CLAIM_LINE`, string columns possibly dictionary-encoded.

    Dictionary-encoded strings are cheaper to sort and to write and are stored as plain
    Parquet strings (the Arrow schema is not stored in the files).
    """
    if schema.names != CLAIM_LINE.names:
        return False
    for field, expected in zip(schema, CLAIM_LINE, strict=True):
        actual = field.type
        if pa.types.is_dictionary(actual):
            actual = actual.value_type
        if actual != expected.type:
            return False
    return True


def sort_lines(table: pa.Table, pool: Executor | None = None) -> pa.Table:
    """Rows ordered by ``service_month`` then ``hcpcs_code`` (the store's physical order).

    Sorting on two integer ranks in numpy is several times faster than a multi-key Arrow sort
    on the string column: HCPCS codes are dictionary-encoded, the (few) distinct codes sorted,
    and each row keyed by month * 2**24 + rank of its code. Columns are then gathered in the
    new order, on ``pool``'s threads when given.
    """
    if table.num_rows == 0:
        return table
    table = table.combine_chunks()
    months = table.column("service_month").chunk(0).cast(pa.int32())
    codes = table.column("hcpcs_code").chunk(0)
    if not pa.types.is_dictionary(codes.type):
        codes = codes.dictionary_encode()
    order = np.argsort(np.asarray(pc.sort_indices(codes.dictionary)), kind="stable")
    rank = order[np.asarray(codes.indices.fill_null(0))]
    key = months.fill_null(0).to_numpy().astype(np.int64) << 24 | rank.astype(np.int64)
    permutation = pa.array(np.argsort(key, kind="stable"))
    mapper = pool.map if pool is not None else map
    columns = list(mapper(lambda column: column.take(permutation), table.columns))
    return pa.Table.from_arrays(columns, schema=table.schema)


def split_by_month(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """Contiguous (``YYYY-MM``, rows) slices of a table already sorted by service month."""
    days = table.column("service_month").combine_chunks().cast(pa.int32()).to_numpy()
    starts = [0, *(np.flatnonzero(np.diff(days)) + 1).tolist()]
    ends = [*starts[1:], len(days)]
    out = []
    for start, end in zip(starts, ends, strict=True):
        month = np.datetime64(int(days[start]), "D").astype("datetime64[M]")
        out.append((str(month), table.slice(start, end - start)))
    return out


def to_write_schema(table: pa.Table) -> pa.Table:
    """Cast columns to :data:`WRITE_SCHEMA` (strings dictionary-encoded or plain, as decided)."""
    columns = []
    for name, target in zip(table.column_names, WRITE_SCHEMA, strict=True):
        column = table.column(name)
        if column.type != target.type:
            column = (
                pc.dictionary_encode(column)
                if pa.types.is_dictionary(target.type) and not pa.types.is_dictionary(column.type)
                else column.cast(target.type)
            )
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=WRITE_SCHEMA)


def open_parquet(path: Path) -> pq.ParquetWriter:
    """A store file writer: zstd, dictionary encoding, statistics for pruning."""
    return pq.ParquetWriter(
        path,
        WRITE_SCHEMA,
        compression=COMPRESSION,
        # Dictionary pages for strings only: for ids and amounts the attempt costs write time
        # and falls back to plain pages anyway. Row numbers ascend: delta-encoded.
        use_dictionary=[f.name for f in WRITE_SCHEMA if pa.types.is_dictionary(f.type)],
        column_encoding={"source_row": "DELTA_BINARY_PACKED"},
        write_statistics=list(STATISTICS_COLUMNS),
        store_schema=False,  # readers see plain strings even where we wrote dictionaries
    )


def remove_batch(store: Store, source: str, batch_id: str) -> list[Path]:
    """Delete one batch's line files (and its quarantine file); returns what was removed.

    Rows of the batch inside compacted files (see :mod:`claimscope.store.compact`) are
    removed by rewriting those files without them (returned too).
    """
    from claimscope.store.compact import drop_batch_rows  # compact builds on this module

    removed = store.batch_files(source, batch_id)
    for path in removed:
        path.unlink()
    removed += drop_batch_rows(store, source, batch_id)
    for folder in {path.parent for path in removed}:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    quarantine = store.quarantine_file(batch_id)
    if quarantine.exists():
        quarantine.unlink()
        removed.append(quarantine)
    return removed
