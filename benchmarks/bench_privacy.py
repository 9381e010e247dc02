"""What privacy costs: top, trend, compare and explore with and without the audit and perturbation.

    .venv/bin/python benchmarks/bench_privacy.py --lines 20000000

Generates (once, seeded) synthetic claims into --workdir (``_common.synthetic_store``), then
times each analysis over the store in three variants, alternating within one process:

* ``bare``: the same analysis with the privacy package's entry points replaced by pass-through
  stand-ins (every cell shown, no linked audit): the baseline;
* ``audit``: suppression with its audits (1-D tables, the trend's integer-programming grid
  audit, compare's linked integer programme with ``top``), as shipped;
* ``perturb``: the audit plus cell-key perturbation (``--perturb``).

Prints median seconds per variant and the ratios audit/bare and perturb/bare (target < 1.3x),
plus the process's peak RSS.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import peak_rss_mib, synthetic_store

PERIOD = {"period_from": "2023-01", "period_to": "2023-12"}
COHORTS = ("rehab", "pt", "ot")


def analyses(store: Path) -> dict[str, Callable[[Any], object]]:
    """Each analysis as a function of the privacy policy, over the same selection."""
    from claimscope.analysis.query import TopQuery, build_filters
    from claimscope.analysis.run import run_explore, run_top, run_trend
    from claimscope.analysis.trend import TrendQuery
    from claimscope.insight.run import resolve_cohorts, run_compare

    filters = build_filters("pmr", **PERIOD)
    cohorts = resolve_cohorts(list(COHORTS), store, store)
    return {
        "top": lambda p: run_top(store, TopQuery(filters, privacy=p)),
        "trend": lambda p: run_trend(store, TrendQuery(filters, privacy=p)),
        "compare": lambda p: run_compare(store, cohorts, TopQuery(filters, privacy=p)),
        "explore": lambda p: run_explore(store, "97110", filters, privacy=p),
    }


@contextmanager
def bare() -> Any:
    """Replace the privacy entry points the analyses call with pass-through stand-ins."""
    import numpy as np

    import claimscope.analysis.compare as compare
    import claimscope.analysis.drilldown as drilldown
    import claimscope.analysis.top as top
    import claimscope.analysis.trend as trend
    from claimscope.privacy import SuppressedGrid, SuppressedTable

    def grid(values: Any, counts: Any, col_totals: Any, *args: Any, **kwargs: Any) -> Any:
        v = np.asarray(values, float)
        rows = kwargs.get("row_totals")
        return SuppressedGrid(
            values=v.tolist(), suppressed=(v != v).tolist(),
            status=[["shown"] * v.shape[1] for _ in range(v.shape[0])],
            totals=list(col_totals), row_totals=None if rows is None else list(rows),
        )  # fmt: skip

    def table(values: Any, *args: Any, **kwargs: Any) -> Any:
        return SuppressedTable(status=tuple("shown" for _ in values), total_suppressed=False)

    saved = (top.suppress_ranking, trend.suppress_grid, compare.protect_linked,
             drilldown.suppress_cells)  # fmt: skip
    top.suppress_ranking = lambda result, policy, limit: result  # type: ignore[assignment]
    trend.suppress_grid = grid  # type: ignore[assignment]
    compare.protect_linked = lambda *args: None  # type: ignore[assignment]
    drilldown.suppress_cells = table  # type: ignore[assignment]
    try:
        yield
    finally:
        (top.suppress_ranking, trend.suppress_grid, compare.protect_linked,
         drilldown.suppress_cells) = saved  # fmt: skip


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/privacy"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--analyses", default="top,trend,compare,explore", help="comma-separated subset to time"
    )
    args = parser.parse_args()
    from claimscope.analysis.query import PrivacyPolicy

    store = synthetic_store(args.workdir, args.lines, args.seed)
    variants = {"audit": PrivacyPolicy(), "perturb": PrivacyPolicy(perturb=True)}
    wanted = args.analyses.split(",")
    for name, run in analyses(store).items():
        if name not in wanted:
            continue
        times: dict[str, list[float]] = {"bare": [], "audit": [], "perturb": []}
        run(variants["audit"])  # warm the page cache and imports
        for _ in range(args.repeats):
            with bare():
                times["bare"].append(timed(lambda run=run: run(variants["audit"])))
            for label, policy in variants.items():
                times[label].append(timed(lambda run=run, policy=policy: run(policy)))
        median = {k: statistics.median(v) for k, v in times.items()}
        print(
            f"{name:<8} bare {median['bare']:.3f}s  audit {median['audit']:.3f}s "
            f"({median['audit'] / median['bare']:.2f}x)  audit+perturb {median['perturb']:.3f}s "
            f"({median['perturb'] / median['bare']:.2f}x)",
            flush=True,
        )
    print(f"peak RSS {peak_rss_mib():.0f} MB (target ratios < 1.3x)")


if __name__ == "__main__":
    main()
