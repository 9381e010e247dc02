"""Charts as Vega-Lite specifications built with Altair, and their static SVG via vl-convert.

The same specification is drawn interactively in the browser (vega-embed, served or embedded
from the package, see :func:`javascript_bundle`) and rendered to SVG for Markdown. Charts take
the result's JSON (``to_dict()``), so the explorer and the report draw the same picture of
the same contract. Suppressed cells are left out of every chart: a chart shows only what the
table beside it shows.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import altair as alt

from claimscope.terminology.states import state_fips

VL_VERSION: Final = "6.4"  # the Vega-Lite version Altair 6 writes and vl-convert renders
US_STATES_URL: Final = "us-states-10m.json"  # resolved by the page's loader or inlined
WIDTH: Final = 380  # fits a 420 px wide screen with the axis labels
BAR: Final = "#2f5fb3"
NO_DATA: Final = "#e4e7ee"  # states with no shown figure


def _data_file(name: str) -> str:
    return resources.files("claimscope.insight").joinpath("data", name).read_text()


@cache
def us_states_topology() -> str:
    """The shipped US state boundaries (TopoJSON text; source in ``insight/data/SOURCES.md``)."""
    return _data_file(US_STATES_URL)


@cache
def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script (``window.vegaEmbed``), from vl-convert.

    Bundling takes seconds, so the result is kept in the user's cache folder per vl-convert
    version (``$XDG_CACHE_HOME/claimscope``, else ``~/.cache/claimscope``) and rebuilt when
    that file is missing or unreadable.
    """
    import vl_convert

    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "claimscope"
    version = getattr(vl_convert, "__version__", "unknown")
    cached = folder / f"vega-bundle-{version}-vl{VL_VERSION}.js"
    try:
        return cached.read_text()
    except OSError:
        pass
    # The stub marks the snippet as required; the function documents it as optional.
    bundle = str(vl_convert.javascript_bundle(vl_version=VL_VERSION))  # type: ignore[call-arg]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".js")
        with os.fdopen(handle, "w") as out:
            out.write(bundle)
        os.replace(temporary, cached)
    except OSError:
        pass  # a read-only home: bundle again next time
    return bundle


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
    # One layer: a state without a shown figure (none billed, or suppressed) has no share and
    # is drawn grey by the scale's colour for invalid values; that renders in a third of the
    # time of a grey layer under a shaded one.
    chart = (
        alt.Chart(states, title=title)
        .mark_geoshape(stroke="white", strokeWidth=0.5, invalid="show")
        .transform_lookup(
            lookup="id",
            from_=alt.LookupData(alt.Data(values=values), "id", ["state", "share", "value"]),
        )
        .encode(
            color=alt.Color(
                "share:Q",
                title="Share",
                legend=alt.Legend(format=".0%"),
                scale=alt.Scale(scheme="blues"),
            ),
            tooltip=[alt.Tooltip("state:N"), alt.Tooltip("share:Q", format=".1%")],
        )
        .project(type="albersUsa")
        .properties(width=WIDTH - 100, height=220, description=f"Map: {title}")
    )
    spec = _spec(chart)
    spec["config"]["scale"] = {"invalid": {"color": {"value": NO_DATA}}}
    return spec


def _tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("code:N", title="Key"),
        alt.Tooltip("name:N", title="Name"),
        alt.Tooltip("share:Q", format=".1%"),
        alt.Tooltip("value:Q", format=",.2~f"),
    ]


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    # Schema validation costs more than building the chart (a report has ~80); vl-convert and
    # vega-embed reject an invalid spec, and the tests render every kind.
    spec: dict[str, Any] = chart.to_dict(validate=False)
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

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("url") == US_STATES_URL:
                return {**{k: v for k, v in node.items() if k != "url"}, "values": _topology()}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return spec if US_STATES_URL not in json.dumps(spec) else dict(walk(spec))


@cache
def _topology() -> dict[str, Any]:
    return dict(json.loads(us_states_topology()))


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as a static SVG (vl-convert, offline)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(inline_data(spec), vl_version=VL_VERSION))
