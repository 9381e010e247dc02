"""Write canonical claim lines of one ingest batch as data files of the claim table.

Rows are buffered up to ``flush_rows``; each flush sorts the buffer by ``service_month`` and
``hcpcs_code`` and appends it, month by month, as row groups to one Parquet file per month
touched (``service_month=YYYY-MM-01/part-<batch_id>-<n>.parquet`` in the table folder; the
month is the partition value, not a column of the file). Flushes run on a background
thread, so sorting and Parquet encoding overlap with the reading and validation of the next
rows (2 cores busy); at most one flush is in flight, which bounds memory to about two
buffers. :meth:`BatchWriter.finish` closes the files and returns their Delta add actions,
which :func:`claimscope.store.table.commit` makes visible in one commit; until then no
reader sees them, and :meth:`BatchWriter.abort` deletes them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store, StoreError
from claimscope.store.table import PARTITION, now_millis

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
# What a data file holds: every column but the partition column (its value is in the log).
FILE_SCHEMA: Final = pa.schema([f for f in WRITE_SCHEMA if f.name != PARTITION])
# Min/max statistics copied into the add actions, so Delta readers (Spark, Databricks) can
# skip files by code, source or batch as they do for files Delta writers made; the last
# period month tells claimscope which files hold rows spanning several months.
LOG_STATISTICS: Final = ("source", "hcpcs_code", "batch_id", "period_end_month")


class BatchWriter:
    """Collects canonical tables for one (source, batch) and writes sorted data files."""

    def __init__(
        self,
        store: Store,
        source: str,
        batch_id: str,
        *,
        flush_rows: int = DEFAULT_FLUSH_ROWS,
        prefix: str = "part",
    ) -> None:
        self.store = store
        self.source = source
        self.batch_id = batch_id
        self.flush_rows = flush_rows
        self.prefix = prefix
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._paths: dict[str, Path] = {}
        self._job: Future[None] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="claimscope-flush")
        self._encoders = ThreadPoolExecutor(_ENCODE_THREADS, thread_name_prefix="claimscope-encode")

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
            with self._store_errors():
                job.result()  # re-raises a failure of the background flush here

    @contextlib.contextmanager
    def _store_errors(self) -> Iterator[None]:
        """A failure to write (disk full, file too large) is the store's, not the input's."""
        try:
            yield
        except OSError as exc:
            raise StoreError(
                f"cannot write to the store at {self.store.root}: {exc.strerror or exc}; "
                "nothing of this file was committed"
            ) from exc

    def _flush(self, tables: list[pa.Table]) -> None:
        # Cast each part first: a column all null in one batch arrives as plain strings while
        # another batch has it dictionary-encoded, and concat_tables needs one schema.
        table = sort_lines(pa.concat_tables([to_write_schema(t) for t in tables]), self._encoders)
        parts = split_by_month(table)
        for month, _ in parts:
            if month not in self._writers:
                folder = self.store.table_dir / month_folder(month)
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{self.prefix}-{self.batch_id}-{len(self._paths)}.parquet"
                self._writers[month], self._paths[month] = open_parquet(path), path
        # Month files are independent: encode them on two threads (Parquet releases the GIL).
        jobs = [
            self._encoders.submit(
                self._writers[month].write_table, part.drop_columns([PARTITION]), ROW_GROUP_ROWS
            )
            for month, part in parts
        ]
        for job in jobs:
            job.result()

    def finish(self) -> list[AddAction]:
        """Write what is buffered, close the files and return their add actions."""
        self._submit()
        self._wait()
        with self._store_errors():
            self._close_writers()
        self._pool.shutdown()
        self._encoders.shutdown()
        return [add_action(self.store, path) for _, path in sorted(self._paths.items())]

    def abort(self) -> None:
        """Discard everything this batch wrote (nothing of it was committed)."""
        self._pending = []
        # The batch is being thrown away: an error of its last flush no longer matters.
        with contextlib.suppress(Exception):
            self._wait()
        self._pool.shutdown(cancel_futures=True)
        self._encoders.shutdown(cancel_futures=True)
        with contextlib.suppress(Exception):
            self._close_writers()
        for path in self._paths.values():
            path.unlink(missing_ok=True)

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


def to_write_schema(table: pa.Table, schema: pa.Schema = WRITE_SCHEMA) -> pa.Table:
    """Cast columns to ``schema`` (strings dictionary-encoded or plain, as decided)."""
    columns = []
    for name, target in zip(table.column_names, schema, strict=True):
        column = table.column(name)
        if column.type != target.type:
            column = (
                pc.dictionary_encode(column)
                if pa.types.is_dictionary(target.type) and not pa.types.is_dictionary(column.type)
                else column.cast(target.type)
            )
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def month_folder(month: str) -> str:
    """The partition folder of ``YYYY-MM`` (Hive style, as Delta writers name it)."""
    return f"{PARTITION}={month}-01"


def add_action(store: Store, path: Path) -> AddAction:
    """The Delta add action of a finished data file: size, partition, row count and stats."""
    metadata = pq.read_metadata(path)
    relative = path.relative_to(store.table_dir).as_posix()
    month = relative.split("/", 1)[0].split("=", 1)[1]
    return AddAction(
        path=relative,
        size=path.stat().st_size,
        partition_values={PARTITION: month},
        modification_time=now_millis(),
        data_change=True,
        stats=json.dumps(file_stats(metadata)),
    )


def file_stats(metadata: pq.FileMetaData) -> dict[str, object]:
    """Delta statistics (row count, min/max of a few string columns) from a Parquet footer."""
    names = metadata.schema.names
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    for name in LOG_STATISTICS:
        index = names.index(name)
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(index).statistics
            if stats is None or not stats.has_min_max:
                continue
            low[name] = min(low.get(name, stats.min), stats.min)
            high[name] = max(high.get(name, stats.max), stats.max)
    return {"numRecords": metadata.num_rows, "minValues": _json(low), "maxValues": _json(high)}


def _json(values: dict[str, Any]) -> dict[str, str]:
    """Statistics as Delta writes them: dates as ISO strings."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def open_parquet(path: Path, schema: pa.Schema = FILE_SCHEMA) -> pq.ParquetWriter:
    """A store file writer: zstd, dictionary encoding, statistics for pruning."""
    return pq.ParquetWriter(
        path,
        schema,
        compression=COMPRESSION,
        # Dictionary pages for strings only: for ids and amounts the attempt costs write time
        # and falls back to plain pages anyway. Row numbers ascend: delta-encoded.
        use_dictionary=[f.name for f in schema if pa.types.is_dictionary(f.type)],
        column_encoding={"source_row": "DELTA_BINARY_PACKED"},
        write_statistics=[c for c in STATISTICS_COLUMNS if c in schema.names],
        store_schema=False,  # readers see plain strings even where we wrote dictionaries
    )
