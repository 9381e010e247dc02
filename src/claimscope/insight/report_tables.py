"""The tables of a report, as plain rows of text that the HTML and Markdown writers lay out.

Every cell that shows a figure the prose also states is formatted by
:mod:`claimscope.insight.report_figures`; each table carries the query that produced it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from claimscope.analysis.bootstrap import Uncertainty
from claimscope.analysis.compare import CompareResult
from claimscope.analysis.drilldown import Breakdown, DrilldownResult
from claimscope.analysis.trend import TrendResult
from claimscope.insight.report_data import EarlierWindow, ReportData
from claimscope.insight.report_figures import (
    exact_share,
    points_text,
    ranked_figures,
    share_text,
    value_text,
)
from claimscope.insight.report_prose import moves
from claimscope.insight.sentences import percent


@dataclass
class Table:
    """A titled table; ``links`` maps a row index to the anchor its code links to."""

    id: str
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    query: dict[str, Any] = field(default_factory=dict)
    links: dict[int, str] = field(default_factory=dict)

    def query_text(self) -> str:
        return json.dumps(self.query, separators=(", ", ": "), default=str)


def explore_anchor(code: str) -> str:
    return f"explore-{code}"


def ranking_table(data: ReportData) -> Table:
    """Rank, code, name, share, value; cumulative share and lead; intervals when computed."""
    result = data.headline
    headers = ["Rank", "Code", "Name", "Share", "Value", "Cumulative share", "Points ahead of next"]
    with_ci = data.uncertainty is not None
    if with_ci:
        headers += ["95% interval", "Rank stability"]
    rows: list[list[str]] = []
    links: dict[int, str] = {}
    for figures in ranked_figures(result):
        row = figures.row
        cells = [
            str(row.rank),
            row.code,
            row.name or "",
            share_text(figures.share),
            value_text(row.value, result.measure),
            share_text(figures.cumulative),
            points_text(figures.points_ahead, sign=False),
        ]
        if with_ci:
            cells += _interval_cells(data.uncertainty, row.code)
        links[len(rows)] = explore_anchor(row.code)
        rows.append(cells)
    for row in result.rows:
        if row.suppressed:
            rows.append(["", row.code, row.name or "", "suppressed", "suppressed", "", ""])
            rows[-1] += ["", ""] if with_ci else []
    if result.total is not None and rows:
        total = ["", "", "All codes in the set", "", value_text(result.total, result.measure)]
        rows.append(total + [""] * (len(headers) - len(total)))
    return Table(
        "ranking-table",
        f"Ranked codes by share of {result.measure_label.lower()}",
        headers,
        rows,
        numeric={0, 3, 4, 5, 6},
        query=_query("top", result.query, data),
        links=links,
    )


def _interval_cells(uncertainty: Uncertainty | None, code: str) -> list[str]:
    if uncertainty is None or code not in uncertainty.per_code:
        return ["", ""]
    info = uncertainty.per_code[code]
    return [f"{percent(info.ci[0])} to {percent(info.ci[1])}", percent(info.rank_stability, 0)]


def _query(analysis: str, query: dict[str, Any], data: ReportData) -> dict[str, Any]:
    out = {"analysis": analysis, **query}
    cohorts = data.request.cohorts
    if analysis != "compare" and cohorts:
        out["cohort"] = cohorts[0].describe()
    return out


def comparison_tables(data: ReportData) -> list[Table]:
    """The cohorts side by side (rank, share, interval) and their pairwise overlap."""
    result = data.comparison
    if result is None:
        return []
    return [_side_by_side(result, data), _overlap_table(result, data)]


def _side_by_side(result: CompareResult, data: ReportData) -> Table:
    with_ci = any(c.uncertainty is not None for c in result.cohorts)
    headers = ["Code", "Name"]
    for ranking in result.cohorts:
        label = ranking.cohort.label
        headers += [f"{label} rank", f"{label} share"]
        if with_ci:
            headers += [f"{label} 95% interval", f"{label} rank stability"]
    codes: dict[str, str] = {}
    for ranking in result.cohorts:
        for shown in ranking.ranked:
            codes.setdefault(shown.code, shown.name or "")
    rows = []
    for code, name in codes.items():
        cells = [code, name]
        for ranking in result.cohorts:
            row = ranking.row(code)
            if row is None:
                hidden = any(r.code == code for r in ranking.full.rows)
                cells += ["suppressed" if hidden else "not billed", ""]
                cells += ["", ""] if with_ci else []
                continue
            cells += [str(row.rank), share_text(exact_share(row, ranking.full.total))]
            cells += _interval_cells(ranking.uncertainty, code) if with_ci else []
        rows.append(cells)
    step = 4 if with_ci else 2
    numeric = {i for i in range(2, len(headers)) if (i - 2) % step in (0, 1)}
    query = {"analysis": "compare", **result.query}
    query["cohort"] = [c.cohort.describe() for c in result.cohorts]
    return Table("compare-table", "The cohorts' lists side by side", headers, rows, numeric, query)


def _overlap_table(result: CompareResult, data: ReportData) -> Table:
    headers = ["Lists", "Codes in both", "Codes in either", "Jaccard", "Rank-biased overlap",
               "Kendall tau-b"]  # fmt: skip
    rows = []
    for pair in result.overlaps:
        a, b = result.cohort(pair.a).cohort.label, result.cohort(pair.b).cohort.label
        either = len(pair.shared) + len(pair.only_a) + len(pair.only_b)
        rows.append(
            [
                f"{a} and {b}",
                str(len(pair.shared)),
                str(either),
                _two(pair.jaccard_top_n),
                _two(pair.rank_biased_overlap),
                _two(pair.kendall_tau_b),
            ]
        )
    query = {"analysis": "compare", **result.query}
    return Table("overlap-table", "How alike the lists are", headers, rows, {1, 2, 3, 4, 5}, query)


def _two(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def mover_table(data: ReportData, window: EarlierWindow, index: int) -> Table:
    headers = ["Rank", "Code", "Name", "Share", f"Rank {window.span}", f"Share {window.span}",
               "Change (points)"]  # fmt: skip
    rows = [
        [
            str(m.row.rank),
            m.row.code,
            m.row.name or "",
            share_text(m.share),
            "-" if m.rank_then is None else str(m.rank_then),
            "-" if m.share_then is None else share_text(m.share_then),
            points_text(m.points),
        ]
        for m in moves(data, window)
    ]
    caption = f"Ranks and shares against {window.label}"
    query = _query("top", window.result.query if window.result else {}, data)
    return Table(f"movers-{index}", caption, headers, rows, {0, 3, 4, 5, 6}, query)


def trend_table(data: ReportData, trend: TrendResult) -> Table:
    headers = ["Code", "Name", *trend.periods, "Change (points)", "Fitted trend (points a year)"]
    rows = [
        [
            s.code,
            s.name or "",
            *(
                "suppressed" if hidden else share_text(v)
                for v, hidden in zip(s.shares, s.suppressed, strict=True)
            ),
            points_text(s.change_pp),
            points_text(s.slope_pp_per_year),
        ]
        for s in trend.series
    ]
    numeric = set(range(2, len(headers)))
    query = _query("trend", trend.query, data)
    return Table("trend-table", "Shares by period", headers, rows, numeric, query)


def breakdown_table(result: DrilldownResult, breakdown: Breakdown, data: ReportData) -> Table:
    rows = [
        [
            r.label or r.key,
            "suppressed" if r.suppressed else value_text(r.value, result.measure),
            "suppressed" if r.suppressed else share_text(r.share),
        ]
        for r in breakdown.rows
    ]
    header = breakdown.title.removeprefix("By ").capitalize()
    query = _query("explore", result.query, data)
    return Table(
        f"{explore_anchor(result.code)}-{breakdown.dimension}",
        breakdown.title,
        [header, "Value", "Share"],
        rows,
        {1, 2},
        query,
    )
