"""Synthetic claims generation: lines per second and peak memory, against a copy baseline.

    .venv/bin/python benchmarks/bench_synth.py --lines 2000000

Runs each variant in its own child process (so peak RSS is the variant's own) and prints
seconds, lines/s and peak RSS:

* ``generate``: iterate :func:`claimscope.synth.generate_claims` (no output);
* ``write``: :func:`claimscope.synth.write_synthetic` to Parquet (what ``claimscope synth`` does);
* ``copy`` (baseline): read the Parquet parts just written and write them again with PyArrow,
  part by part: the floor cost of materialising and writing the same lines, with no
  generation. The ratio write/copy says how much generation costs over plain I/O.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import peak_rss_mib


def run_generate(lines: int, seed: int, workdir: Path) -> int:
    from claimscope.synth import generate_claims

    return sum(t.num_rows for t in generate_claims(lines, seed))


def run_write(lines: int, seed: int, workdir: Path) -> int:
    from claimscope.synth import write_synthetic

    return write_synthetic(workdir / "synthetic", lines, seed).lines


def run_copy(lines: int, seed: int, workdir: Path) -> int:
    import pyarrow.parquet as pq

    target = workdir / "copy"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    total = 0
    for part in sorted((workdir / "synthetic").glob("part-*.parquet")):
        table = pq.read_table(part)
        pq.write_table(table, target / part.name, compression="zstd", row_group_size=250_000)
        total += table.num_rows
    return total


VARIANTS = {"generate": run_generate, "write": run_write, "copy": run_copy}


def child(variant: str, lines: int, seed: int, workdir: Path) -> None:
    started = time.perf_counter()
    rows = VARIANTS[variant](lines, seed, workdir)
    elapsed = time.perf_counter() - started
    peak_mb = peak_rss_mib()
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_rss_mb": peak_mb}))


def measure(variant: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", variant, "--lines", str(args.lines)]
    command += ["--seed", str(args.seed), "--workdir", str(args.workdir)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/synth"))
    parser.add_argument("--child", choices=tuple(VARIANTS))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.lines, args.seed, args.workdir)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = {name: measure(name, args) for name in ("generate", "write", "copy")}
    for name, r in results.items():
        assert r["rows"] == args.lines, (name, r["rows"])
        print(
            f"{name:9s} {r['seconds']:6.2f}s  {args.lines / r['seconds']:>12,.0f} lines/s  "
            f"peak RSS {r['peak_rss_mb']:,.0f} MB"
        )
    ratio = results["write"]["seconds"] / results["copy"]["seconds"]
    print(f"ratio write/copy: {ratio:.1f}x  (target: {args.lines:,} lines written in < 30 s)")


if __name__ == "__main__":
    main()
