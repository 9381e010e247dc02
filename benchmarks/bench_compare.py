"""`compare` and `attribution` cost, as a ratio to `top` over the same store, in one command.

    .venv/bin/python benchmarks/bench_compare.py [--lines 2000000] [--repeats 3]

Generates (once, seeded) synthetic claims into --workdir, then times, in this process and
on warm caches: top (pmr, Jan-Sep 2023), compare rehab / physical_therapists /
occupational_therapists with and without the provider bootstrap (--ci, 200 replicates),
and the attribution report. Prints median seconds, the ratio to top, and peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from _common import median_seconds, peak_rss_mib, synthetic_store

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.run import run_attribution, run_top
from claimscope.insight.run import resolve_cohorts, run_compare

COHORTS = ["rehab", "physical_therapists", "occupational_therapists"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/compare"))
    args = parser.parse_args()
    store = synthetic_store(args.workdir, args.lines, args.seed)
    base = TopQuery(build_filters("pmr", period_from="2023-01", period_to="2023-09"))
    cohorts = resolve_cohorts(COHORTS, store, Path.cwd())
    phases: dict[str, Callable[[], object]] = {
        "top": lambda: run_top(store, base),
        "compare": lambda: run_compare(store, cohorts, base),
        "compare --ci": lambda: run_compare(store, cohorts, base, ci=True),
        "attribution": lambda: run_attribution(store, base.filters),
    }
    results = {name: median_seconds(action, args.repeats) for name, action in phases.items()}
    print(f"{args.lines:,} synthetic lines; median of {args.repeats} warm runs")
    for name, seconds in results.items():
        print(f"{name:<14} {seconds:7.3f}s  {seconds / results['top']:5.1f}x top")
    print(
        f"peak RSS of the whole run (includes generating and ingesting on a first run): "
        f"{peak_rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
