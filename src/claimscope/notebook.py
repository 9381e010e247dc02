"""One call per analysis, for notebooks: ``claimscope.top(store, codes="pmr", period=...)``.

Each call parses its arguments exactly as the CLI and API do (same vocabularies, same
errors), runs the same core entry point, and returns an :class:`Analysis`: the result with
``.to_pandas()``, ``.to_arrow()``, ``.to_dict()`` and a Jupyter display (the table under a
caption naming the code set, cohort, filters, period, measure and suppression)::

    import claimscope
    ranking = claimscope.top("claimscope-store", codes="pmr", period="2023-01..2023-09",
                             specialty="physical_therapy")
    ranking.to_pandas().head()
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from claimscope.analysis.query import Filters, PrivacyPolicy, QueryError, TopQuery, build_filters
from claimscope.insight.describe import Description, describe, described
from claimscope.insight.tables import result_table

Values = str | list[str] | tuple[str, ...] | None


@dataclass(frozen=True)
class Analysis:
    """An analysis result with its title and facts, as a table in every usual form."""

    kind: str
    result: Any

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract, with its ``description`` (as ``--format json`` and the API)."""
        return described(self.kind, self.result.to_dict())

    @property
    def description(self) -> Description:
        return describe(self.kind, self.result.to_dict())

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table; the title and facts ride along as schema metadata."""
        columns, rows = result_table(self.kind, self.to_dict())
        table = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in rows])
        if not rows:
            table = pa.table({c: pa.array([], pa.null()) for c in columns})
        description = self.description
        metadata = {"claimscope.title": description.title}
        metadata |= {f"claimscope.{k.lower()}": v for k, v in description.facts}
        return table.replace_schema_metadata(metadata)

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame; ``df.attrs`` holds the title and facts.

        Counts stay integers (pandas' nullable ``Int64``: a suppressed one is ``<NA>``).
        """
        import pandas as pd

        frame = self.to_arrow().to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        description = self.description
        frame.attrs.update({"title": description.title, **dict(description.facts)})
        return frame

    def _repr_html_(self) -> str:
        description = self.description
        columns, rows = result_table(self.kind, self.to_dict())
        caption = "<br>".join(
            [f"<b>{html.escape(description.title)}</b>", *map(html.escape, description.lines())]
        )
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_html_cell(v)}</td>" for v in row) + "</tr>" for row in rows
        )
        return (
            '<table class="claimscope">'
            f'<caption style="caption-side: top; text-align: left">{caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def __repr__(self) -> str:
        return "\n".join([self.description.title, *self.description.lines()])


def _html_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "suppressed" if value else ""
    return html.escape(f"{value:,}" if isinstance(value, int) else str(value))


def parse_period(
    period: str | tuple[str | None, str | None] | None,
) -> tuple[str | None, str | None]:
    """``"2023-01..2023-09"``, ``"2023"`` (one year) or ``("2023-01", None)`` -> (from, to)."""
    if period is None:
        return None, None
    if isinstance(period, tuple):
        return period
    start, sep, end = period.partition("..")
    if not sep:
        return start.strip(), start.strip()
    return start.strip() or None, end.strip() or None


def _list(values: Values) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def _filters(codes: str, period: Any, options: dict[str, Any]) -> Filters:
    period_from, period_to = parse_period(period)
    return build_filters(
        codes,
        period_from=period_from,
        period_to=period_to,
        specialty=_list(options.get("specialty")),
        payer_type=_list(options.get("payer_type")),
        state=_list(options.get("state")),
        place_of_service=_list(options.get("pos")),
        source=_list(options.get("source")),
        line_status=options.get("status", "all"),
    )


def _privacy(options: dict[str, Any]) -> PrivacyPolicy:
    return PrivacyPolicy(options.get("min_cell_size", 11), options.get("allow_small_cells", False))


FILTER_OPTIONS = frozenset(
    {"specialty", "payer_type", "state", "pos", "source", "status", "min_cell_size",
     "allow_small_cells"}
)  # fmt: skip


def _check(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - FILTER_OPTIONS)
    if unknown:
        raise QueryError(
            f"unknown argument {unknown[0]!r}; filters are {', '.join(sorted(FILTER_OPTIONS))}",
            parameter=unknown[0],
        )


def top(
    store: str | Path,
    codes: str = "pmr",
    period: Any = None,
    *,
    measure: str = "services",
    limit: int = 15,
    engine: str = "duckdb",
    as_of: str | int | None = None,
    **filters: Any,
) -> Analysis:
    """Ranked code shares (``claimscope top``). ``filters``: specialty, payer_type, state, pos,
    source, status, min_cell_size, allow_small_cells (each a value or a list)."""
    from claimscope.analysis.run import run_top

    _check(filters)
    query = TopQuery(_filters(codes, period, filters), measure, limit, _privacy(filters))
    return Analysis("top", run_top(Path(store), query, engine=engine, as_of=as_of))


def trend(
    store: str | Path,
    codes: str = "pmr",
    period: Any = None,
    *,
    grain: str = "month",
    measure: str = "services",
    limit: int = 5,
    engine: str = "duckdb",
    as_of: str | int | None = None,
    **filters: Any,
) -> Analysis:
    """The leading codes' shares per month, quarter or year (``claimscope trend``)."""
    from claimscope.analysis.trend import TrendQuery
    from claimscope.insight.run import explain_trend

    _check(filters)
    query = TrendQuery(_filters(codes, period, filters), measure, grain, limit, _privacy(filters))
    return Analysis("trend", explain_trend(Path(store), query, engine=engine, as_of=as_of))


def explore(
    store: str | Path,
    code: str,
    period: Any = None,
    *,
    measure: str = "services",
    engine: str = "duckdb",
    as_of: str | int | None = None,
    **filters: Any,
) -> Analysis:
    """Breakdowns of one code by specialty, payer, state, place, ... (``claimscope explore``)."""
    from claimscope.analysis.run import run_explore

    _check(filters)
    result = run_explore(
        Path(store),
        code,
        _filters(code, period, filters),
        measure=measure,
        privacy=_privacy(filters),
        engine=engine,
        as_of=as_of,
    )
    return Analysis("explore", result)


def compare(
    store: str | Path,
    cohorts: list[str],
    codes: str = "pmr",
    period: Any = None,
    *,
    measure: str = "services",
    limit: int = 15,
    ci: bool = False,
    seed: int = 42,
    replicates: int = 200,
    engine: str = "duckdb",
    as_of: str | int | None = None,
    **filters: Any,
) -> Analysis:
    """Top-N lists of two or more cohorts side by side (``claimscope compare``)."""
    from claimscope.insight.run import resolve_cohorts, run_compare

    _check(filters)
    root = Path(store)
    base = TopQuery(_filters(codes, period, filters), measure, limit, _privacy(filters))
    resolved = resolve_cohorts(list(cohorts), root, Path.cwd())
    result = run_compare(
        root, resolved, base, ci=ci, seed=seed, replicates=replicates, engine=engine, as_of=as_of
    )
    return Analysis("compare", result)
