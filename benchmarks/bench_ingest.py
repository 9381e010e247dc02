"""Ingest throughput: generic-layout Parquet and CSV through ``ingest_paths``, against a plain
pyarrow read + zstd Parquet write of the same file in the same run.

    .venv/bin/python benchmarks/bench_ingest.py [--lines 2000000] [--repeat 3]

Each timed phase runs in its own child process so its peak RSS (``ru_maxrss``) is its own;
with ``--repeat`` every phase runs that many times and the fastest run is reported (the
machine is shared, so the minimum is the least disturbed figure). The input comes from the
synthetic claims generator (``claimscope.synth``), or, where that is not installed, from a
seeded numpy generator in this file. The timing covers everything ``ingest_paths`` does:
hashing the file, reading, validation, pseudonymisation, sorting, Parquet writing, and the
Delta commit carrying the ingest record.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from _common import peak_rss_mib

from claimscope.terminology.npi import check_digits

SEED = 20240917


def _npis(rng: np.random.Generator, n: int) -> list[str]:
    body = rng.integers(100_000_000, 299_999_999, size=n)
    return [str(v) for v in body * 10 + check_digits(body)]


def generate(n: int) -> pa.Table:
    """``n`` claim lines in the generic layout (typed dates and numbers, as Parquet holds them)."""
    rng = np.random.default_rng(SEED)
    codes = [f"97{c:03d}" for c in range(10, 800, 3)] + ["99213", "99214", "G0283", "20610"]
    weights = rng.pareto(1.2, len(codes)) + 0.01
    code_idx = rng.choice(len(codes), size=n, p=weights / weights.sum())
    npis = _npis(rng, 3000)
    lines_per_claim = 3
    claim = np.arange(n) // lines_per_claim
    patient = rng.integers(0, max(n // 25, 1), size=n // lines_per_claim + 1)[claim]
    day0 = np.datetime64("2022-01-01")
    service = day0 + rng.integers(0, 730, size=n // lines_per_claim + 1)[claim]
    units = rng.choice([1.0, 2.0, 3.0, 4.0], size=n, p=[0.5, 0.3, 0.15, 0.05])
    charge = np.round(units * rng.uniform(20, 180, size=n), 2)
    payers = np.array(["medicare", "commercial", "medicaid", "medicare_advantage"])
    return pa.table(
        {
            "record_kind": pa.array(np.full(n, "line")),
            "claim_id": pa.array(np.char.add("C", claim.astype(str))),
            "line_number": pa.array(np.arange(n) % lines_per_claim + 1, pa.int32()),
            "patient_id": pa.array(np.char.add("P", patient.astype(str))),
            "service_from": pa.array(service, pa.date32()),
            "rendering_npi": pa.array(np.array(npis)[rng.integers(0, len(npis), size=n)]),
            "rendering_taxonomy": pa.array(
                rng.choice(["225100000X", "225X00000X", "208100000X", "207Q00000X"], size=n)
            ),
            "payer_type": pa.array(payers[rng.integers(0, len(payers), size=n)]),
            "state": pa.array(rng.choice(["CA", "TX", "NY", "FL", "OH", "PA"], size=n)),
            "place_of_service": pa.array(rng.choice(["11", "22", "12", "19"], size=n)),
            "hcpcs_code": pa.array(np.array(codes)[code_idx]),
            "modifier_1": pa.array(rng.choice(["GP", "GO", "59", ""], size=n)).cast(pa.string()),
            "units": pa.array(units),
            "charge_amount": pa.array(charge),
            "allowed_amount": pa.array(np.round(charge * 0.6, 2)),
            "paid_amount": pa.array(np.round(charge * 0.48, 2)),
            "line_status": pa.array(rng.choice(["paid", "denied"], size=n, p=[0.93, 0.07])),
        }
    )


def synthetic(n: int) -> tuple[pa.Table, str]:
    """``n`` lines from the project's synthetic generator, else from :func:`generate`."""
    try:
        from claimscope.synth import generate_claims
    except ImportError:
        return generate(n), "benchmark's own seeded generator"
    return pa.concat_tables(generate_claims(n, SEED)), "claimscope.synth.generate_claims"


def _phase(name: str, path: Path, store: Path) -> dict[str, float]:
    """Run one timed phase in this process and return its figures."""
    start = time.perf_counter()
    cpu_start = time.process_time()
    rows = 0
    if name == "ingest":
        from claimscope.ingest.pipeline import ingest_paths
        from claimscope.store.layout import Store

        report = ingest_paths([path], Store.open(store), fmt="generic", source="bench")
        rows = report.loaded
        assert report.quarantined == 0, report.to_dict()
    else:  # baseline: read the same file with pyarrow, write it as zstd Parquet
        table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
        store.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, store / "baseline.parquet", compression="zstd")
        rows = table.num_rows
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # all threads of the process
    peak_mib = peak_rss_mib()
    return {"seconds": elapsed, "cpu_seconds": cpu, "rows": rows, "peak_rss_mib": peak_mib}


def _run_child(name: str, path: Path, store: Path, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        shutil.rmtree(store, ignore_errors=True)
        cmd = [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--file",
            str(path),
            "--store",
            str(store),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    shutil.rmtree(store, ignore_errors=True)
    best: dict[str, float] = min(runs, key=lambda r: r["seconds"])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per phase; best is shown")
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/ingest"))
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, args.file, args.store)))
        return
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    table, origin = synthetic(args.lines)
    parquet, csv = work / "lines.parquet", work / "lines.csv"
    pq.write_table(table, parquet, compression="zstd")
    pacsv.write_csv(table, csv)
    del table
    print(f"{args.lines:,} generic-layout lines from {origin}; best of {args.repeat} runs")
    print(
        f"{'input':8} {'phase':9} {'seconds':>8} {'lines/s':>11} {'cpu s':>6} "
        f"{'peak RSS':>9}  ratio"
    )
    for path in (parquet, csv):
        figures = {
            name: _run_child(name, path, work / f"store-{name}", args.repeat)
            for name in ("baseline", "ingest")
        }
        base = figures["baseline"]["seconds"]
        for name, fig in figures.items():
            rate = fig["rows"] / fig["seconds"]
            ratio = fig["seconds"] / base
            print(
                f"{path.suffix[1:]:8} {name:9} {fig['seconds']:8.2f} {rate:11,.0f} "
                f"{fig['cpu_seconds']:6.2f} {fig['peak_rss_mib']:7.0f}Mi  {ratio:4.2f}x"
            )
    size = {p.suffix[1:]: p.stat().st_size / 2**20 for p in (parquet, csv)}
    print(f"input sizes: parquet {size['parquet']:.0f} MiB, csv {size['csv']:.0f} MiB")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")


if __name__ == "__main__":
    main()
