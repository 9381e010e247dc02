"""``claimscope report``: the ranking, comparison, change and drill-downs written as an article."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from claimscope.cli.app import (
    AsOfOption,
    EngineOption,
    StoreOption,
    app,
    console,
    run_safely,
    store_root,
)
from claimscope.cli.commands import (
    AllowSmallOption,
    CodesOption,
    FromOption,
    MeasureOption,
    MinCellOption,
    PayerOption,
    PosOption,
    SourceOption,
    SpecialtyOption,
    StateOption,
    StatusOption,
    ToOption,
    top_query_from,
)


@app.command()
def report(
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for report.html, report.md and charts/.", metavar="DIR"),
    ] = Path("claimscope-report"),
    cohort: Annotated[
        list[str] | None,
        typer.Option(
            "--cohort",
            help="Cohort(s) as for compare; the first is the headline ranking, two or more "
            "are compared. Repeat.",
            metavar="COHORT",
        ),
    ] = None,
    codes: CodesOption = "pmr",
    period_from: FromOption = None,
    period_to: ToOption = None,
    specialty: SpecialtyOption = None,
    payer_type: PayerOption = None,
    state: StateOption = None,
    pos: PosOption = None,
    source: SourceOption = None,
    status: StatusOption = "all",
    measure: MeasureOption = "services",
    limit: Annotated[int, typer.Option(help="Number of ranks (N) in each list.", metavar="N")] = 15,
    ci: Annotated[
        bool, typer.Option("--ci", help="95% intervals and statistical ties (bootstrap).")
    ] = False,
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
) -> None:
    """Write the report: ranked table and chart, generated paragraphs, one explore section per
    code, method note; as one self-contained HTML file and Markdown with SVG charts."""
    from claimscope.insight.report import run_report
    from claimscope.insight.report_data import ReportRequest
    from claimscope.insight.report_output import write_report
    from claimscope.insight.run import resolve_cohorts

    options = dict(locals())

    def action() -> None:
        base = top_query_from(options, codes=codes)
        root = store_root(store)
        cohorts = tuple(resolve_cohorts(cohort or [], root, Path.cwd()))
        request = ReportRequest(base, cohorts, ci=ci)
        files = write_report(run_report(root, request, engine=engine, as_of=as_of), out)
        console.print(f"Report: {files.html}")
        console.print(f"Markdown: {files.markdown} (charts: {len(files.charts)} SVG files)")

    run_safely(action)
