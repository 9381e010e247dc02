"""Commands that write data: ``ingest`` (into the store) and ``synth`` (synthetic claims)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from claimscope.cli.app import StoreOption, app, console, err_console, fail, run_safely, store_root
from claimscope.cli.render import to_json
from claimscope.ingest.registry import format_names
from claimscope.ingest.report import ProgressEvent

if TYPE_CHECKING:
    from claimscope.ingest.report import IngestReport

REPORT_FORMATS = ("table", "json")
SYNTH_FORMATS = ("parquet", "csv", "837p", "fhir")


def _split_format(fmt: str | None, input_format: str | None) -> tuple[str | None, str]:
    """(input format, report format). ``--format`` takes either, as documented."""
    if fmt is None or fmt in REPORT_FORMATS:
        return input_format, fmt or "table"
    if fmt in format_names():
        if input_format and input_format != fmt:
            fail(f"--format {fmt} and --input-format {input_format} disagree")
        return fmt, "table"
    return fail(
        f"--format {fmt!r} is neither a report format ({', '.join(REPORT_FORMATS)}) nor an "
        f"input format ({', '.join(format_names())})"
    )


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or directories to load.", metavar="PATH...")
    ],
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            help=f"Input format, else detected: {', '.join(format_names())}.",
            metavar="FORMAT",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Report as table or json; an input format name also works here.",
            metavar="FORMAT",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Source label for the rows (default from the format).", metavar="LABEL"),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            help="Calendar year of a CMS PUF file whose name does not say it.", metavar="YYYY"
        ),
    ] = None,
    providers: Annotated[
        Path | None,
        typer.Option(help="Tuva provider file to enrich lines (taxonomy, state).", metavar="FILE"),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace what this file's identity loaded before."),
    ] = False,
    batch_key: Annotated[
        str | None,
        typer.Option(
            "--batch-key", help="Identity of the file instead of its name.", metavar="KEY"
        ),
    ] = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option("--allow-duplicate", help="Load content already loaded under another name."),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Quarantine rows whose identifiers (NPI, taxonomy, state...) fail validation "
            "instead of loading them with those values unknown.",
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Load claim files into the store; every row is loaded or quarantined with its reason.

    Every file is attempted; the exit status is 2 when any file was rejected.
    """
    from claimscope.ingest.pipeline import ingest_paths
    from claimscope.ingest.report import IngestOptions
    from claimscope.store.layout import Store

    in_fmt, out_fmt = _split_format(fmt, input_format)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=out_fmt == "json",
    )
    tasks: dict[Path, TaskID] = {}

    def on_progress(event: ProgressEvent) -> None:
        if event.path not in tasks:
            label = f"[{event.file_index + 1}/{event.file_count}] {event.path.name}"
            tasks[event.path] = progress.add_task(label, total=None, rows=0)
        progress.update(tasks[event.path], **progress_step(event))

    def action() -> IngestReport:
        with progress:
            return ingest_paths(
                paths,
                Store.open(store_root(store)),
                fmt=in_fmt,
                source=source,
                replace=replace,
                options=IngestOptions(
                    year=year,
                    providers=providers,
                    strict=strict,
                    batch_key=batch_key,
                    allow_duplicate=allow_duplicate,
                ),
                progress=on_progress,
            )

    report = run_safely(action)
    if out_fmt == "json":
        console.out(to_json(report.to_dict()), highlight=False)
    else:
        _print_report(report)
    if report.rejected:
        for f in report.rejected:
            err_console.print(f"[bold red]error:[/] {f.reason}", highlight=False, soft_wrap=True)
        err_console.print(
            f"{len(report.rejected)} of {len(report.files)} files rejected (nothing of them "
            "was loaded); the others were attempted",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)


def _print_report(report: IngestReport) -> None:
    console.print(_ingest_table(report))
    console.print(
        f"read {report.read:,} = loaded {report.loaded:,} + quarantined {report.quarantined:,}"
    )
    for f in report.files:
        for label, reasons, path in (
            ("quarantined", f.quarantine_reasons, f.quarantine_file),
            ("loaded as unknown", f.warning_reasons, f.warnings_file),
        ):
            if reasons:
                listed = "; ".join(f"{fld}: {why} ({n:,})" for (fld, why), n in reasons.items())
                console.print(f"  {f.path.name} {label}: {listed}", highlight=False, soft_wrap=True)
                console.print(f"  rows and values: {path}", highlight=False, soft_wrap=True)


def progress_step(event: ProgressEvent) -> dict[str, Any]:
    """How far a file's bar stands: bytes read when the reader reports them (a bar that moves
    with the file), else an indeterminate bar counting rows; full only when the file is done.
    """
    step: dict[str, Any] = {"rows": event.rows_read}
    if event.done:
        step.update(total=event.bytes_total or 1, completed=event.bytes_total or 1)
    elif event.bytes_read is not None and event.bytes_total:
        step.update(total=event.bytes_total, completed=min(event.bytes_read, event.bytes_total))
    return step


def _common_folder(paths: list[Path]) -> Path | None:
    """The folder every file is in (named once, in the title), or ``None`` if there is none
    worth naming; long paths in every row would leave the table no room."""
    if not paths:
        return None
    try:
        folder = Path(os.path.commonpath([p.parent for p in paths]))
    except ValueError:  # relative and absolute paths mixed
        return None
    return folder if folder.parts and folder != Path(".") else None


def _ingest_table(report: IngestReport) -> Table:
    folder = _common_folder([Path(f.path) for f in report.files])
    title = f"Ingest of {folder}" if folder else "Ingest"
    table = Table(title=title, title_justify="left")
    names = [str(Path(f.path).relative_to(folder)) if folder else str(f.path) for f in report.files]
    headers = ("File", "Outcome", "Format", "Source", "Read", "Loaded", "Quarantined", "Note")
    for header in headers:
        table.add_column(
            header,
            justify="right" if header in ("Read", "Loaded", "Quarantined") else "left",
            # Wrapped, never cut: a user must be able to find the file and read the reason.
            overflow="fold" if header in ("File", "Note") else "ellipsis",
            min_width=min(32, max(map(len, names), default=4)) if header == "File" else None,
        )
    for f, name in zip(report.files, names, strict=True):
        # The reason names the file for the error line; the File column already does here.
        reason = f.reason.removeprefix(f"{f.path}: ") if f.reason else None
        note = "; ".join([reason] if reason else f.warnings)
        table.add_row(
            name,
            f.status,
            f.format,
            f.source,
            f"{f.read:,}",
            f"{f.loaded:,}",
            f"{f.quarantined:,}",
            note,
        )
    return table


@app.command()
def synth(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Directory to write (created; must hold no other files).", metavar="DIR"
        ),
    ],
    lines: Annotated[
        int, typer.Option("--lines", help="Number of claim lines.", metavar="N")
    ] = 2_000_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: same seed, same bytes.", metavar="SEED")
    ] = 42,
    fmt: Annotated[
        str,
        typer.Option("--format", help=f"Output: {', '.join(SYNTH_FORMATS)}.", metavar="FORMAT"),
    ] = "parquet",
) -> None:
    """Write seeded synthetic all-payor claims calibrated to published PM&R utilization."""
    from claimscope.synth import write_synthetic

    if fmt not in SYNTH_FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(SYNTH_FORMATS)}")
    if lines < 1:
        fail("--lines must be at least 1")
    progress = Progress(
        TextColumn("[bold]synthesising"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )

    def action() -> None:
        with progress:
            task = progress.add_task("lines", total=lines)

            def step(done: int) -> None:
                progress.update(task, completed=done)

            if fmt in ("parquet", "csv"):
                report = write_synthetic(out, lines, seed, fmt, progress=step)
                console.print(
                    f"wrote {report.lines:,} lines on {report.claims:,} claims for "
                    f"{report.patients:,} patients and {report.providers:,} providers to {out} "
                    f"({len(report.files)} files, {report.seconds:.1f}s). The data is synthetic."
                )
            else:
                _write_exchange_format(out, lines, seed, fmt)

    run_safely(action)


def _write_exchange_format(out: Path, lines: int, seed: int, fmt: str) -> None:
    from claimscope.synth import generate_claims

    out.mkdir(parents=True, exist_ok=True)
    if fmt == "837p":
        from claimscope.synth.x12_writer import write_837p

        summary = write_837p(generate_claims(lines, seed), out / "synthetic.837")
    else:
        from claimscope.synth.fhir_writer import write_fhir_ndjson

        summary = write_fhir_ndjson(generate_claims(lines, seed), out / "synthetic-eob.ndjson")
    console.print(
        f"wrote {summary.lines:,} lines on {summary.claims:,} claims ({summary.bytes:,} bytes) "
        f"to {summary.path}. The data is synthetic."
    )


@app.command()
def compact(
    source: Annotated[
        str | None, typer.Option(help="Only this source (default: all).", metavar="SOURCE")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Report as table or json.", metavar="FORMAT")
    ] = "table",
    store: StoreOption = None,
) -> None:
    """Compact each month's small files into few sorted ones (Delta optimize, one version)."""
    from claimscope.store.compact import compact_store
    from claimscope.store.layout import Store

    report = run_safely(lambda: compact_store(Store.open(store_root(store), create=False),
                                              source=source))  # fmt: skip
    if fmt == "json":
        console.out(to_json(report.to_dict()), highlight=False)
    else:
        console.print(
            f"compacted {report.folders:,} month folders: {report.files_before:,} files -> "
            f"{report.files_after:,} ({report.rows:,} rows)"
        )
