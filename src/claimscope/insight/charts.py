"""Charts as Vega-Lite specifications built with Altair, and their static SVG via vl-convert.

The same specification is drawn interactively in the browser (vega-embed, served or embedded
from the package, see :func:`javascript_bundle`) and rendered to SVG for Markdown. Charts take
the result's JSON (``to_dict()``), so the explorer and the report draw the same picture of
the same contract. Suppressed cells are left out of every chart: a chart shows only what the
table beside it shows.
"""

from __future__ import annotations

import copy
import csv
import json
from functools import cache
from importlib import resources
from typing import Any, Final

import altair as alt

VL_VERSION: Final = "6.4"  # the Vega-Lite version Altair 6 writes and vl-convert renders
US_STATES_URL: Final = "us-states-10m.json"  # resolved by the page's loader or inlined
WIDTH: Final = 380  # fits a 420 px wide screen with the axis labels
BAR: Final = "#2f5fb3"


def _data_file(name: str) -> str:
    return resources.files("claimscope.insight").joinpath("data", name).read_text()


@cache
def us_states_topology() -> str:
    """The shipped US state boundaries (TopoJSON text; source in ``insight/data/SOURCES.md``)."""
    return _data_file(US_STATES_URL)


@cache
def state_fips() -> dict[str, str]:
    """Two-letter abbreviation -> FIPS code, the id of a state in the TopoJSON."""
    lines = [line for line in _data_file("us_states.csv").splitlines() if not line.startswith("#")]
    return {row["abbreviation"]: row["fips"] for row in csv.DictReader(lines)}


@cache
def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script (``window.vegaEmbed``), from vl-convert."""
    import vl_convert

    # The stub marks the snippet as required; the function documents it as optional.
    return str(vl_convert.javascript_bundle(vl_version=VL_VERSION))  # type: ignore[call-arg]


def ranking_chart(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Horizontal bars of the shown rows' shares, in rank order (one bar per ranked row)."""
    values = [
        {
            "label": f"{r['code']} {short_name(r.get('name'))}".strip(),
            "code": r["code"],
            "name": r.get("name") or "",
            "share": r["share"],
            "value": r.get("value"),
        }
        for r in rows
        if r.get("rank") is not None and r.get("share") is not None
    ]
    order = [v["label"] for v in values]
    chart = (
        alt.Chart(alt.Data(values=values), title=title, width=WIDTH - 160)
        .mark_bar(color=BAR)
        .encode(
            x=alt.X("share:Q", title="Share", axis=alt.Axis(format=".0%")),
            y=alt.Y("label:N", sort=order, title=None),
            tooltip=_tooltip(),
        )
        .properties(height=alt.Step(18), description=f"Bar chart: {title}")
    )
    return _spec(chart)


def trend_chart(periods: list[str], series: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Lines of each code's share per period (hidden periods are gaps, not zeros)."""
    values = [
        {"period": p, "code": s["code"], "name": s.get("name") or "", "share": share}
        for s in series
        for p, share in zip(periods, s["shares"], strict=True)
        if share is not None
    ]
    chart = (
        alt.Chart(alt.Data(values=values), title=title, width=WIDTH - 120, height=180)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=None, sort=periods),
            y=alt.Y("share:Q", title="Share", axis=alt.Axis(format=".0%")),
            color=alt.Color("code:N", title="Code", scale=alt.Scale(scheme="tableau10")),
            tooltip=[
                alt.Tooltip("code:N"),
                alt.Tooltip("name:N"),
                alt.Tooltip("period:O"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .properties(description=f"Line chart: {title}")
    )
    return _spec(chart)


def breakdown_chart(breakdown: dict[str, Any], title: str) -> dict[str, Any]:
    """Bars of a drill-down's shown rows (specialty, payer, place of service...)."""
    values = [
        {
            "label": r.get("label") or r["key"],
            "code": r["key"],
            "name": r.get("label") or "",
            "share": r["share"],
            "value": r.get("value"),
        }
        for r in breakdown["rows"]
        if r.get("share") is not None
    ]
    chart = (
        alt.Chart(alt.Data(values=values), title=title, width=WIDTH - 200)
        .mark_bar(color=BAR)
        .encode(
            x=alt.X("share:Q", title="Share", axis=alt.Axis(format=".0%")),
            y=alt.Y("label:N", sort=[v["label"] for v in values], title=None),
            tooltip=_tooltip(),
        )
        .properties(height=alt.Step(16), description=f"Bar chart: {title}")
    )
    return _spec(chart)


def state_map(breakdown: dict[str, Any], title: str) -> dict[str, Any]:
    """States shaded by their share of the code; states not shown (suppressed, none) in grey."""
    fips = state_fips()
    values = [
        {"id": fips[r["key"]], "state": r["key"], "share": r["share"], "value": r.get("value")}
        for r in breakdown["rows"]
        if r.get("share") is not None and r["key"] in fips
    ]
    states = alt.Data(url=US_STATES_URL, format=alt.DataFormat(type="topojson", feature="states"))
    # The grey outline of every state is decoration: hidden from assistive technology.
    base = alt.Chart(states).mark_geoshape(
        fill="#e4e7ee", stroke="white", strokeWidth=0.5, aria=False
    )
    shaded = (
        alt.Chart(states)
        .mark_geoshape(stroke="white", strokeWidth=0.5)
        .transform_lookup(
            lookup="id",
            from_=alt.LookupData(alt.Data(values=values), "id", ["state", "share", "value"]),
        )
        .transform_filter("isValid(datum.share)")
        .encode(
            color=alt.Color(
                "share:Q",
                title="Share",
                legend=alt.Legend(format=".0%"),
                scale=alt.Scale(scheme="blues"),
            ),
            tooltip=[alt.Tooltip("state:N"), alt.Tooltip("share:Q", format=".1%")],
        )
    )
    chart = (
        alt.layer(base, shaded, title=title)
        .project(type="albersUsa")
        .properties(width=WIDTH - 100, height=220, description=f"Map: {title}")
    )
    return _spec(chart)


def _tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("code:N", title="Key"),
        alt.Tooltip("name:N", title="Name"),
        alt.Tooltip("share:Q", format=".1%"),
        alt.Tooltip("value:Q", format=",.2~f"),
    ]


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict()
    spec.setdefault("config", {})["font"] = "system-ui, sans-serif"
    return spec


def short_name(name: str | None) -> str:
    """A name up to its first comma or parenthesis, cut to fit an axis label."""
    if not name:
        return ""
    short = name.split(",")[0].split(" (")[0].strip()
    return short if len(short) <= 28 else short[:27].rstrip() + "…"


def inline_data(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the state boundaries inlined (for renderers without a loader)."""
    text = json.dumps(spec)
    if US_STATES_URL not in text:
        return spec
    topology = json.loads(us_states_topology())
    out = copy.deepcopy(spec)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("url") == US_STATES_URL:
                node.pop("url")
                node["values"] = topology
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as a static SVG (vl-convert, offline)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(inline_data(spec), vl_version=VL_VERSION))
