"""The ingest pipeline: files -> format reader -> validation -> canonical lines -> store.

Each input file is one *batch*: its lines are written as data files of the store's Delta
table and made visible by ONE commit once the whole file was read; the commit carries the
file's ingest record (see :mod:`claimscope.store.ledger`), so lines and record appear
together or not at all. Every file of a run is attempted: a file that cannot be read leaves
nothing visible and is reported as ``rejected`` with the reason, and the run goes on with the
next file (each file loaded has its own commit). A file's identity is its source plus its
name (or ``batch_key``): loading an identity again is skipped unless ``replace=True``, whose
one commit removes the old rows and adds the new. Content (SHA-256) already loaded under any
identity is skipped unless ``allow_duplicate``.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from claimscope.ingest import registry
from claimscope.ingest.base import FormatReader, IngestError, ReadOptions, StagingBatch
from claimscope.ingest.canonical import BatchContext, build_lines
from claimscope.ingest.detect import UnrecognisedFormat, detect_format
from claimscope.ingest.prefetch import prefetch
from claimscope.ingest.pseudonymise import Pseudonymiser
from claimscope.ingest.quarantine import QuarantineWriter, warnings_file
from claimscope.ingest.report import (
    REJECTED,
    SKIPPED,
    FileReport,
    IngestOptions,
    IngestReport,
    ProgressEvent,
    Warnings,
)
from claimscope.ingest.validate import check_batch
from claimscope.store.batches import commit_batch
from claimscope.store.layout import Store, StoreError, check_source_label
from claimscope.store.ledger import Ledger, LedgerEntry, file_sha256, identity_of
from claimscope.store.secret import load_or_create_secret
from claimscope.store.upgrade import upgrade_if_needed
from claimscope.store.writer import BatchWriter

Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class _Planned:
    path: Path
    format: str | None
    source: str
    reader: FormatReader | None  # None: not to be read; ``status`` and ``note`` say why
    note: str = ""
    status: str = REJECTED


def ingest_paths(
    paths: Sequence[Path],
    store: Store,
    *,
    fmt: str | None = None,
    source: str | None = None,
    replace: bool = False,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load files (directories expand to the files under them) into ``store``.

    ``fmt`` forces a format (else each file is detected); ``source`` labels every file's rows
    (else the reader's default: ``cms_puf_<year>``, or the format name). Formats and labels are
    worked out for every file before anything is written. Every file is attempted; the report
    says for each whether it was loaded, skipped or rejected (and why). Only an unusable
    ``source`` label or a failure of the store itself stops the run.
    """
    options = options or IngestOptions()
    read_options = ReadOptions(
        batch_rows=options.batch_rows, year=options.year, providers=options.providers
    )
    if source is not None:
        _checked_label(source)
    plan = [
        _Planned(path, None, source or "", None, problem)
        if problem
        else _plan(path, explicit, fmt, source, read_options)
        for path, explicit, problem in _expand(paths)
    ]
    reports: list[FileReport] = []
    with store.lock():
        upgrade_if_needed(store)  # a store in the pre-Delta layout is converted first
        # Read the log's ingest records once; each commit below updates this list in step.
        entries = Ledger(store).entries()
        secret = load_or_create_secret(store.secret_path)
        for index, item in enumerate(plan):
            if item.reader is None or item.format is None:
                reports.append(_not_read(item))
                continue
            try:
                counter = _Counter(item.path, index, len(plan), progress)
                reports.append(
                    _ingest_file(
                        item, store, entries, secret, read_options, options, replace, counter
                    )
                )
            except IngestError as exc:
                reports.append(
                    FileReport(item.path, item.format, item.source, status=REJECTED,
                               reason=str(exc))
                )  # fmt: skip
    return IngestReport(files=reports, quarantine_path=store.quarantine_dir)


def _not_read(item: _Planned) -> FileReport:
    return FileReport(
        item.path, item.format or "unknown", item.source, status=item.status, reason=item.note
    )


def _expand(paths: Sequence[Path]) -> Iterator[tuple[Path, bool, str | None]]:
    """(file, named explicitly?, problem) for every path; directories give their non-hidden
    files. A path that is neither a file nor a directory with files comes with its problem."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            if not found:
                yield path, True, f"{path}: directory has no files to ingest"
            yield from ((p, False, None) for p in found)
        elif path.is_file():
            yield path, True, None
        else:
            yield path, True, f"{path}: no such file or directory"


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _plan(
    path: Path, explicit: bool, fmt: str | None, source: str | None, options: ReadOptions
) -> _Planned:
    """What to do with one file: its format, reader and source label, or why it is not read
    (an unrecognised file inside a directory is skipped; one named explicitly is rejected)."""
    try:
        name = fmt or detect_format(path)
    except UnrecognisedFormat as exc:
        return _Planned(path, None, source or "", None, str(exc), REJECTED if explicit else SKIPPED)
    except IngestError as exc:
        return _Planned(path, None, source or "", None, str(exc))
    try:
        reader = registry.get_reader(name)
    except KeyError as exc:
        raise IngestError(f"{path}: {exc.args[0]}") from None
    default = getattr(reader, "default_source", None)
    try:
        label = _checked_label(source or (default(path, options) if default else name))
    except IngestError as exc:
        return _Planned(path, name, source or "", None, str(exc))
    return _Planned(path, name, label, reader)


def _checked_label(label: str) -> str:
    """The label if usable as a store folder name; an :class:`IngestError` saying why if not."""
    try:
        return check_source_label(label)
    except StoreError as exc:
        raise IngestError(str(exc)) from None


class _Counter:
    """Running counts of one file, and its progress events."""

    def __init__(self, path: Path, index: int, count: int, progress: Progress | None) -> None:
        self.path, self.index, self.count, self.progress = path, index, count, progress
        self.read = self.loaded = self.quarantined = 0
        self.flags: Counter[tuple[str, str]] = Counter()  # soft findings on loaded rows
        try:
            self.bytes_total = path.stat().st_size
        except OSError as exc:
            raise IngestError(f"{path}: cannot read: {exc.strerror or exc}") from exc

    def emit(self, bytes_read: int | None, done: bool = False) -> None:
        if self.progress is not None:
            self.progress(
                ProgressEvent(
                    self.path, self.index, self.count, self.read, bytes_read, self.bytes_total, done
                )
            )


def _ingest_file(
    item: _Planned,
    store: Store,
    entries: list[LedgerEntry],
    secret: bytes,
    read_options: ReadOptions,
    options: IngestOptions,
    replace: bool,
    counter: _Counter,
) -> FileReport:
    assert item.reader is not None and item.format is not None
    report = FileReport(item.path, item.format, item.source)
    try:
        sha256 = file_sha256(item.path)
    except OSError as exc:  # the file vanished or became unreadable since planning
        raise IngestError(f"{item.path}: cannot read: {exc.strerror or exc}") from exc
    identity = identity_of(item.source, options.batch_key or item.path.name)
    previous = [e for e in entries if e.identity == identity]
    skip = _skip_reason(identity, sha256, entries, previous, replace, options.allow_duplicate)
    if skip is not None:
        report.status = SKIPPED
        report.batch_id, report.reason = skip
        return report
    batch_id = new_batch_id()
    pseudonymiser = Pseudonymiser(secret, item.source)
    ctx = BatchContext(item.source, item.format, batch_id, str(item.path), pseudonymiser)
    writer = BatchWriter(store, item.source, batch_id)
    # Named by batch id, so files left by a run killed before its commit are never listed.
    quarantine = QuarantineWriter(store.quarantine_dir / f".{batch_id}.partial.csv")
    flagged = QuarantineWriter(store.quarantine_dir / f".{batch_id}.warnings.partial.csv")
    warnings = Warnings()
    try:
        for staging in prefetch(_batches(item, read_options)):
            _load_batch(staging, ctx, options, writer, (quarantine, flagged), warnings, counter)
        _reconcile(counter)
        actions = writer.finish()
        quarantine_file = quarantine.commit(store.quarantine_file(batch_id))
        report.warnings_file = flagged.commit(warnings_file(store, batch_id))
        report.read, report.loaded = counter.read, counter.loaded
        report.quarantined = counter.quarantined
        report.warnings = warnings.messages()
        report.batch_id = batch_id
        report.quarantine_file = quarantine_file
        report.quarantine_reasons = dict(quarantine.reasons.most_common())
        report.warning_reasons = dict(counter.flags.most_common())
        report.months = sorted(writer.months)
        entry = _record(item, store, report, sha256, identity, counter, previous)
        # One commit: the old identity's rows go, the new rows and their record arrive.
        commit_batch(store, actions, entry, replaces={e.batch_id for e in previous})
    except BaseException:
        quarantine.abort()
        flagged.abort()
        writer.abort()
        raise
    # The live records as the log now has them (as live_entries would read them back).
    entries[:] = [e for e in entries if e not in previous]
    entries.append(entry)
    counter.emit(counter.bytes_total, done=True)
    return report


def _skip_reason(
    identity: str,
    sha256: str,
    entries: list[LedgerEntry],
    previous: list[LedgerEntry],
    replace: bool,
    allow_duplicate: bool,
) -> tuple[str, str] | None:
    """(batch id, warning) when the file must not be loaded; None to load it."""
    if previous and not replace:
        first = previous[0]
        return first.batch_id, (
            f"{identity} was already loaded as batch {first.batch_id} at {first.ingested_at}; "
            "use --replace to restate it (or --batch-key to load it as another batch)"
        )
    same = [e for e in entries if e.sha256 == sha256 and e not in previous]
    if same and not allow_duplicate:
        first = same[0]
        return first.batch_id, (
            f"the same content was already loaded as {first.identity} (batch "
            f"{first.batch_id}); skipped so no line counts twice (--allow-duplicate loads it)"
        )
    return None


def _record(
    item: _Planned,
    store: Store,
    report: FileReport,
    sha256: str,
    identity: str,
    counter: _Counter,
    previous: list[LedgerEntry],
) -> LedgerEntry:
    """The ingest record that travels in the batch's commit."""
    assert report.batch_id is not None and item.format is not None
    return LedgerEntry(
        batch_id=report.batch_id,
        path=str(item.path.resolve()),
        size=counter.bytes_total,
        sha256=sha256,
        format=item.format,
        source=item.source,
        read=report.read,
        loaded=report.loaded,
        quarantined=report.quarantined,
        months=report.months,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        identity=identity,
        quarantine_file=str(report.quarantine_file.relative_to(store.root))
        if report.quarantine_file
        else None,
        quarantine_reasons=[
            {"field": f, "reason": r, "rows": n} for (f, r), n in report.quarantine_reasons.items()
        ],
        warnings=report.warnings,
        warnings_file=str(report.warnings_file.relative_to(store.root))
        if report.warnings_file
        else None,
        warning_reasons=[
            {"field": f, "reason": r, "rows": n} for (f, r), n in report.warning_reasons.items()
        ],
        replaces=[e.batch_id for e in previous],
    )


def _batches(item: _Planned, options: ReadOptions) -> Iterator[StagingBatch]:
    """The reader's batches; low-level read failures become :class:`IngestError` naming the file."""
    assert item.reader is not None
    try:
        yield from item.reader.read(item.path, options)
    except IngestError:
        raise
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, ValueError) as exc:
        raise IngestError(f"{item.path}: cannot be read as {item.format}: {exc}") from exc


def _load_batch(
    staging: StagingBatch,
    ctx: BatchContext,
    options: IngestOptions,
    writer: BatchWriter,
    outputs: tuple[QuarantineWriter, QuarantineWriter],
    warnings: Warnings,
    counter: _Counter,
) -> None:
    """Validate one staging batch, write its lines, and its quarantine and warnings rows."""
    quarantine, flagged = outputs
    table = staging.table
    if "source_row" in table.column_names:
        rows = table.column("source_row").combine_chunks().cast(pa.int64())
    else:  # readers should number rows; fall back to counting
        first = counter.read + 1
        rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
    checked = check_batch(
        table,
        file=ctx.source_file,
        rows=rows,
        limits=options.limits,
        field_names=dict(staging.field_names or {}),
        strict=options.strict,
    )
    lines = build_lines(checked, rows, ctx, warnings)
    writer.write(lines)
    quarantine.write_records(staging.quarantined)
    quarantine.write_table(checked.quarantine)
    flagged.write_table(checked.flagged)
    counter.flags.update(checked.warnings)
    for message in staging.warnings:
        warnings.add(message)
    counter.read += staging.read_count
    counter.loaded += lines.num_rows
    counter.quarantined += len(staging.quarantined) + checked.quarantine.num_rows
    counter.emit(staging.bytes_read)


def _reconcile(counter: _Counter) -> None:
    if counter.read != counter.loaded + counter.quarantined:
        raise AssertionError(
            f"{counter.path}: read {counter.read} rows but loaded {counter.loaded} and "
            f"quarantined {counter.quarantined}: the reader's counts do not reconcile"
        )


def new_batch_id() -> str:
    """A sortable, unique batch id: UTC time plus 6 random hex digits."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"{stamp}-{secrets.token_hex(3)}"


__all__ = ["IngestError", "IngestOptions", "IngestReport", "ProgressEvent", "ingest_paths"]
