"""X12 837 throughput: the 837 reader alone and full ingest, against a segment-split floor and
the pipeline's generic Parquet ingest of the same claims, in the same run.

    .venv/bin/python benchmarks/bench_x12.py [--mb 200] [--repeat 2] [--workdir DIR]

The input is a pure 837P interchange written by ``claimscope.synth.x12_writer.write_837p``
from the professional claims of ``claimscope.synth.generate_claims``, at least ``--mb``
megabytes (default 200); the same claims are written as generic-layout Parquet. Files live in
``--workdir`` (default a temporary directory, removed afterwards). Inputs are made and every
phase runs in its own child process, so each peak RSS (``VmHWM``) is that phase's own; with
``--repeat`` the fastest run is shown (the machine is shared, so the minimum is the least
disturbed figure; CPU seconds are shown as well):

* ``split``   read the file in 4 MiB chunks and split it into segments: the I/O + tokenizing
  floor any pure-Python X12 parser pays;
* ``read``    the X12 reader alone: every staging batch built, nothing written;
* ``ingest``  ``ingest_paths`` of the 837 file into an empty store (reader + validation,
  pseudonymisation, sorting, Parquet writing, ledger);
* ``parquet`` ``ingest_paths`` of the same claims as generic Parquet (baseline for ``ingest``).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from _common import peak_rss_mib

SEED = 20240917
PHASES = ("split", "read", "ingest", "parquet")


def make_inputs(work: Path, megabytes: float) -> tuple[Path, Path, int]:
    """An 837 file of at least ``megabytes`` MB and the same claims as Parquet."""
    from claimscope.synth import generate_claims
    from claimscope.synth.x12_writer import write_837p

    sample = write_837p(professional(generate_claims(20_000, SEED)), work / "sample.837")
    per_line = sample.bytes / sample.lines
    # generate_claims counts all lines; about half are professional (measured on the sample).
    share = sample.lines / 20_000
    lines = math.ceil(megabytes * 1e6 * 1.02 / per_line / share)
    x12, parquet = work / "claims.837", work / "claims.parquet"
    writer: pq.ParquetWriter | None = None

    def tables() -> Iterator[pa.Table]:
        nonlocal writer
        for table in professional(generate_claims(lines, SEED)):
            if writer is None:
                writer = pq.ParquetWriter(parquet, table.schema, compression="zstd")
            writer.write_table(table)
            yield table

    summary = write_837p(tables(), x12)
    assert writer is not None
    writer.close()
    (work / "sample.837").unlink()
    return x12, parquet, summary.lines


def professional(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The professional claims only: the benchmark file is a pure 837P interchange."""
    for table in tables:
        yield table.filter(pc.equal(table["claim_type"], "professional"))


def phase(name: str, path: Path, store: Path) -> dict[str, float]:
    """Run one timed phase in this process (imports done before the clock starts)."""
    from claimscope.ingest.base import ReadOptions
    from claimscope.ingest.pipeline import ingest_paths
    from claimscope.ingest.x12.reader import READER
    from claimscope.ingest.x12.tokenizer import iter_segment_lists, read_delimiters
    from claimscope.store.layout import Store

    start, cpu = time.perf_counter(), time.process_time()
    rows = 0
    if name == "split":
        with open(path, "rb") as stream:
            delimiters = read_delimiters(stream.read(1024), str(path))
            stream.seek(0)
            rows = sum(len(s) for s in iter_segment_lists(stream, delimiters, str(path)))
    elif name == "read":
        for batch in READER.read(path, ReadOptions()):
            rows += batch.table.num_rows
            assert not batch.quarantined
    else:
        report = ingest_paths([path], Store.open(store), source="bench")
        rows = report.loaded
        assert report.quarantined == 0, report.to_dict()
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "rows": rows,
        "peak_rss_mib": peak_rss_mib(),
    }


def run_child(name: str, path: Path, store: Path, repeat: int) -> dict[str, float] | None:
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
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if done.returncode:
            print(f"phase {name} failed: {done.stderr.strip().splitlines()[-1][:300]}")
            return None
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    shutil.rmtree(store, ignore_errors=True)
    best: dict[str, float] = min(runs, key=lambda r: r["seconds"])
    return best


def report(
    figures: dict[str, dict[str, float] | None], x12: Path, parquet: Path, lines: int
) -> None:
    size = x12.stat().st_size / 1e6
    print(f"837 file {size:,.0f} MB, {lines:,} claim lines; Parquet of the same claims "
          f"{parquet.stat().st_size / 1e6:,.0f} MB")  # fmt: skip
    print(f"{'phase':8} {'seconds':>8} {'cpu s':>7} {'MB/s':>7} {'MB/cpu-s':>9} "
          f"{'lines/s':>10} {'peak RSS':>9}  ratio")  # fmt: skip
    for name, fig in figures.items():
        if fig is None:
            print(f"{name:8} failed (see above)")
            continue
        baseline = figures["parquet" if name in ("ingest", "parquet") else "split"]
        base = baseline["seconds"] if baseline else float("nan")
        rate = f"{fig['rows'] / fig['seconds']:10,.0f}" if name != "split" else f"{'-':>10}"
        mb = size if name != "parquet" else parquet.stat().st_size / 1e6
        print(
            f"{name:8} {fig['seconds']:8.2f} {fig['cpu']:7.2f} {mb / fig['seconds']:7.1f} "
            f"{mb / fig['cpu']:9.1f} {rate} {fig['peak_rss_mib']:7.0f}Mi  "
            f"{fig['seconds'] / base:5.2f}x"
        )
    segments = (figures["split"] or {}).get("rows", 0)
    print(f"split counted {segments:,} segments. Ratios: split and read against split; ingest "
          "and parquet against the Parquet ingest of the same claims.")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the 837 file")
    parser.add_argument("--repeat", type=int, default=2, help="runs per phase; best is shown")
    parser.add_argument("--workdir", type=Path, help="keep inputs here (default: temporary)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "inputs":
        x12, parquet, lines = make_inputs(args.file, float(str(args.store)))
        print(json.dumps({"x12": str(x12), "parquet": str(parquet), "lines": lines}))
        return
    if args.phase:
        print(json.dumps(phase(args.phase, args.file, args.store)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-x12-") as temporary:
        work: Path = args.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        # Inputs are made in a child too, so that this parent stays small; a --workdir that
        # already holds inputs of the requested size is reused.
        meta = work / "inputs.json"
        made = json.loads(meta.read_text()) if meta.exists() else {}
        if made.get("mb") != args.mb or not Path(made.get("x12", "-")).exists():
            cmd = [sys.executable, __file__, "--phase", "inputs", "--file", str(work)]
            cmd += ["--store", str(args.mb)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            made = {**json.loads(out), "mb": args.mb}
            meta.write_text(json.dumps(made))
        x12, parquet, lines = Path(made["x12"]), Path(made["parquet"]), int(made["lines"])
        print(f"inputs ready in {time.perf_counter() - started:.0f}s; best of {args.repeat} runs")
        figures = {
            name: run_child(
                name, parquet if name == "parquet" else x12, work / f"store-{name}", args.repeat
            )
            for name in PHASES
        }
        report(figures, x12, parquet, lines)


if __name__ == "__main__":
    main()
