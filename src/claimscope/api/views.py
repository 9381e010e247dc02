"""Routes the explorer's views draw from: each analysis's JSON with its charts, the report, and
the chart scripts and map served from the package (no CDN).

Every ``/api/view/...`` route runs the same core function as its plain route and adds the
Vega-Lite specifications :mod:`claimscope.insight.charts` builds from that JSON, so the page
draws what the report draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response

from claimscope.analysis.query import TopQuery
from claimscope.analysis.run import run_explore_with_trend, run_top
from claimscope.analysis.trend import TrendQuery
from claimscope.api.app import (
    AsOfParam,
    FiltersDep,
    GrainParam,
    LimitParam,
    MeasureParam,
    PrivacyDep,
)
from claimscope.insight import charts
from claimscope.insight.run import explain_trend, resolve_cohorts, run_compare

CohortParam = Annotated[list[str], Query()]
EXPLORE_TREND_CODES = 50  # a code outside the set's 50 leading codes gets no trend line


def register_views(app: FastAPI, root: Path, engine: str) -> None:
    """Add the view, report and asset routes to ``app`` (the API over ``root``)."""

    @app.get("/assets/vega.js", include_in_schema=False)
    def vega_bundle() -> Response:
        """vega, vega-lite and vega-embed in one script, from vl-convert (BSD-3-Clause)."""
        return Response(charts.javascript_bundle(), media_type="text/javascript")

    @app.get(f"/assets/{charts.US_STATES_URL}", include_in_schema=False)
    def us_states() -> Response:
        """US state boundaries (us-atlas, Census cartographic boundaries, public domain)."""
        return Response(charts.us_states_topology(), media_type="application/json")

    @app.get("/api/view/top")
    def top_view(
        filters: FiltersDep,
        privacy: PrivacyDep,
        measure: MeasureParam = "services",
        limit: LimitParam = 15,
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """``/api/top`` with the ranking's bar chart."""
        query = TopQuery(filters=filters, measure=measure, limit=limit, privacy=privacy)
        result = run_top(root, query, engine=engine, as_of=as_of).to_dict()
        title = f"Share of {measure} by code"
        return {
            "result": result,
            "charts": {"ranking": charts.ranking_chart(result["rows"], title)},
        }

    @app.get("/api/view/trend")
    def trend_view(
        filters: FiltersDep,
        privacy: PrivacyDep,
        measure: MeasureParam = "services",
        grain: GrainParam = "month",
        limit: LimitParam = 5,
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """``/api/trend`` with the line chart of the leading codes' shares."""
        query = TrendQuery(
            filters, measure=measure, grain=grain, codes_limit=limit, privacy=privacy
        )
        result = explain_trend(root, query, engine=engine, as_of=as_of).to_dict()
        series = [s for s in result["series"] if s["code"] != "other"]
        chart = charts.trend_chart(result["periods"], series, f"Share of {measure} by {grain}")
        return {"result": result, "charts": {"trend": chart}}

    @app.get("/api/view/compare")
    def compare_view(
        filters: FiltersDep,
        privacy: PrivacyDep,
        cohort: CohortParam,
        measure: MeasureParam = "services",
        limit: LimitParam = 15,
        ci: bool = False,
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """``/api/compare`` with one ranking chart per cohort."""
        base = TopQuery(filters=filters, measure=measure, limit=limit, privacy=privacy)
        cohorts = resolve_cohorts(cohort, root, root)
        result = run_compare(root, cohorts, base, ci=ci, engine=engine, as_of=as_of).to_dict()
        specs = {
            c["name"]: charts.ranking_chart(c["rows"], f"{c['label']}: share of {measure}")
            for c in result["cohorts"]
        }
        return {"result": result, "charts": specs}

    @app.get("/api/view/explore/{code}")
    def explore_view(
        code: str,
        filters: FiltersDep,
        privacy: PrivacyDep,
        measure: MeasureParam = "services",
        as_of: AsOfParam = None,
    ) -> dict[str, Any]:
        """``/api/explore/{code}`` with a chart per breakdown, the state map and the code's
        share of the code set per month."""
        explored, trend = run_explore_with_trend(
            root, code, filters, measure=measure, privacy=privacy,
            trend_codes=EXPLORE_TREND_CODES, engine=engine, as_of=as_of,
        )  # fmt: skip
        result = explored.to_dict()
        specs: dict[str, Any] = {}
        for breakdown in result["breakdowns"]:
            if not any(r.get("share") is not None for r in breakdown["rows"]):
                continue
            title = f"{result['code']}: {breakdown['title'].lower()}"
            draw = charts.state_map if breakdown["dimension"] == "state" else charts.breakdown_chart
            specs[breakdown["dimension"]] = draw(breakdown, title)
        if trend is not None:
            series = [s.to_dict() for s in trend.series if s.code == result["code"]]
            if series and len(trend.periods) > 1:
                title = f"{result['code']}: share of the code set by month"
                specs["trend"] = charts.trend_chart(trend.periods, series, title)
        return {"result": result, "charts": specs}

    @app.get("/api/report", response_class=HTMLResponse)
    def report(
        filters: FiltersDep,
        privacy: PrivacyDep,
        cohort: Annotated[list[str] | None, Query()] = None,
        measure: str = "services",
        limit: int = 15,
        ci: bool = False,
        as_of: AsOfParam = None,
    ) -> HTMLResponse:
        """The report of ``claimscope report`` as one self-contained HTML page."""
        from claimscope.insight.report import run_report
        from claimscope.insight.report_data import ReportRequest
        from claimscope.insight.report_html import render_html

        base = TopQuery(filters=filters, measure=measure, limit=limit, privacy=privacy)
        cohorts = tuple(resolve_cohorts(cohort or [], root, root))
        request = ReportRequest(base, cohorts, ci=ci)
        built = run_report(root, request, engine=engine, as_of=as_of)
        return HTMLResponse(render_html(built))
