"""Write canonical claim lines of one ingest batch into the store.

Rows are buffered (up to ``flush_rows``), then sorted by ``service_month`` and ``hcpcs_code``
and written as one Parquet file per month touched, under the batch's staging folder. A small
input file therefore becomes one sorted file per (source, month); a file larger than the
buffer becomes several sorted files per month, numbered ``n``. :meth:`BatchWriter.commit`
moves them into ``lines/<source>/<YYYY-MM>/``; :meth:`BatchWriter.abort` deletes them.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store

DEFAULT_FLUSH_ROWS: Final = 4_000_000
ROW_GROUP_ROWS: Final = 512 * 1024
COMPRESSION: Final = "zstd"
# Two encoders run at once: months are independent files and Parquet encoding releases the GIL.
_WRITE_THREADS: Final = 2


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
        self.months: set[str] = set()
        self.rows_written = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._files: list[Path] = []
        self._pool = ThreadPoolExecutor(_WRITE_THREADS, thread_name_prefix="claimscope-write")
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)

    def write(self, table: pa.Table) -> None:
        """Buffer canonical rows (schema :data:`CLAIM_LINE`); flush when the buffer is full."""
        if table.schema != CLAIM_LINE:
            raise ValueError("BatchWriter.write expects a table with the CLAIM_LINE schema")
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Sort the buffered rows and write one file per month."""
        if not self._pending:
            return
        table = sort_lines(pa.concat_tables(self._pending))
        self._pending, self._pending_rows = [], 0
        jobs = []
        for month, part in split_by_month(table):
            folder = self.staging / month
            folder.mkdir(exist_ok=True)
            path = folder / f"part-{self.batch_id}-{len(self._files)}.parquet"
            self._files.append(path)
            self.months.add(month)
            jobs.append(self._pool.submit(write_parquet, part, path))
        for job in jobs:
            job.result()
        self.rows_written += table.num_rows

    def commit(self) -> list[Path]:
        """Flush, then move the batch's files into ``lines/``; returns their final paths."""
        self.flush()
        self._pool.shutdown()
        final = []
        for path in self._files:
            target_dir = self.store.month_dir(self.source, path.parent.name)
            target_dir.mkdir(parents=True, exist_ok=True)
            target = target_dir / path.name
            os.replace(path, target)
            final.append(target)
        shutil.rmtree(self.staging, ignore_errors=True)
        return final

    def abort(self) -> None:
        """Discard everything this batch wrote."""
        self._pool.shutdown(cancel_futures=True)
        self._pending = []
        shutil.rmtree(self.staging, ignore_errors=True)


def sort_lines(table: pa.Table) -> pa.Table:
    """Rows ordered by ``service_month`` then ``hcpcs_code`` (the store's physical order).

    Sorting on two integer ranks in numpy is several times faster than a multi-key Arrow sort
    on the string column: HCPCS codes are dictionary-encoded, the (few) distinct codes sorted,
    and each row keyed by month * 2**24 + rank of its code.
    """
    if table.num_rows == 0:
        return table
    months = table.column("service_month").combine_chunks().cast(pa.int32())
    codes = table.column("hcpcs_code").combine_chunks().dictionary_encode()
    order = np.argsort(np.asarray(pc.sort_indices(codes.dictionary)), kind="stable")
    rank = order[np.asarray(codes.indices.fill_null(0))]
    key = months.fill_null(0).to_numpy().astype(np.int64) << 24 | rank.astype(np.int64)
    return table.take(pa.array(np.argsort(key, kind="stable")))


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


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write one store file: zstd, dictionary encoding, statistics for pruning."""
    pq.write_table(
        table,
        path,
        compression=COMPRESSION,
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=True,
        write_statistics=True,
    )


def remove_batch(store: Store, source: str, batch_id: str) -> list[Path]:
    """Delete one batch's line files (and its quarantine file); returns what was removed."""
    removed = store.batch_files(source, batch_id)
    for path in removed:
        path.unlink()
        parent = path.parent
        if not any(parent.iterdir()):
            parent.rmdir()
    quarantine = store.quarantine_file(batch_id)
    if quarantine.exists():
        quarantine.unlink()
        removed.append(quarantine)
    return removed
