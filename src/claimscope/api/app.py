"""The JSON API: each route parses its query string, calls one core function, returns JSON.

The payloads are the same contracts as the CLI's ``--format json``; suppression happens in
the analysis layer, so no route can return what the CLI would not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from claimscope import __version__
from claimscope.analysis.query import (
    LINE_STATUS_CHOICES,
    MEASURES,
    Filters,
    PrivacyPolicy,
    QueryError,
    TopQuery,
    build_filters,
)
from claimscope.analysis.run import run_attribution, run_explore, run_top
from claimscope.analysis.trend import GRAINS, TrendQuery
from claimscope.analysis.vocab import KINDS, vocabulary
from claimscope.api.docs import install_docs
from claimscope.api.errors import ERROR_RESPONSES, install_error_handlers
from claimscope.insight.describe import described
from claimscope.insight.run import explain_trend, resolve_cohorts, run_compare
from claimscope.privacy import SOURCE_COUNTS, protect_counts
from claimscope.store.catalog import summarise_store
from claimscope.store.layout import default_store_root
from claimscope.store.status import store_status
from claimscope.web import STATIC_DIR

ListParam = Annotated[list[str] | None, Query()]
# The closed vocabularies are enums in the schema (documented; the core still checks them).
MeasureParam = Annotated[str, Query(json_schema_extra={"enum": list(MEASURES)})]
StatusParam = Annotated[str, Query(json_schema_extra={"enum": list(LINE_STATUS_CHOICES)})]
GrainParam = Annotated[str, Query(json_schema_extra={"enum": list(GRAINS)})]
# Bounds keep one request from running for minutes (replicates=100000 did).
MAX_LIMIT = 1000
MAX_REPLICATES = 2000
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"1 to {MAX_LIMIT}.")]
ReplicatesParam = Annotated[
    int, Query(ge=1, le=MAX_REPLICATES, description=f"Bootstrap replicates, 1 to {MAX_REPLICATES}.")
]


def common_filters(
    codes: str = "pmr",
    period_from: Annotated[str | None, Query(alias="from")] = None,
    period_to: Annotated[str | None, Query(alias="to")] = None,
    specialty: ListParam = None,
    payer_type: ListParam = None,
    state: ListParam = None,
    pos: ListParam = None,
    source: ListParam = None,
    status: StatusParam = "all",
) -> Filters:
    """The cohort and period parameters every analysis route accepts."""
    return build_filters(
        codes,
        period_from=period_from,
        period_to=period_to,
        specialty=specialty,
        payer_type=payer_type,
        state=state,
        place_of_service=pos,
        source=source,
        line_status=status,
    )


def privacy_policy(request: Request, min_cell_size: int | None = None) -> PrivacyPolicy:
    """The server's suppression settings (``claimscope serve``); a request may only raise them.

    ``allow_small_cells`` is never taken from a request: a client that could send it could
    lower the threshold the server was started with.
    """
    server: PrivacyPolicy = request.app.state.privacy
    if "allow_small_cells" in request.query_params:
        raise QueryError(
            "allow_small_cells is set by the server (claimscope serve --allow-small-cells), "
            "not by a request",
            parameter="allow_small_cells",
        )
    if min_cell_size is not None and min_cell_size < server.min_cell_size:
        raise QueryError(
            f"min_cell_size {min_cell_size} is below this server's threshold of "
            f"{server.min_cell_size}: a request may raise the threshold, never lower it",
            parameter="min_cell_size",
        )
    wanted = server.min_cell_size if min_cell_size is None else min_cell_size
    return PrivacyPolicy(wanted, server.allow_small_cells, server.perturb)


FiltersDep = Annotated[Filters, Depends(common_filters)]
PrivacyDep = Annotated[PrivacyPolicy, Depends(privacy_policy)]
# Every route reads one store version: a number, or the version current at an ISO date/time.
AsOfParam = Annotated[str | None, Query(description="Store version or ISO date/time.")]


def create_app(
    store_root: Path | None = None, engine: str = "duckdb", privacy: PrivacyPolicy | None = None
) -> Any:
    """An API over the store at ``store_root`` (else $CLAIMSCOPE_STORE, else ./claimscope-store).

    ``privacy`` is the server's threshold and perturbation for every request (default: the
    CMS rule, exact figures; ``claimscope serve`` turns perturbation on).
    """
    root = store_root or default_store_root()
    app = FastAPI(
        title="claimscope",
        version=__version__,
        docs_url=None,  # served by install_docs from bundled assets, not a CDN
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    install_error_handlers(app)
    install_docs(app)
    app.state.privacy = privacy or PrivacyPolicy()

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def explorer() -> FileResponse:
        """The web explorer page; it calls the routes below."""
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/sources")
    def sources() -> dict[str, Any]:
        """What the store holds, per source (from the ingest records in the log)."""
        policy: PrivacyPolicy = app.state.privacy
        listed = [s.to_dict() for s in summarise_store(root)]
        return {"sources": [protect_counts(s, SOURCE_COUNTS, policy) for s in listed]}

    @app.get("/api/top")
    def top(
        filters: FiltersDep,
        privacy: PrivacyDep,
        measure: MeasureParam = "services",
        limit: LimitParam = 15,
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """Ranked code shares; the same contract as ``claimscope top --format json``."""
        query = TopQuery(filters=filters, measure=measure, limit=limit, privacy=privacy)
        return described("top", run_top(root, query, engine=engine, as_of=as_of).to_dict())

    @app.get("/api/trend")
    def trend(
        filters: FiltersDep,
        privacy: PrivacyDep,
        measure: MeasureParam = "services",
        grain: GrainParam = "month",
        limit: LimitParam = 5,
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """Leading codes' shares per period; the contract of ``claimscope trend``."""
        query = TrendQuery(
            filters, measure=measure, grain=grain, codes_limit=limit, privacy=privacy
        )
        result = explain_trend(root, query, engine=engine, as_of=as_of)
        return described("trend", result.to_dict())

    @app.get("/api/explore/{code}")
    def explore(
        code: str,
        filters: FiltersDep,
        privacy: PrivacyDep,
        measure: MeasureParam = "services",
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """Breakdowns of one code; the contract of ``claimscope explore``."""
        result = run_explore(
            root, code, filters, measure=measure, privacy=privacy, engine=engine, as_of=as_of
        )
        return described("explore", result.to_dict())

    @app.get("/api/compare")
    def compare(
        filters: FiltersDep,
        privacy: PrivacyDep,
        cohort: Annotated[list[str], Query()],
        measure: MeasureParam = "services",
        limit: LimitParam = 15,
        ci: bool = False,
        seed: int = 42,
        replicates: ReplicatesParam = 200,
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """Cohorts side by side; the contract of ``claimscope compare``."""
        base = TopQuery(filters=filters, measure=measure, limit=limit, privacy=privacy)
        cohorts = resolve_cohorts(cohort, root, root)
        result = run_compare(
            root, cohorts, base, ci=ci, seed=seed, replicates=replicates, engine=engine,
            as_of=as_of,
        )  # fmt: skip
        return described("compare", result.to_dict())

    @app.get("/api/attribution")
    def attribution(
        filters: FiltersDep, privacy: PrivacyDep, as_of: AsOfParam = None
    ) -> dict[str, Any]:
        """Discipline attribution and rule conflicts; the contract of ``claimscope attribution``."""
        report = run_attribution(root, filters, privacy=privacy, engine=engine, as_of=as_of)
        return described("attribution", report.to_dict())

    @app.get("/api/status")
    def status(as_of: AsOfParam = None) -> dict[str, Any]:
        """Store version, sources, months, last ingests; as ``claimscope status --format json``
        with small line counts withheld (the privacy rule on the API)."""
        return store_status(root, as_of, protect=True).to_dict()

    @app.get("/api/vocab/{kind}")
    def vocab(
        kind: Annotated[str, PathParam(json_schema_extra={"enum": list(KINDS)})],
        codes: str | None = None,
    ) -> dict[str, Any]:
        """Values a filter accepts (``claimscope vocab KIND``); ``codes`` lists a set's codes."""
        return vocabulary(kind, codes, folders=(root,)).to_dict()

    from claimscope.api.views import register_views  # explorer views, report, chart assets

    register_views(app, root, engine)
    return app
