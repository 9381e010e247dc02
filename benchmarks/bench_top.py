"""`claimscope top` against hand-written DuckDB SQL over the same Parquet files (the files of the
Delta table's current version inside the period).

    .venv/bin/python benchmarks/bench_top.py --lines 20000000

Generates (once, seeded) synthetic claims, ingests them into a store under --workdir, then
runs both variants in child processes of this command, alternating, and prints median
seconds, the ratio ours/SQL and each child's peak RSS. Both variants answer the same
question: 97010-97799 services and distinct patients per code plus totals, Jan-Sep 2023,
voided claims excluded, reading only the month partitions of the period. Ours includes opening
the Delta log (snapshot, version time, file list); the SQL gets the file list for free.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import peak_rss_mib, synthetic_store

BASELINE_SQL = """
WITH f AS (
  SELECT hcpcs_code, units, patient_key FROM read_parquet({files}, hive_partitioning = true)
  WHERE hcpcs_code BETWEEN '97010' AND '97799'
    AND (claim_frequency IS NULL OR claim_frequency <> '8')
    AND service_month >= DATE '2023-01-01' AND period_end_month <= DATE '2023-09-01')
SELECT hcpcs_code, sum(units) AS services, count(DISTINCT patient_key) AS patients
FROM f GROUP BY 1 ORDER BY 2 DESC
"""
TOTAL_SQL = """
SELECT sum(units), count(DISTINCT patient_key) FROM read_parquet({files}, hive_partitioning = true)
WHERE hcpcs_code BETWEEN '97010' AND '97799'
  AND (claim_frequency IS NULL OR claim_frequency <> '8')
  AND service_month >= DATE '2023-01-01' AND period_end_month <= DATE '2023-09-01'
"""


def run_ours(store: Path) -> float:
    from claimscope.analysis.query import TopQuery, build_filters
    from claimscope.analysis.run import run_top

    query = TopQuery(build_filters("97010-97799", period_from="2023-01", period_to="2023-09"))
    started = time.perf_counter()
    result = run_top(store, query)
    elapsed = time.perf_counter() - started
    assert result.rows, "no rows"
    return elapsed


def period_files(store: Path) -> str:
    """The current version's files of Jan-Sep 2023, as a DuckDB list literal."""
    from datetime import date

    from claimscope.store.layout import Store
    from claimscope.store.table import snapshot

    files = snapshot(Store(store)).files_between(date(2023, 1, 1), date(2023, 9, 1))
    return "[" + ", ".join(f"'{f.path}'" for f in files) + "]"


def run_sql(store: Path) -> float:
    import duckdb

    files = period_files(store)  # listed before the clock starts: a given for the baseline
    started = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(BASELINE_SQL.format(files=files)).fetchall()
    con.execute(TOTAL_SQL.format(files=files)).fetchall()
    con.close()
    elapsed = time.perf_counter() - started
    assert rows, "no rows"
    return elapsed


def child(variant: str, store: Path, repeats: int) -> None:
    runner = run_ours if variant == "ours" else run_sql
    runner(store)  # warm the OS page cache and imports
    times = [runner(store) for _ in range(repeats)]
    peak_mb = peak_rss_mib()
    print(json.dumps({"times": times, "peak_rss_mb": peak_mb}))


def measure(variant: str, store: Path, repeats: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            variant,
            "--store",
            str(store),
            "--repeats",
            str(repeats),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return {"median_s": statistics.median(data["times"]), "peak_rss_mb": data["peak_rss_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/top"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", choices=("ours", "sql"))
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.store, args.repeats)
        return
    store = synthetic_store(args.workdir, args.lines, args.seed)
    ours = measure("ours", store, args.repeats)
    sql = measure("sql", store, args.repeats)
    for label, figures in (
        ("claimscope top (Ibis/DuckDB)", ours),
        ("hand-written DuckDB SQL", sql),
    ):
        print(
            f"{label:<29} {figures['median_s']:.3f}s median, "
            f"peak RSS {figures['peak_rss_mb']:.0f} MB"
        )
    print(f"ratio ours/SQL: {ours['median_s'] / sql['median_s']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
