"""Every figure a report shows, gathered in one pass over the store.

A report is the headline ranking (the first cohort's, or the whole code set's), the other
cohorts' rankings with their overlap (a comparison), the month-by-month trend of the
headline's codes, the same ranking in the previous period and a year earlier, and one
drill-down per ranked code. Each piece is the result of an existing analysis (``top``,
``compare``, ``trend``, ``explore``) over the same filters, so each table the report prints
is exactly what that command prints, suppression included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from claimscope.analysis.bootstrap import Uncertainty, bootstrap_ranking
from claimscope.analysis.cohorts import Cohort
from claimscope.analysis.compare import CompareResult, lines_scope
from claimscope.analysis.drilldown import DrilldownResult
from claimscope.analysis.drilldown_many import explore_codes
from claimscope.analysis.query import Filters, QueryError, TopQuery, month_label
from claimscope.analysis.result import TopResult
from claimscope.analysis.run import AsOf, open_store, stamped, store_lines
from claimscope.analysis.top import rank_code_shares
from claimscope.analysis.trend import TrendQuery, TrendResult, code_share_trend
from claimscope.analysis.versions import effective_lines
from claimscope.insight.sentences import explain_comparison
from claimscope.store.connection import Connection, StoreError


@dataclass(frozen=True)
class ReportRequest:
    """What a report is about: the code set, period, measure and N of ``base``, and cohorts."""

    base: TopQuery
    cohorts: tuple[Cohort, ...] = ()
    ci: bool = False
    seed: int = 42
    replicates: int = 200

    def describe(self) -> dict[str, Any]:
        return {
            **self.base.describe(),
            "cohort": [c.name for c in self.cohorts],
            "ci": self.ci,
        }


@dataclass
class EarlierWindow:
    """The headline's ranking over an earlier window (every code, no limit)."""

    label: str  # "the previous nine months", "the same months a year earlier"
    month_from: str
    month_to: str
    result: TopResult | None  # None: the store has no files for the window

    @property
    def span(self) -> str:
        """``2022-04 to 2022-12``, or the one month."""
        if self.month_from == self.month_to:
            return self.month_from
        return f"{self.month_from} to {self.month_to}"

    @property
    def has_data(self) -> bool:
        result = self.result
        return result is not None and not result.coverage.empty and result.total is not None


@dataclass
class ReportData:
    """The figures of one report; :mod:`claimscope.insight.report` lays them out."""

    request: ReportRequest
    headline: TopResult
    headline_label: str | None
    uncertainty: Uncertainty | None
    comparison: CompareResult | None
    trend: TrendResult | None
    earlier: list[EarlierWindow]
    explores: dict[str, DrilldownResult]
    notes: list[str] = field(default_factory=list)

    @property
    def period(self) -> tuple[str | None, str | None]:
        """First and last month the report covers (from the request, else the data)."""
        q = self.headline.query
        periods = self.headline.coverage.periods
        first = q.get("from") or (periods[0][:7] if periods else None)
        last = q.get("to") or (periods[-1][-7:] if periods else None)
        return first, last


def gather_report(
    store_root: Path, request: ReportRequest, *, engine: str = "duckdb", as_of: AsOf = None
) -> ReportData:
    """Run every analysis the report prints, over one connection to the store (one version);
    every result records that version."""
    with open_store(store_root, engine, as_of) as connection:
        data = _gather(connection, request)
        results: list[Any] = [data.headline, data.comparison, data.trend]
        results += [w.result for w in data.earlier] + list(data.explores.values())
        for result in results:
            if result is not None:
                stamped(result, connection)
        return data


def _gather(connection: Connection, request: ReportRequest) -> ReportData:
    base = request.base
    cohorts = list(request.cohorts)
    comparison = None
    uncertainty = None
    label = None
    if len(cohorts) >= 2:
        lines = effective_lines(connection.lines(**lines_scope(cohorts, base)))
        comparison = explain_comparison(
            lines,
            cohorts,
            base,
            ci=request.ci,
            seed=request.seed,
            replicates=request.replicates,
        )
        first = comparison.cohorts[0]
        headline, uncertainty = first.top, first.uncertainty
    else:
        head = cohorts[0] if cohorts else None
        query = _narrow(base, head) if head else base
        selected = _selected(connection, head, query.filters)
        headline = rank_code_shares(selected, query)
        if request.ci:
            full = rank_code_shares(selected, dataclasses.replace(query, limit=None))
            uncertainty = bootstrap_ranking(
                selected, query.filters, full, replicates=request.replicates, seed=request.seed
            )
    head_cohort = cohorts[0] if cohorts else None
    if head_cohort is not None and _restricts(head_cohort):
        label = head_cohort.label
    filters = head_cohort.filters(base.filters) if head_cohort else base.filters
    data = ReportData(request, headline, label, uncertainty, comparison, None, [], {})
    data.trend = _trend(connection, head_cohort, filters, request, data)
    data.earlier = _earlier(connection, head_cohort, filters, request, data)
    codes = [row.code for row in headline.rows if row.rank is not None]
    data.explores = explore_codes(
        _selected(connection, head_cohort, filters),
        codes,
        filters,
        measure=_additive(base.measure),
        privacy=base.privacy,
    )
    return data


def _restricts(cohort: Cohort) -> bool:
    """Whether the cohort selects fewer lines than the report's own filters (``rehab``: no)."""
    return set(cohort.describe()) - {"name", "label", "origin"} != set()


def _narrow(base: TopQuery, cohort: Cohort) -> TopQuery:
    return dataclasses.replace(base, filters=cohort.filters(base.filters))


def _selected(connection: Connection, cohort: Cohort | None, filters: Filters) -> ir.Table:
    """The store's effective lines for ``filters``, narrowed to the cohort's disciplines."""
    narrowed = cohort.filters(filters) if cohort else filters
    lines = store_lines(connection, narrowed)
    return cohort.select(lines) if cohort else lines


def _additive(measure: str) -> str:
    """Breakdowns and trends need an additive measure; distinct counts fall back to services."""
    return measure if measure in ("services", "lines", "allowed", "paid") else "services"


def _trend(
    connection: Connection,
    cohort: Cohort | None,
    filters: Filters,
    request: ReportRequest,
    data: ReportData,
) -> TrendResult | None:
    shown = sum(1 for r in data.headline.rows if r.rank is not None)
    if not shown:
        return None
    aggregated = "aggregate" in data.headline.coverage.record_kinds
    query = TrendQuery(
        filters,
        measure=_additive(request.base.measure),
        grain="year" if aggregated else "month",
        codes_limit=shown,
        privacy=request.base.privacy,
    )
    if query.measure != request.base.measure:
        data.notes.append(
            f"trend and breakdowns count {query.measure}: {request.base.measure} are distinct "
            "counts that do not add up over months or breakdown rows"
        )
    try:
        return code_share_trend(_selected(connection, cohort, filters), query)
    except QueryError as exc:
        data.notes.append(f"no trend: {exc}")
        return None


def _earlier(
    connection: Connection,
    cohort: Cohort | None,
    filters: Filters,
    request: ReportRequest,
    data: ReportData,
) -> list[EarlierWindow]:
    """The same ranking over the window just before and over the same months a year earlier."""
    first, last = data.period
    if first is None or last is None or len(first) != 7 or len(last) != 7:
        return []
    start, end = _month(first), _month(last)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    windows = [(f"the previous {_months_phrase(months)}", -months)]
    if months != 12:
        windows.append(("the same months a year earlier", -12))
    out = []
    for label, shift in windows:
        window = dataclasses.replace(
            filters, month_from=_shift(start, shift), month_to=_shift(end, shift)
        )
        query = dataclasses.replace(request.base, filters=window, limit=None)
        try:
            result: TopResult | None = rank_code_shares(
                _selected(connection, cohort, window), query
            )
        except StoreError:
            result = None  # no files for those months at all
        out.append(
            EarlierWindow(
                label, month_label(_shift(start, shift)), month_label(_shift(end, shift)), result
            )
        )
    return out


def _months_phrase(months: int) -> str:
    words = ("", "month", "two months", "three months", "four months", "five months",
             "six months", "seven months", "eight months", "nine months", "ten months",
             "eleven months", "twelve months")  # fmt: skip
    return words[months] if months < len(words) else f"{months} months"


def _month(label: str) -> date:
    return date(int(label[:4]), int(label[5:7]), 1)


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)
