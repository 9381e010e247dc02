"""The claim-line Delta table: its versions, snapshots and commits.

Every change of the store is one Delta commit, written with the ``deltalake`` package
(delta-rs): an ingest adds its data files and carries its ingest record in the same commit's
metadata, a ``--replace`` removes the old rows and adds the new in one commit, compaction is
Delta's optimize. A reader fixes one version and reads exactly that version's file list, so
it sees every commit whole or not at all, whatever runs beside it.

The table is partitioned by ``service_month`` (plain Hive folders ``service_month=YYYY-MM-01``),
so month pruning is a filter on the log's partition values. No table feature a plain Parquet
read of the file list would misread is enabled: no deletion vectors, no column mapping
(delta-rs leaves both off unless asked).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import DeltaError, TableNotFoundError
from deltalake.transaction import AddAction, RemoveAction

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store, StoreError

PARTITION: Final = "service_month"
RECORD_KEY: Final = "claimscope"  # key of claimscope's own block in each commit's metadata
# Checkpoints keep opening a long history fast. Commit files are never cleaned up: they hold
# the ingest records (sources, duplicates, --replace by identity) and every --as-of version.
# The rest are delta-rs defaults (no deletion vectors, no column mapping: readers of the
# plain file list stay correct).
TABLE_CONFIG: Final = {
    "delta.checkpointInterval": "20",
    "delta.enableExpiredLogCleanup": "false",
}


@dataclass(frozen=True)
class DataFile:
    """One data file of a version: where it is, its month and its row count (from the log)."""

    path: Path
    relative: str
    month: date
    rows: int
    size: int
    last_period_month: date | None = None  # from the log's statistics, when written

    @property
    def spans_months(self) -> bool:
        """Whether the file may hold rows whose period runs past its month (aggregates)."""
        return self.last_period_month is None or self.last_period_month > self.month


@dataclass(frozen=True)
class Snapshot:
    """One version of the table and its files; everything a reader needs, fixed."""

    version: int
    time: str
    files: tuple[DataFile, ...]

    def files_between(
        self, month_from: date | None, month_to: date | None, *, spanning_only: bool = False
    ) -> list[DataFile]:
        """Files whose partition month lies in the range (rows are filed by start month);
        with ``spanning_only`` just those that may hold rows spanning several months."""
        return [
            f
            for f in self.files
            if (month_from is None or f.month >= month_from)
            and (month_to is None or f.month <= month_to)
            and (f.spans_months or not spanning_only)
        ]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


def table_schema() -> pa.Schema:
    """The table's columns: exactly :data:`claimscope.schema.CLAIM_LINE`."""
    return CLAIM_LINE


def ensure_table(store: Store) -> DeltaTable:
    """The store's table, created (empty, version 0) if the store has none yet, its schema
    widened by one commit when :data:`CLAIM_LINE` has gained columns since."""
    if store.has_table():
        table = DeltaTable(str(store.table_dir))
        _add_new_columns(table)
        return table
    store.table_dir.mkdir(parents=True, exist_ok=True)
    return DeltaTable.create(
        str(store.table_dir),
        table_schema(),
        partition_by=[PARTITION],
        name="claim_lines",
        configuration=TABLE_CONFIG,
        commit_properties=CommitProperties(custom_metadata={RECORD_KEY: {"operation": "create"}}),
    )


def _add_new_columns(table: DeltaTable) -> None:
    """Columns added to the schema since the table was made (older files read them as null)."""
    known = {f.name for f in table.schema().fields}
    new = [f for f in table_schema() if f.name not in known]
    if new:
        delta = DeltaSchema.from_arrow(pa.schema(new))
        table.alter.add_columns(
            list(delta.fields),
            commit_properties=CommitProperties(
                custom_metadata={RECORD_KEY: {"operation": "add columns"}}
            ),
        )


def parse_as_of(as_of: str | int | None) -> int | datetime | None:
    """``--as-of``: a version number, or an ISO date/time (UTC unless it says otherwise)."""
    if as_of is None or isinstance(as_of, int):
        return as_of
    text = as_of.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise StoreError(
            f"--as-of {as_of!r} is neither a version number nor a date/time "
            "(e.g. 12, 2024-05-01 or 2024-05-01T09:30:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def open_table(store: Store, as_of: str | int | None = None) -> DeltaTable:
    """The table at ``as_of`` (default: the latest version). Never takes the store lock."""
    if not store.has_table():
        raise StoreError(store.missing_message())
    wanted = parse_as_of(as_of)
    try:
        table = DeltaTable(str(store.table_dir))
        if wanted is not None:
            latest = table.version()
            if isinstance(wanted, int) and wanted > latest:
                raise StoreError(f"store {store.root} has versions 0..{latest}, not {wanted}")
            if isinstance(wanted, datetime):
                wanted = _version_at(table, wanted, store, as_of)
            table.load_as_version(wanted)
    except TableNotFoundError:
        raise StoreError(store.missing_message()) from None
    except DeltaError as exc:
        raise StoreError(f"cannot open version {as_of} of store {store.root}: {exc}") from None
    return table


def _version_at(table: DeltaTable, moment: datetime, store: Store, as_of: object) -> int:
    """The newest version committed at or before ``moment``, by the commit times the log
    records (the times ``status`` and every output show). delta-rs' own time travel goes by
    the log files' modification times, a little later than those, so asking for the time an
    output printed could give the version before it.
    """
    millis = int(moment.timestamp() * 1000)
    history = table.history()
    eligible = [int(e["version"]) for e in history if int(e.get("timestamp", 0)) <= millis]
    if not eligible:
        first = min(history, key=lambda e: int(e["version"]))
        raise StoreError(
            f"store {store.root} did not exist yet at {as_of} "
            f"(version {first['version']} was committed at "
            f"{iso_time(int(first.get('timestamp', 0)))})"
        )
    return max(eligible)


def snapshot(store: Store, as_of: str | int | None = None) -> Snapshot:
    """The version asked (default latest) and its data files, from the log alone."""
    table = open_table(store, as_of)
    return snapshot_of(table, store)


def snapshot_of(table: DeltaTable, store: Store) -> Snapshot:
    actions = pa.table(table.get_add_actions(flatten=True))
    columns = actions.to_pydict()
    last = columns.get("max.period_end_month") or [None] * actions.num_rows
    files = tuple(
        DataFile(
            path=store.table_dir / relative,
            relative=relative,
            month=month,
            rows=int(rows if rows is not None else -1),
            size=int(size),
            last_period_month=end,
        )
        for relative, month, rows, size, end in zip(
            columns["path"],
            columns[f"partition.{PARTITION}"],
            columns["num_records"],
            columns["size_bytes"],
            last,
            strict=True,
        )
    )
    return Snapshot(table.version(), version_time(table), tuple(sorted(files, key=_file_key)))


def _file_key(f: DataFile) -> tuple[date, str]:
    return f.month, f.relative


def version_time(table: DeltaTable) -> str:
    """When the loaded version was committed, ISO 8601 UTC (its ``commitInfo`` time, which
    ``--as-of`` resolves by).

    Read from that version's commit file (``history`` lists from the newest commit, whatever
    version is loaded); a commit file already cleaned up falls back to the history.
    """
    version = table.version()
    commit_file = (
        Path(table.table_uri.removeprefix("file://")) / "_delta_log" / f"{version:020d}.json"
    )
    try:
        with commit_file.open(encoding="utf-8") as handle:
            for line in handle:
                info = json.loads(line).get("commitInfo")
                if info is not None:
                    return iso_time(int(info.get("timestamp", 0)))
    except OSError:
        pass
    for entry in table.history():
        if entry.get("version") == version:
            return iso_time(int(entry.get("timestamp", 0)))
    return iso_time(0)


def iso_time(millis: int) -> str:
    # Milliseconds, as the log records them: the time read back as --as-of names that version.
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")


def commit(
    store: Store,
    actions: Sequence[AddAction | RemoveAction],
    metadata: dict[str, Any],
    *,
    table: DeltaTable | None = None,
) -> int:
    """Commit ``actions`` as one new version carrying ``metadata``; returns that version.

    Files the add actions name must already be complete in the table folder: until this
    commit's log entry exists no reader sees them, and once it exists every reader of a later
    version sees all of them. ``table``: the latest version from :func:`ensure_table`, when
    the caller already has it open.
    """
    if table is None:
        table = ensure_table(store)
    table.create_write_transaction(
        list(actions),
        "append",
        table_schema(),
        partition_by=[PARTITION],
        commit_properties=CommitProperties(custom_metadata={RECORD_KEY: metadata}),
    )
    table.update_incremental()
    return table.version()


@dataclass(frozen=True)
class Commit:
    """One version as the log tells it: what Delta did and claimscope's own record of why."""

    version: int
    time: str
    operation: str
    record: dict[str, Any]
    metrics: dict[str, Any]


def commits(store: Store, *, upto: str | int | None = None) -> list[Commit]:
    """Every version of the table (oldest first), up to ``upto`` when given."""
    table = open_table(store, upto)
    loaded = table.version()
    out = []
    for entry in table.history():
        if int(entry["version"]) > loaded:  # history starts from the newest commit
            continue
        block = entry.get(RECORD_KEY) or {}
        if isinstance(block, str):  # metadata values written as JSON text
            block = json.loads(block)
        out.append(
            Commit(
                version=int(entry["version"]),
                time=iso_time(int(entry.get("timestamp", 0))),
                operation=str(entry.get("operation", "")),
                record=block,
                metrics=dict(entry.get("operationMetrics") or {}),
            )
        )
    return sorted(out, key=lambda c: c.version)


def now_millis() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def read_lines(store: Store, as_of: str | int | None = None) -> pa.Table:
    """Every line of one version as Arrow, through delta-rs' own reader (checks and tests:
    an independent path from the engines' reads of the file list)."""
    table = open_table(store, as_of).to_pyarrow_table()
    return pa.table(table).select(CLAIM_LINE.names).cast(CLAIM_LINE)
