"""Opening the stored claim lines as an Ibis table on the chosen engine.

This is the one place that knows how an engine reaches the data files. A connection fixes
ONE version of the claim table (the latest, or the one ``as_of`` names) the first time it is
asked for lines, and reads exactly that version's file list from then on: a commit, a
compaction or a replace running beside it changes nothing it sees, and it takes no lock.
Months are pruned on the log's partition values before any file is opened. DuckDB is the
default (embedded, nothing to run); PySpark is for stores that outgrow one machine. The
analysis layer receives an Ibis table and never learns which engine is behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store, StoreError
from claimscope.store.table import PARTITION, DataFile, Snapshot, snapshot

ENGINES: Final = ("duckdb", "pyspark")


class Connection:
    """An Ibis backend plus one fixed version of the store's claim lines."""

    def __init__(
        self,
        store_root: Path,
        engine: str = "duckdb",
        *,
        as_of: str | int | None = None,
        **engine_options: Any,
    ):
        if engine not in ENGINES:
            raise StoreError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        self.store_root = Path(store_root)
        self.engine = engine
        self.as_of = as_of
        self._engine_options = engine_options
        self._backend: Any = None
        self._snapshot: Snapshot | None = None

    @property
    def backend(self) -> Any:
        """The Ibis backend, created on first use (Spark start-up costs seconds)."""
        if self._backend is None:
            self._backend = _connect(self.engine, **self._engine_options)
        return self._backend

    @property
    def snapshot(self) -> Snapshot:
        """The version this connection reads, fixed on first use."""
        if self._snapshot is None:
            self._snapshot = snapshot(Store(self.store_root), self.as_of)
        return self._snapshot

    def lines(
        self,
        *,
        sources: Sequence[str] = (),
        month_from: date | None = None,
        month_to: date | None = None,
        spanning_only: bool = False,
    ) -> ir.Table:
        """The canonical claim lines as an Ibis table, pruned to the months asked (and with
        ``spanning_only`` to files that may hold rows spanning months, by the log's stats).

        Files are filed under the month their rows start in, and a row is only counted when
        its whole period lies inside the range, so pruning on the start month loses nothing.
        Sources are filtered by the analysis (a file of a month may hold several sources).
        """
        del sources  # filtered as rows: compacted files mix sources
        files = self.snapshot.files_between(month_from, month_to, spanning_only=spanning_only)
        if not files:
            raise StoreError(
                f"store {self.store_root} (version {self.snapshot.version}) has no claim lines "
                "for the period asked; `claimscope status` lists what is loaded"
            )
        _check_present(files, self.snapshot.version)
        return self._read(files)

    def _read(self, files: Sequence[DataFile]) -> ir.Table:
        paths = [str(f.path) for f in files]
        if self.engine == "duckdb":
            # union_by_name: files written before a column was added read it as null.
            table = self.backend.read_parquet(paths, hive_partitioning=True, union_by_name=True)
        else:
            table = self._spark_read(paths)
        # The month comes from the folder name: typed as the schema says, put back in place.
        table = table.mutate(**{PARTITION: table[PARTITION].cast("date")})
        absent = {  # a column no file of this version has yet: null, as Delta readers give it
            f.name: ibis.null().cast(ibis.dtype(f.type))
            for f in CLAIM_LINE
            if f.name not in table.columns
        }
        return table.mutate(**absent).select(*CLAIM_LINE.names)

    def _spark_read(self, paths: list[str]) -> ir.Table:
        session = self.backend._session
        # basePath: Spark takes the month from the service_month=... folder names.
        reader = session.read.option("basePath", str(Store(self.store_root).table_dir))
        frame = reader.option("mergeSchema", "true").parquet(*paths)
        name = f"claim_lines_v{self.snapshot.version}_{id(self)}"
        frame.createOrReplaceTempView(name)
        result: ir.Table = self.backend.table(name)
        return result

    def close(self) -> None:
        """Release the engine (stops a Spark session this connection started)."""
        if self._backend is not None and self.engine == "duckdb":
            self._backend.disconnect()
        self._backend = None


def _check_present(files: Sequence[DataFile], version: int) -> None:
    """Fail naming the first file the version needs that is gone (never drop rows silently)."""
    for data_file in files:
        if not data_file.path.is_file():
            raise StoreError(
                f"store file {data_file.path} of version {version} is missing; "
                "`claimscope check` reports the damage"
            )


def _connect(engine: str, **options: Any) -> Any:
    if engine == "duckdb":
        return ibis.duckdb.connect(**options)
    return ibis.pyspark.connect(_spark_session(**options))


def _spark_session(master: str = "local[2]", **conf: str) -> Any:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("claimscope")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")  # Spark's INFO/WARN chatter would drown results
    return session
