"""``make demo``: generate synthetic all-payor claims, ingest them, print the reproduced study.

An adapter like the CLI: it only calls core functions and formats what they return.
Generated data and the store are reused between runs when the seed and size are unchanged.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.result import TopResult
from claimscope.analysis.run import run_top
from claimscope.cli.render import format_share
from claimscope.ingest.pipeline import ingest_paths
from claimscope.store.layout import Store
from claimscope.store.upgrade import upgrade_if_needed
from claimscope.synth import published_shares, write_synthetic

console = Console()


def prepare(workdir: Path, lines: int, seed: int) -> Path:
    """Synthetic Parquet and a store holding it, rebuilt only when size or seed change."""
    stamp = workdir / "demo.json"
    wanted = {"lines": lines, "seed": seed}
    store_root = workdir / "store"
    if stamp.exists() and json.loads(stamp.read_text()) == wanted and store_root.is_dir():
        console.print(f"Reusing {lines:,} synthetic lines (seed {seed}) in {workdir}/")
        store = Store.open(store_root)
        with store.lock():
            upgraded = upgrade_if_needed(store)  # a store from a demo run before Delta
        if upgraded is not None:
            console.print(f"Upgraded {store_root} to a Delta table")
        return store_root
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    started = time.perf_counter()
    with console.status(f"Generating {lines:,} synthetic claim lines (seed {seed})..."):
        report = write_synthetic(workdir / "synthetic", lines, seed)
    console.print(
        f"Generated {report.lines:,} lines on {report.claims:,} claims for "
        f"{report.patients:,} patients in {time.perf_counter() - started:.1f}s"
    )
    started = time.perf_counter()
    with console.status("Ingesting into the store..."):
        ingest = ingest_paths([workdir / "synthetic"], Store.open(store_root), source="synthetic")
    console.print(
        f"Ingested: read {ingest.read:,}, loaded {ingest.loaded:,}, quarantined "
        f"{ingest.quarantined:,} in {time.perf_counter() - started:.1f}s"
    )
    stamp.write_text(json.dumps(wanted))
    return store_root


def ranking(store_root: Path, limit: int, specialty: str | None = None) -> TopResult:
    filters = build_filters(
        "pmr",
        period_from="2023-01",
        period_to="2023-09",
        specialty=[specialty] if specialty else None,
    )
    return run_top(store_root, TopQuery(filters=filters, limit=limit))


def study_table(
    result: TopResult, title: str, published: dict[str, float], caption: str | None = None
) -> Table:
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for header, justify in (
        ("Rank", "right"),
        ("Code", "left"),
        ("Name", "left"),
        ("Share", "right"),
        ("Published", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in result.rows:
        reference = published.get(row.code)
        table.add_row(
            "" if row.rank is None else str(row.rank),
            row.code,
            row.name or "",
            "suppressed" if row.suppressed else format_share(row.share),
            "" if reference is None else f"{reference * 100:.1f}%",
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path(".demo"))
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    console.print(
        Panel(
            "[bold]This demo runs on SYNTHETIC claims[/]: seeded and calibrated to published "
            "all-payor figures, not real patients.\nReal files load with "
            "[cyan]claimscope ingest PATH[/] (CMS provider-by-service PUF, Tuva medical_claim, "
            "X12 837, FHIR EOB, CMS RIF, generic CSV/Parquet).",
            title="claimscope demo",
        )
    )
    store_root = prepare(args.workdir, args.lines, args.seed)
    reference = published_shares()
    read = ranking(store_root, 1).coverage  # every ranking below reads this same version
    console.print(f"Ranking store version {read.store_version} (committed {read.store_time})")
    console.print(
        study_table(
            ranking(store_root, 15),
            "Top 15 physical medicine & rehabilitation codes (97010-97799), Jan-Sep 2023, "
            "share of services",
            reference.get("rehab", {}),
        )
    )
    console.print(
        study_table(
            ranking(store_root, 5, "physical_therapy"),
            "Physical therapists: top 5, Jan-Sep 2023",
            {},
            "Published physical-therapist list (2021): 97110, 97140, 97530, 97112 in that order.",
        )
    )
    console.print(
        study_table(
            ranking(store_root, 5, "occupational_therapy"),
            "Occupational therapists: top 5, Jan-Sep 2023",
            reference.get("ot", {}),
            "Published column: the occupational-therapist list of 2022.",
        )
    )
    console.print(
        f"Store: {store_root}  ·  try [cyan]claimscope top --store {store_root} --codes pmr "
        "--payer-type medicare --format markdown[/]"
    )
    console.print(f"Report: {write_demo_report(store_root, args.workdir / 'report')}")
    return 0


def write_demo_report(store_root: Path, folder: Path) -> Path:
    """The article of the study: rehab against the PT and OT lists, Jan-Sep 2023."""
    from claimscope.insight.report import run_report
    from claimscope.insight.report_data import ReportRequest
    from claimscope.insight.report_output import write_report
    from claimscope.insight.run import resolve_cohorts

    filters = build_filters("pmr", period_from="2023-01", period_to="2023-09")
    cohorts = resolve_cohorts(
        ["rehab", "physical_therapists", "occupational_therapists"], store_root, store_root
    )
    with console.status("Writing the report..."):
        request = ReportRequest(TopQuery(filters=filters, limit=15), tuple(cohorts))
        return write_report(run_report(store_root, request), folder).html.resolve()


if __name__ == "__main__":
    sys.exit(main())
