"""`report` cost, as a ratio to the `top` and `compare` calls it makes, over the same store.

    .venv/bin/python benchmarks/bench_report.py [--lines 2000000] [--repeats 3]

Generates (once, seeded) synthetic claims into --workdir, then times, in this process and on
warm caches (median of --repeats): top (pmr, Jan-Sep 2023, top 15); compare rehab /
physical_therapists / occupational_therapists; the report's figures (gather: that compare,
the same ranking over the previous period and a year earlier, the month trend of the 15 codes
and their drill-downs); the whole report (figures, layout, HTML and Markdown with every SVG).
The report calls compare once and top twice (the earlier windows), so "x calls" divides by
compare + 2 top. Prints peak RSS (VmHWM). Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import median_seconds, peak_rss_mib, synthetic_store

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.insight.report import build_report
from claimscope.insight.report_data import ReportRequest, gather_report
from claimscope.insight.report_output import write_report
from claimscope.insight.run import resolve_cohorts, run_compare

COHORTS = ["rehab", "physical_therapists", "occupational_therapists"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/report"))
    args = parser.parse_args()
    store = synthetic_store(args.workdir, args.lines, args.seed)
    base = TopQuery(build_filters("pmr", period_from="2023-01", period_to="2023-09"))
    cohorts = resolve_cohorts(COHORTS, store, Path.cwd())
    request = ReportRequest(base, tuple(cohorts))
    out = Path(tempfile.mkdtemp(prefix="bench-report-"))
    phases: dict[str, Callable[[], object]] = {
        "top": lambda: run_top(store, base),
        "compare": lambda: run_compare(store, cohorts, base),
        "report figures": lambda: gather_report(store, request),
        "report": lambda: write_report(build_report(gather_report(store, request)), out),
    }
    results = {name: median_seconds(action, args.repeats) for name, action in phases.items()}
    calls = results["compare"] + 2 * results["top"]
    print(f"{args.lines:,} synthetic lines; median of {args.repeats} warm runs")
    for name, seconds in results.items():
        print(
            f"{name:<15} {seconds:7.3f}s  {seconds / results['top']:5.1f}x top  "
            f"{seconds / results['compare']:5.2f}x compare  {seconds / calls:5.2f}x calls"
        )
    charts = len(list((out / "charts").glob("*.svg")))
    print(f"report files in {out}: {charts} SVG charts")
    print(f"peak RSS of the whole run (includes generating and ingesting on a first run): "
          f"{peak_rss_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
