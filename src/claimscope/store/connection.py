"""Opening the stored claim lines as an Ibis table on the chosen engine.

This is the one place that knows how an engine reaches the Parquet files. DuckDB is the
default (embedded, nothing to run); PySpark is for stores that outgrow one machine. The
analysis layer receives an Ibis table and never learns which engine is behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from claimscope.store.layout import Store, StoreError

ENGINES: Final = ("duckdb", "pyspark")


@dataclass(frozen=True)
class LinesSelection:
    """Which stored files a query needs; months are pruned by directory before any read."""

    files: tuple[Path, ...]
    sources: tuple[str, ...]


def select_files(
    store_root: Path,
    *,
    sources: Sequence[str] = (),
    month_from: date | None = None,
    month_to: date | None = None,
) -> LinesSelection:
    """The Parquet files under ``store_root`` for the given sources and month range.

    Files live under the month their rows start in. A row is only counted when its whole
    period lies inside the range, so pruning directories on the start month loses nothing.
    """
    lines_root = Store(store_root).lines_dir
    if not lines_root.is_dir():
        raise StoreError(
            f"no claim lines in store {store_root}: load some with `claimscope ingest PATH`"
        )
    wanted = set(sources)
    files: list[Path] = []
    found_sources: set[str] = set()
    for source_dir in sorted(p for p in lines_root.iterdir() if p.is_dir()):
        if wanted and source_dir.name not in wanted:
            continue
        for month_dir in sorted(p for p in source_dir.iterdir() if p.is_dir()):
            if not _month_dir_in_range(month_dir.name, month_from, month_to):
                continue
            parts = sorted(month_dir.glob("*.parquet"))
            if parts:
                files.extend(parts)
                found_sources.add(source_dir.name)
    if wanted - found_sources and not files:
        missing = ", ".join(sorted(wanted - found_sources))
        raise StoreError(f"store {store_root} has no lines for source(s) {missing}")
    return LinesSelection(files=tuple(files), sources=tuple(sorted(found_sources)))


def _month_dir_in_range(name: str, month_from: date | None, month_to: date | None) -> bool:
    try:
        year, month = (int(x) for x in name.split("-"))
        first = date(year, month, 1)
    except ValueError:
        return False
    if month_to is not None and first > month_to:
        return False
    return month_from is None or first >= month_from


class Connection:
    """An Ibis backend plus the knowledge of where the store's claim lines are."""

    def __init__(self, store_root: Path, engine: str = "duckdb", **engine_options: Any):
        if engine not in ENGINES:
            raise StoreError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        self.store_root = Path(store_root)
        self.engine = engine
        self._engine_options = engine_options
        self._backend: Any = None

    @property
    def backend(self) -> Any:
        """The Ibis backend, created on first use (Spark start-up costs seconds)."""
        if self._backend is None:
            self._backend = _connect(self.engine, **self._engine_options)
        return self._backend

    def lines(
        self,
        *,
        sources: Sequence[str] = (),
        month_from: date | None = None,
        month_to: date | None = None,
    ) -> ir.Table:
        """The canonical claim lines as an Ibis table, pruned to the sources and months asked."""
        selection = select_files(
            self.store_root, sources=sources, month_from=month_from, month_to=month_to
        )
        if not selection.files:
            raise StoreError(
                f"store {self.store_root} has no claim lines for the period asked; "
                "`claimscope sources` lists what is loaded"
            )
        return self._read(selection.files)

    def _read(self, files: Sequence[Path]) -> ir.Table:
        if self.engine == "duckdb":
            return self.backend.read_parquet([str(f) for f in files], hive_partitioning=False)
        # Spark reads one path (globs allowed); row filters prune by Parquet statistics.
        table: ir.Table = self.backend.read_parquet(Store(self.store_root).lines_glob)
        return table

    def close(self) -> None:
        """Release the engine (stops a Spark session this connection started)."""
        if self._backend is not None and self.engine == "duckdb":
            self._backend.disconnect()
        self._backend = None


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
