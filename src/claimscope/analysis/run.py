"""One entry point per analysis for the adapters: open the store, run, close.

Adapters (CLI, API, web) call these and nothing lower, so every surface runs the same
filters, measures and suppression.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import ibis.expr.types as ir

from claimscope.analysis.attribution_report import AttributionReport, attribution_report
from claimscope.analysis.drilldown import DrilldownResult, explore_code
from claimscope.analysis.periods import excluded_period_notes
from claimscope.analysis.query import Filters, PrivacyPolicy, QueryError, TopQuery
from claimscope.analysis.result import TopResult
from claimscope.analysis.top import rank_code_shares
from claimscope.analysis.trend import TrendQuery, TrendResult, code_share_trend
from claimscope.analysis.versions import effective_lines
from claimscope.privacy import MissingKeys, no_keys_message
from claimscope.store.connection import Connection
from claimscope.store.layout import Store
from claimscope.store.table import snapshot

R = TypeVar("R")
AsOf = str | int | None  # ``--as-of``: a store version number or an ISO date/time


@contextmanager
def open_store(
    store_root: Path, engine: str = "duckdb", as_of: AsOf = None
) -> Iterator[Connection]:
    """A connection to one version of the store (default the latest), closed however the
    block ends. A perturbed figure over lines without record keys is refused with the
    command that gives them keys."""
    connection = Connection(store_root, engine, as_of=as_of)
    try:
        yield connection
    except MissingKeys:
        read = connection.snapshot
        latest = as_of is None or read.version == snapshot(Store(store_root)).version
        raise QueryError(no_keys_message(store_root, read.version, latest)) from None
    finally:
        connection.close()


def stamped(result: R, connection: Connection) -> R:
    """``result`` with the store version it read recorded in its coverage (every coverage of
    a comparison's cohorts too)."""
    read = connection.snapshot
    holders: list[Any] = [result]
    for cohort in getattr(result, "cohorts", []):
        holders += [getattr(cohort, "full", None), getattr(cohort, "top", None)]
    for holder in holders:
        coverage = getattr(holder, "coverage", None)
        if coverage is not None:
            coverage.store_version, coverage.store_time = read.version, read.time
    return result


def store_lines(connection: Connection, filters: Filters) -> ir.Table:
    """The store's lines an analysis of ``filters`` reads: pruned to its sources and months,
    with superseded and voided claim versions removed."""
    lines = connection.lines(
        sources=filters.sources, month_from=filters.month_from, month_to=filters.month_to
    )
    return effective_lines(lines)


def run_top(
    store_root: Path, query: TopQuery, *, engine: str = "duckdb", as_of: AsOf = None
) -> TopResult:
    """Rank code shares over the store (at version ``as_of``) for ``query`` (``claimscope top``).

    Example: ``run_top(Path("claimscope-store"), TopQuery(build_filters("pmr"))).to_dict()``.
    """
    filters = query.filters
    with open_store(store_root, engine, as_of) as connection:
        lines = store_lines(connection, filters)
        result = rank_code_shares(lines, query)
        result.notes.extend(excluded_period_notes(connection, filters))
        return stamped(result, connection)


def run_trend(
    store_root: Path, query: TrendQuery, *, engine: str = "duckdb", as_of: AsOf = None
) -> TrendResult:
    """Shares of the leading codes per period over the store (``claimscope trend``)."""
    filters = query.filters
    with open_store(store_root, engine, as_of) as connection:
        lines = store_lines(connection, filters)
        trend = code_share_trend(lines, query)
        trend.notes.extend(excluded_period_notes(connection, filters))
        return stamped(trend, connection)


def run_explore(
    store_root: Path,
    code: str,
    filters: Filters,
    *,
    measure: str = "services",
    privacy: PrivacyPolicy | None = None,
    engine: str = "duckdb",
    as_of: AsOf = None,
) -> DrilldownResult:
    """Breakdowns of one code over the store (``claimscope explore``)."""
    with open_store(store_root, engine, as_of) as connection:
        lines = store_lines(connection, filters)
        result = explore_code(lines, code, filters, measure=measure, privacy=privacy)
        result.notes.extend(excluded_period_notes(connection, filters))
        return stamped(result, connection)


def run_explore_with_trend(
    store_root: Path,
    code: str,
    filters: Filters,
    *,
    measure: str = "services",
    privacy: PrivacyPolicy | None = None,
    trend_codes: int = 50,
    engine: str = "duckdb",
    as_of: AsOf = None,
) -> tuple[DrilldownResult, TrendResult | None]:
    """The explorer's drill-down: :func:`run_explore` and the code set's trend (its
    ``trend_codes`` leading codes) read from one store version; no trend when the code's
    total is hidden."""
    privacy = privacy or PrivacyPolicy()
    with open_store(store_root, engine, as_of) as connection:
        lines = store_lines(connection, filters)
        notes = excluded_period_notes(connection, filters)
        result = explore_code(lines, code, filters, measure=measure, privacy=privacy)
        result.notes.extend(notes)
        if result.total is None:
            return stamped(result, connection), None
        query = TrendQuery(filters, measure=measure, codes_limit=trend_codes, privacy=privacy)
        trend = code_share_trend(lines, query)
        trend.notes.extend(notes)
        return stamped(result, connection), stamped(trend, connection)


def run_attribution(
    store_root: Path,
    filters: Filters,
    *,
    privacy: PrivacyPolicy | None = None,
    engine: str = "duckdb",
    as_of: AsOf = None,
) -> AttributionReport:
    """How lines were attributed to disciplines, and where the rules disagree."""
    with open_store(store_root, engine, as_of) as connection:
        lines = store_lines(connection, filters)
        report = stamped(attribution_report(lines, filters, privacy=privacy), connection)
        report.notes.extend(excluded_period_notes(connection, filters))
        return report
