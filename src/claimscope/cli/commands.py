"""The claimscope commands. Each parses options, calls one core function, prints the result."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from claimscope.analysis.query import (
    MEASURES,
    Filters,
    PrivacyPolicy,
    TopQuery,
    build_filters,
)
from claimscope.analysis.run import run_top
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
from claimscope.cli.render import OUTPUT_FORMATS, print_top

CodesOption = Annotated[
    str,
    typer.Option(
        "--codes",
        help="Code set name (pmr), range (97010-97799), list (97110,97530) or a mix.",
        metavar="CODES",
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option("--from", help="First month or year (2023-01 or 2023).", metavar="YYYY-MM"),
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", help="Last month or year (2023-09 or 2023).", metavar="YYYY-MM"),
]
MeasureOption = Annotated[
    str, typer.Option("--measure", help=f"One of: {', '.join(MEASURES)}.", metavar="MEASURE")
]
FormatOption = Annotated[
    str, typer.Option("--format", help=f"Output: {', '.join(OUTPUT_FORMATS)}.", metavar="FORMAT")
]
JSON_OR_TABLE = ("table", "json")
JsonOption = Annotated[
    str, typer.Option("--format", help="Output: table or json.", metavar="FORMAT")
]
MinCellOption = Annotated[
    int,
    typer.Option(
        "--min-cell-size",
        help="Suppress cells built from fewer patients than this (CMS rule: 11).",
        metavar="N",
    ),
]
AllowSmallOption = Annotated[
    bool,
    typer.Option(
        "--allow-small-cells",
        help="Permit --min-cell-size below 11 (internal quality work on a store you control).",
    ),
]
PerturbOption = Annotated[
    bool,
    typer.Option(
        "--perturb",
        help="Add consistent cell-key noise to published counts (defeats differencing).",
    ),
]


SpecialtyOption = Annotated[
    list[str] | None,
    typer.Option(help="Specialty slug(s) (claimscope vocab specialties).", metavar="SPECIALTY"),
]
PayerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--payer-type", help="medicare, medicare_advantage, medicaid, ...", metavar="PAYER_TYPE"
    ),
]
StateOption = Annotated[
    list[str] | None, typer.Option(help="Two-letter state(s).", metavar="STATE")
]
PosOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pos", help="Place-of-service code(s) (claimscope vocab places).", metavar="POS"
    ),
]
SourceOption = Annotated[
    list[str] | None, typer.Option(help="Source label(s) in the store.", metavar="SOURCE")
]
StatusOption = Annotated[
    str, typer.Option(help="Line status: all, paid or denied.", metavar="STATUS")
]


def filters_from(options: dict[str, Any], *, codes: str) -> Filters:
    """The shared cohort options of a command (its ``locals()``) as :class:`Filters`."""
    return build_filters(
        codes,
        period_from=options["period_from"],
        period_to=options["period_to"],
        specialty=options["specialty"],
        payer_type=options["payer_type"],
        state=options["state"],
        place_of_service=options["pos"],
        source=options["source"],
        line_status=options["status"],
    )


def policy_from(options: dict[str, Any]) -> PrivacyPolicy:
    """The privacy options of a command (its ``locals()``); no ``perturb`` option means off."""
    return PrivacyPolicy(
        options["min_cell_size"], options["allow_small_cells"], options.get("perturb", False)
    )


def top_query_from(options: dict[str, Any], *, codes: str) -> TopQuery:
    """The ranking a command's options (its ``locals()``) ask for: filters, measure, limit."""
    return TopQuery(
        filters=filters_from(options, codes=codes),
        measure=options["measure"],
        limit=options["limit"],
        privacy=policy_from(options),
    )


def check_format(fmt: str, formats: tuple[str, ...] = OUTPUT_FORMATS) -> str:
    """Fail unless ``--format`` is one of ``formats`` (by default every output format)."""
    if fmt not in formats:
        fail(f"--format {fmt!r} is not one of {', '.join(formats)}")
    return fmt


@app.command()
def top(
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
    limit: Annotated[int, typer.Option(help="Number of ranks to show.", metavar="N")] = 15,
    fmt: FormatOption = "table",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: PerturbOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
) -> None:
    """Rank procedure codes by their share of a code family (e.g. --codes pmr)."""
    check_format(fmt)
    options = dict(locals())

    def action() -> None:
        query = top_query_from(options, codes=codes)
        result = run_top(store_root(store), query, engine=engine, as_of=as_of)
        print_top(console, result, fmt)

    run_safely(action)


@app.command()
def sources(fmt: JsonOption = "table", store: StoreOption = None) -> None:
    """List the sources loaded in the store, with row counts and months covered."""
    from claimscope.cli.render import sources_table, to_json
    from claimscope.privacy import SOURCE_COUNTS, protect_counts
    from claimscope.store.catalog import summarise_store

    summaries = run_safely(lambda: summarise_store(store_root(store)))
    # Row counts of 1-10 are hidden like any other small count (read = loaded + quarantined).
    listed = [protect_counts(s.to_dict(), SOURCE_COUNTS, PrivacyPolicy()) for s in summaries]
    if fmt == "json":
        console.out(to_json({"sources": listed}), highlight=False)
    else:
        console.print(sources_table(listed))


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on.", metavar="HOST")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", metavar="PORT")] = 8000,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: Annotated[
        bool, typer.Option("--perturb/--no-perturb", help="Cell-key noise on every count.")
    ] = True,
) -> None:
    """Serve the JSON API (and explorer) over the store.

    The threshold and perturbation are the server's for every request: a request may raise
    the threshold, never lower it, and cannot turn perturbation off.
    """
    import uvicorn

    from claimscope.api import create_app

    policy = run_safely(lambda: PrivacyPolicy(min_cell_size, allow_small_cells, perturb))
    app_ = create_app(store_root(store), engine=engine, privacy=policy)
    uvicorn.run(app_, host=host, port=port)


@app.command()
def trend(
    codes: CodesOption = "pmr",
    period_from: FromOption = None,
    period_to: ToOption = None,
    grain: Annotated[str, typer.Option(help="month, quarter or year.", metavar="GRAIN")] = "month",
    specialty: SpecialtyOption = None,
    payer_type: PayerOption = None,
    state: StateOption = None,
    pos: PosOption = None,
    source: SourceOption = None,
    status: StatusOption = "all",
    measure: MeasureOption = "services",
    limit: Annotated[int, typer.Option(help="Number of leading codes to follow.", metavar="N")] = 5,
    fmt: FormatOption = "table",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: PerturbOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
) -> None:
    """How the leading codes' shares change by month, quarter or year."""
    from claimscope.analysis.trend import TrendQuery
    from claimscope.cli.render_trend import print_trend
    from claimscope.insight.run import explain_trend

    check_format(fmt)
    options = dict(locals())

    def action() -> None:
        filters = filters_from(options, codes=codes)
        query = TrendQuery(
            filters=filters,
            measure=measure,
            grain=grain,
            codes_limit=limit,
            privacy=policy_from(options),
        )
        result = explain_trend(store_root(store), query, engine=engine, as_of=as_of)
        print_trend(console, result, fmt)

    run_safely(action)


@app.command()
def explore(
    code: Annotated[
        str, typer.Argument(help="The code to drill into, e.g. 97110.", metavar="CODE")
    ],
    period_from: FromOption = None,
    period_to: ToOption = None,
    specialty: SpecialtyOption = None,
    payer_type: PayerOption = None,
    state: StateOption = None,
    pos: PosOption = None,
    source: SourceOption = None,
    status: StatusOption = "all",
    measure: MeasureOption = "services",
    fmt: FormatOption = "table",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: PerturbOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
) -> None:
    """Drill into one code: who bills it, for which payers, where, with which modifiers."""
    from claimscope.analysis.run import run_explore
    from claimscope.cli.render_explore import print_explore

    check_format(fmt)
    options = dict(locals())

    def action() -> None:
        filters = filters_from(options, codes=code)
        result = run_explore(
            store_root(store),
            code,
            filters,
            measure=measure,
            privacy=policy_from(options),
            engine=engine,
            as_of=as_of,
        )
        print_explore(console, result, fmt)

    run_safely(action)


@app.command()
def compare(
    cohort: Annotated[
        list[str],
        typer.Option(
            "--cohort",
            help="Cohort name (rehab, pt, ot, slp, physical_therapists, ...; or from "
            "cohorts.toml) or inline 'name=x;discipline=...;payer_type=...'. Repeat.",
            metavar="COHORT",
        ),
    ],
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
    limit: Annotated[int, typer.Option(help="Top N of each list.", metavar="N")] = 15,
    ci: Annotated[
        bool, typer.Option("--ci", help="95% intervals by provider cluster bootstrap.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.", metavar="SEED")] = 42,
    replicates: Annotated[
        int, typer.Option(help="Bootstrap replicates (at most 2000).", metavar="N")
    ] = 200,
    fmt: FormatOption = "table",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: PerturbOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
) -> None:
    """Compare the top-N lists of two or more cohorts: ranks, overlap, sentences."""
    from pathlib import Path

    from claimscope.cli.render_compare import print_compare
    from claimscope.insight.run import resolve_cohorts, run_compare

    check_format(fmt)
    options = dict(locals())

    def action() -> None:
        base = top_query_from(options, codes=codes)
        root = store_root(store)
        cohorts = resolve_cohorts(cohort, root, Path.cwd())
        result = run_compare(
            root, cohorts, base, ci=ci, seed=seed, replicates=replicates, engine=engine,
            as_of=as_of,
        )  # fmt: skip
        print_compare(console, result, fmt)

    run_safely(action)


@app.command()
def attribution(
    codes: CodesOption = "pmr",
    period_from: FromOption = None,
    period_to: ToOption = None,
    specialty: SpecialtyOption = None,
    payer_type: PayerOption = None,
    state: StateOption = None,
    pos: PosOption = None,
    source: SourceOption = None,
    status: StatusOption = "all",
    fmt: FormatOption = "table",
    min_cell_size: MinCellOption = 11,
    allow_small_cells: AllowSmallOption = False,
    perturb: PerturbOption = False,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    as_of: AsOfOption = None,
) -> None:
    """How lines were attributed to PT, OT, SLP or other, and where the rules disagree."""
    from claimscope.analysis.run import run_attribution
    from claimscope.cli.render_compare import print_attribution

    check_format(fmt)
    options = dict(locals())

    def action() -> None:
        filters = filters_from(options, codes=codes)
        report = run_attribution(
            store_root(store),
            filters,
            privacy=policy_from(options),
            engine=engine,
            as_of=as_of,
        )
        print_attribution(console, report, fmt)

    run_safely(action)
