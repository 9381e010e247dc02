"""Entry points for adapters to analyses that come with generated text."""

from __future__ import annotations

from pathlib import Path

from claimscope.analysis.cohorts import Cohort, cohort_files, load_cohorts, resolve_cohort
from claimscope.analysis.compare import CompareResult, lines_scope
from claimscope.analysis.query import TopQuery
from claimscope.analysis.run import AsOf, open_store, run_trend, stamped
from claimscope.analysis.trend import TrendQuery, TrendResult
from claimscope.analysis.versions import effective_lines
from claimscope.insight.sentences import explain_comparison
from claimscope.insight.trend_sentences import trend_sentences


def resolve_cohorts(texts: list[str], store_root: Path, project_dir: Path) -> list[Cohort]:
    """Built-in, file-defined (``cohorts.toml`` in the store or project) and inline cohorts."""
    known = load_cohorts(cohort_files(store_root, project_dir))
    return [resolve_cohort(text, known) for text in texts]


def run_compare(
    store_root: Path,
    cohorts: list[Cohort],
    base: TopQuery,
    *,
    ci: bool = False,
    seed: int = 42,
    replicates: int = 200,
    engine: str = "duckdb",
    as_of: AsOf = None,
) -> CompareResult:
    """Rank the code set for every cohort, compare the lists and describe them in sentences."""
    with open_store(store_root, engine, as_of) as connection:
        lines = effective_lines(connection.lines(**lines_scope(cohorts, base)))
        result = explain_comparison(lines, cohorts, base, ci=ci, seed=seed, replicates=replicates)
        return stamped(result, connection)


def explain_trend(
    store_root: Path, query: TrendQuery, *, engine: str = "duckdb", as_of: AsOf = None
) -> TrendResult:
    """The trend of the leading codes' shares, with sentences on how they moved."""
    result = run_trend(store_root, query, engine=engine, as_of=as_of)
    result.sentences = trend_sentences(result)
    return result
