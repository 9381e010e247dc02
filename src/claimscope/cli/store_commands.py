"""Commands about the store itself: status, history, diff, check, vacuum, upgrade."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from claimscope.cli.app import (
    AsOfOption,
    EngineOption,
    StoreOption,
    app,
    console,
    fail,
    run_safely,
    store_root,
)
from claimscope.cli.commands import (
    JSON_OR_TABLE,
    AllowSmallOption,
    CodesOption,
    FormatOption,
    JsonOption,
    MeasureOption,
    MinCellOption,
    PayerOption,
    PerturbOption,
    PosOption,
    SourceOption,
    SpecialtyOption,
    StateOption,
    StatusOption,
    check_format,
    top_query_from,
)
from claimscope.cli.render import to_json


@app.command()
def status(fmt: JsonOption = "table", store: StoreOption = None, as_of: AsOfOption = None) -> None:
    """The store's version and time, sources, lines per month, last ingests, quarantine."""
    from claimscope.store.status import store_status

    check_format(fmt, JSON_OR_TABLE)
    result = run_safely(lambda: store_status(store_root(store), as_of))
    data = result.to_dict()
    if fmt == "json":
        console.out(to_json(data), highlight=False)
        return
    console.print(f"store version {data['version']} committed {data['time']}", highlight=False)
    months = Table("Month", "Lines", title="Lines per month", title_justify="left")
    for m in data["months"]:
        months.add_row(m["month"], f"{m['lines']:,}")
    console.print(months)
    ingests = Table("Version", "Identity", "Format", "Loaded", "Quarantined", "At",
                    title="Last ingests", title_justify="left")  # fmt: skip
    for e in data["last_ingests"]:
        ingests.add_row(str(e["version"]), e["identity"], e["format"], f"{e['loaded']:,}",
                        f"{e['quarantined']:,}", e["ingested_at"])  # fmt: skip
    console.print(ingests)
    sources = ", ".join(s["name"] for s in data["sources"]) or "none"
    console.print(f"sources: {sources}; rows quarantined: {data['quarantined']:,}")


@app.command()
def history(fmt: JsonOption = "table", store: StoreOption = None) -> None:
    """Every version of the store: when, and what the commit did."""
    from claimscope.store.history import version_history

    check_format(fmt, JSON_OR_TABLE)
    rows = run_safely(lambda: version_history(store_root(store)))
    if fmt == "json":
        console.out(to_json({"versions": rows}), highlight=False)
        return
    table = Table("Version", "Time", "Operation", "What", title="Store versions")
    for row in rows:
        table.add_row(str(row["version"]), row["time"], row["operation"], row["summary"])
    console.print(table)


@app.command()
def diff(
    from_version: Annotated[
        str, typer.Option("--from", help="Earlier version or date/time.", metavar="VERSION")
    ],
    to_version: Annotated[
        str | None,
        typer.Option(
            "--to", help="Later version or date/time (default latest).", metavar="VERSION"
        ),
    ] = None,
    codes: CodesOption = "pmr",
    period_from: Annotated[
        str | None, typer.Option("--period-from", help="First month ranked.", metavar="YYYY-MM")
    ] = None,
    period_to: Annotated[
        str | None, typer.Option("--period-to", help="Last month ranked.", metavar="YYYY-MM")
    ] = None,
    specialty: SpecialtyOption = None,
    payer_type: PayerOption = None,
    state: StateOption = None,
    pos: PosOption = None,
    source: SourceOption = None,
    status: StatusOption = "all",
    measure: MeasureOption = "services",
    limit: Annotated[int, typer.Option(help="Top N compared.", metavar="N")] = 15,
    fmt: FormatOption = "table",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: PerturbOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Run the same ranking on two store versions and show how it was restated."""
    from claimscope.analysis.restatement import run_diff
    from claimscope.cli.render_diff import print_diff

    check_format(fmt)
    options = dict(locals())

    def action() -> Any:
        query = top_query_from(options, codes=codes)
        return run_diff(store_root(store), query, from_version, to_version, engine=engine)

    print_diff(console, run_safely(action), fmt)


@app.command()
def check(fmt: JsonOption = "table", store: StoreOption = None, as_of: AsOfOption = None) -> None:
    """Verify every file the store version references is present, readable and complete."""
    from claimscope.store.maintenance import check_store

    check_format(fmt, JSON_OR_TABLE)
    report = run_safely(lambda: check_store(store_root(store), as_of))
    if fmt == "json":
        console.out(to_json(report.to_dict()), highlight=False)
    else:
        state = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        console.print(
            f"version {report.version}: {report.files:,} files, {report.rows:,} rows: {state}",
            highlight=False,
        )
        for problem in report.problems:
            console.print(f"  {problem}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def vacuum(
    retain: Annotated[
        float,
        typer.Option(
            "--retain", help="Days of versions to keep readable (--as-of).", metavar="DAYS"
        ),
    ] = 7,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, do not delete.")] = False,
    fmt: JsonOption = "table",
    store: StoreOption = None,
) -> None:
    """Delete data files that no version of the last --retain days needs."""
    from claimscope.store.maintenance import vacuum_store

    check_format(fmt, JSON_OR_TABLE)
    if retain < 0:
        fail("--retain must be 0 days or more")
    report = run_safely(lambda: vacuum_store(store_root(store), retain, dry_run=dry_run))
    if fmt == "json":
        console.out(to_json(report.to_dict()), highlight=False)
    else:
        verb = "would delete" if dry_run else "deleted"
        console.print(f"{verb} {len(report.deleted):,} files (kept {retain:g} days of versions)")


@app.command()
def upgrade(fmt: JsonOption = "table", store: StoreOption = None) -> None:
    """Convert an old-layout store to the Delta table and give lines written before record
    keys existed their keys (counts checked)."""
    from claimscope.store.layout import Store
    from claimscope.store.upgrade import upgrade as upgrade_store

    check_format(fmt, JSON_OR_TABLE)

    def action() -> Any:
        target = Store.open(store_root(store))
        with target.lock():
            report = upgrade_store(target)
        if report is None:
            fail(f"store {target.root} needs no upgrade (every line has its record key)")
        return report

    report = run_safely(action)
    if fmt == "json":
        console.out(to_json(report.to_dict()), highlight=False)
    else:
        console.print(
            f"upgraded {report.batches:,} batches, {report.keys:,} lines given record keys: "
            f"{report.rows_before:,} rows before, {report.rows_after:,} after "
            f"(version {report.version})"
        )
