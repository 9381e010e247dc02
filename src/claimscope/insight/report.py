"""A report as an article: title, ranked table and chart, paragraphs, explore sections, method.

:func:`build_report` lays the figures of :mod:`claimscope.insight.report_data` out as
sections of paragraphs, tables and charts; :mod:`claimscope.insight.report_html` and
:mod:`claimscope.insight.report_markdown` write the same sections as one self-contained HTML
file and as Markdown with SVG images. :func:`run_report` is the entry point for adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from claimscope import __version__
from claimscope.analysis.drilldown import DrilldownResult
from claimscope.analysis.run import AsOf
from claimscope.insight import charts
from claimscope.insight.describe import perturbation_text, store_text
from claimscope.insight.report_data import ReportData, ReportRequest, gather_report
from claimscope.insight.report_figures import family_extent, family_name, period_text, unit_of
from claimscope.insight.report_prose import (
    change_sentences,
    comparison_sentences,
    headline_sentences,
)
from claimscope.insight.report_tables import (
    Table,
    breakdown_table,
    comparison_tables,
    explore_anchor,
    mover_table,
    ranking_table,
    trend_table,
)

EXPLORE_DIMENSIONS = ("specialty", "payer_type", "place_of_service")


@dataclass
class Chart:
    """A chart, with the table of its figures when the two are laid out side by side."""

    id: str
    title: str
    spec: dict[str, Any]
    table: Table | None = None


Block = str | Table | Chart


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    explore: bool = False


@dataclass
class Report:
    title: str
    dek: str
    sections: list[Section]
    data: ReportData

    def prose(self) -> list[str]:
        """Every generated paragraph sentence (what the tests check against the tables)."""
        return [
            b for s in self.sections if s.id != "method" for b in s.blocks if isinstance(b, str)
        ]

    def tables(self) -> list[Table]:
        out = []
        for block in (b for s in self.sections for b in s.blocks):
            if isinstance(block, Table):
                out.append(block)
            elif isinstance(block, Chart) and block.table is not None:
                out.append(block.table)
        return out

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]


def run_report(
    store_root: Path, request: ReportRequest, *, engine: str = "duckdb", as_of: AsOf = None
) -> Report:
    """Gather every figure from the store and lay the report out (``claimscope report``)."""
    return build_report(gather_report(store_root, request, engine=engine, as_of=as_of))


def build_report(data: ReportData) -> Report:
    result = data.headline
    codes = str(result.query.get("codes"))
    family = family_name(codes)
    first, last = data.period
    shown = sum(1 for r in result.rows if r.rank is not None)
    who = f" for {data.headline_label}" if data.headline_label else ""
    title = f"{family}: the top {shown} codes{who}, {period_text(first, last)}"
    if not shown:
        title = f"{family}{who}, {period_text(first, last)}"
    sources = ", ".join(s["name"] for s in result.coverage.sources) or "no source"
    dek = (
        f"Share of {unit_of(result.measure)} by procedure code ({family_extent(codes)}), "
        f"{period_text(first, last)}. Data: {sources}."
    )
    sections = [_ranking_section(data), *_comparison_section(data), *_change_section(data)]
    sections += [_explore_section(data, code, r) for code, r in data.explores.items()]
    sections.append(Section("method", "Method and sources", method_note(data)))
    return Report(title, dek, sections, data)


def _ranking_section(data: ReportData) -> Section:
    result = data.headline
    rows = [r.to_dict() for r in result.rows]
    chart = charts.ranking_chart(rows, f"Share of {unit_of(result.measure)} by code")
    blocks: list[Block] = [*headline_sentences(data)]
    if any(r.rank is not None for r in result.rows):
        blocks.append(Chart("ranking-chart", "Ranked codes", chart))
    blocks.append(ranking_table(data))
    return Section("ranking", "The ranking", blocks)


def _comparison_section(data: ReportData) -> list[Section]:
    if data.comparison is None:
        return []
    labels = [c.cohort.label for c in data.comparison.cohorts]
    blocks: list[Block] = [*comparison_sentences(data), *comparison_tables(data)]
    return [Section("compare", f"How the lists differ: {', '.join(labels)}", blocks)]


def _change_section(data: ReportData) -> list[Section]:
    blocks: list[Block] = [*change_sentences(data)]
    trend = data.trend
    if trend is not None and len(trend.periods) >= 2:
        series = [s.to_dict() for s in trend.series if s.code != "other"][:5]
        title = "Share by period, leading codes"
        blocks.append(Chart("trend-chart", title, charts.trend_chart(trend.periods, series, title)))
    for i, window in enumerate(data.earlier):
        if window.has_data:
            blocks.append(mover_table(data, window, i))
    if trend is not None and trend.periods:
        blocks.append(trend_table(data, trend))
    return [Section("change", "What changed", blocks)] if blocks else []


def _explore_section(data: ReportData, code: str, result: DrilldownResult) -> Section:
    anchor = explore_anchor(code)
    blocks: list[Block] = []
    trend = data.trend
    series = [s.to_dict() for s in trend.series if s.code == code] if trend else []
    if trend is not None and series and len(trend.periods) >= 2:
        title = f"{code}: share by period"
        spec = charts.trend_chart(trend.periods, series, title)
        blocks.append(Chart(f"{anchor}-trend", title, spec))
    blocks.extend(f"{note[:1].upper()}{note[1:]}." for note in result.notes)
    by_dimension = {b.dimension: b for b in result.breakdowns}
    for dimension in (*EXPLORE_DIMENSIONS, "state"):
        breakdown = by_dimension.get(dimension)
        if breakdown is None or not breakdown.rows:
            continue
        title = f"{code}: {breakdown.title.lower()}"
        raw = breakdown.to_dict()
        spec = (
            charts.state_map(raw, title)
            if dimension == "state"
            else charts.breakdown_chart(raw, title)
        )
        table = breakdown_table(result, breakdown, data)
        blocks.append(Chart(f"{anchor}-{dimension}", title, spec, table))
    name = f" {result.name}" if result.name else ""
    return Section(anchor, f"Explore {code}{name}", blocks, explore=True)


def method_note(data: ReportData) -> list[Block]:
    """Sources, store version, period, measures, suppression, perturbation and names."""
    result = data.headline
    payload = result.to_dict()
    meta = payload.get("data", {})
    first, last = data.period
    sources = "; ".join(
        f"{s['name']} ({s.get('format', '?')}, {s.get('record_kind', '?')} records)"
        for s in result.coverage.sources
    )
    out: list[Block] = [
        f"Data: {sources or 'no source matched'}; periods covered: {period_text(first, last)}.",
    ]
    store = store_text(meta)
    if store:
        out.append(f"Store: {store}; every table of the report reads this snapshot.")
    out.append(
        f"Measure: {result.measure_label} ({result.measure}); shares are fractions of the "
        "whole code set's total over the same filters, not of the rows shown."
    )
    out.append(_suppression_text(payload, data))
    perturbation = perturbation_text(payload)
    if perturbation:
        out.append(f"Perturbation: {perturbation}.")
    out.append(
        "Names: CPT codes carry claimscope's own plain-language names, not the AMA's "
        "descriptors (CPT is a registered trademark of the American Medical Association); "
        "HCPCS Level II names are CMS's short descriptions."
    )
    out.append(
        "Each table lists the query that produced it; the same figures come from the "
        "claimscope command named there (top, compare, trend, explore)."
    )
    notes = [*data.notes, *result.notes]
    out.extend(f"Note: {n}." for n in dict.fromkeys(notes))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"Generated by claimscope {__version__} on {generated}.")
    return out


def _suppression_text(payload: dict[str, Any], data: ReportData) -> str:
    policy = data.request.base.privacy
    block = payload.get("suppression") or {}
    text = (
        f"Suppression: no figure reveals a count from 1 to {policy.min_cell_size - 1} "
        "(CMS cell-size rule), directly or by subtraction from totals and shares; "
        "suppressed cells say so and are left out of charts and sentences"
    )
    if block:
        hidden = block.get("primary", 0) + block.get("complementary", 0)
        text += (
            f"; the ranking hides {hidden} code(s): {block.get('primary', 0)} below the "
            f"threshold of {block.get('min_cell_size')} and {block.get('complementary', 0)} "
            "more so that none of them can be derived"
        )
    return text + "."
