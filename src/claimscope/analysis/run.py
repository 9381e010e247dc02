"""One entry point per analysis for the adapters: open the store, run, close.

Adapters (CLI, API, web) call these and nothing lower, so every surface runs the same
filters, measures and suppression.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ibis.expr.types as ir

from claimscope.analysis.attribution_report import AttributionReport, attribution_report
from claimscope.analysis.drilldown import DrilldownResult, explore_code
from claimscope.analysis.periods import excluded_period_notes
from claimscope.analysis.query import Filters, PrivacyPolicy, TopQuery
from claimscope.analysis.result import TopResult
from claimscope.analysis.top import rank_code_shares
from claimscope.analysis.trend import TrendQuery, TrendResult, code_share_trend
from claimscope.analysis.versions import effective_lines
from claimscope.store.connection import Connection


@contextmanager
def open_store(store_root: Path, engine: str = "duckdb") -> Iterator[Connection]:
    """A connection to the store that is closed however the block ends."""
    connection = Connection(store_root, engine)
    try:
        yield connection
    finally:
        connection.close()


def store_lines(connection: Connection, filters: Filters) -> ir.Table:
    """The store's lines an analysis of ``filters`` reads: pruned to its sources and months,
    with superseded and voided claim versions removed."""
    lines = connection.lines(
        sources=filters.sources, month_from=filters.month_from, month_to=filters.month_to
    )
    return effective_lines(lines)


def run_top(store_root: Path, query: TopQuery, *, engine: str = "duckdb") -> TopResult:
    """Rank code shares over the store for ``query`` (``claimscope top``).

    Example: ``run_top(Path("claimscope-store"), TopQuery(build_filters("pmr"))).to_dict()``.
    """
    filters = query.filters
    with open_store(store_root, engine) as connection:
        lines = store_lines(connection, filters)
        result = rank_code_shares(lines, query)
        result.notes.extend(excluded_period_notes(connection, filters))
        return result


def run_trend(store_root: Path, query: TrendQuery, *, engine: str = "duckdb") -> TrendResult:
    """Shares of the leading codes per period over the store (``claimscope trend``)."""
    filters = query.filters
    with open_store(store_root, engine) as connection:
        lines = store_lines(connection, filters)
        trend = code_share_trend(lines, query)
        trend.notes.extend(excluded_period_notes(connection, filters))
        return trend


def run_explore(
    store_root: Path,
    code: str,
    filters: Filters,
    *,
    measure: str = "services",
    privacy: PrivacyPolicy | None = None,
    engine: str = "duckdb",
) -> DrilldownResult:
    """Breakdowns of one code over the store (``claimscope explore``)."""
    with open_store(store_root, engine) as connection:
        lines = store_lines(connection, filters)
        result = explore_code(lines, code, filters, measure=measure, privacy=privacy)
        result.notes.extend(excluded_period_notes(connection, filters))
        return result


def run_attribution(
    store_root: Path,
    filters: Filters,
    *,
    privacy: PrivacyPolicy | None = None,
    engine: str = "duckdb",
) -> AttributionReport:
    """How lines were attributed to disciplines, and where the rules disagree."""
    with open_store(store_root, engine) as connection:
        lines = store_lines(connection, filters)
        report = attribution_report(lines, filters, privacy=privacy)
        report.notes.extend(excluded_period_notes(connection, filters))
        return report
