"""Pipeline behaviour: re-ingest, replace, failures, detection, directories, progress, report."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from claimscope.cli import app
from claimscope.ingest.base import IngestError
from claimscope.ingest.detect import detect_format
from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import IngestOptions, ProgressEvent
from claimscope.store.layout import Store
from claimscope.store.ledger import Ledger
from claimscope.store.table import snapshot

HEADER = "claim_id,patient_id,service_from,hcpcs_code,units\n"


def _csv(path: Path, rows: int = 3, code: str = "97110") -> Path:
    body = "".join(f"C{i},P{i},2023-01-{1 + i % 28:02d},{code},1\n" for i in range(rows))
    path.write_text(HEADER + body)
    return path


def test_reingest_same_file_is_skipped(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    path = _csv(tmp_path / "a.csv")
    first = ingest_paths([path], store)
    again = ingest_paths([path], store)
    (skipped,) = again.files
    assert skipped.status == "skipped" and skipped.read == 0
    assert skipped.batch_id == first.files[0].batch_id
    assert skipped.reason is not None
    assert skipped.reason.startswith("generic/a.csv was already loaded as batch")
    assert snapshot(store).rows == 3 and len(Ledger(store).entries()) == 1
    # The same bytes under another source label: duplicate content, reported and skipped...
    other = ingest_paths([path], store, source="copy")
    assert other.files[0].status == "skipped"
    assert "same content was already loaded" in (other.files[0].reason or "")
    assert snapshot(store).rows == 3
    # ... unless asked for.
    forced = ingest_paths([path], store, source="copy", options=IngestOptions(allow_duplicate=True))
    assert forced.files[0].status == "loaded" and snapshot(store).rows == 6


def test_replace_swaps_the_old_batch(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    path = _csv(tmp_path / "a.csv")
    old = ingest_paths([path], store).files[0].batch_id
    new_report = ingest_paths([path], store, replace=True)
    new = new_report.files[0].batch_id
    assert new != old and new_report.loaded == 3
    assert [f.relative.split("/")[-1] for f in snapshot(store).files] == [f"part-{new}-0.parquet"]
    entries = Ledger(store).entries()
    assert [e.batch_id for e in entries] == [new] and entries[0].replaces == [old]


def _truncated_parquet(path: Path) -> Path:
    pq.write_table(
        pa.table({"hcpcs_code": ["97110"] * 100, "service_from": ["2023-01-01"] * 100}), path
    )
    path.write_bytes(path.read_bytes()[:-20])  # truncated footer
    return path


def test_unreadable_file_is_rejected_and_the_batch_goes_on(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    good = _csv(tmp_path / "good.csv")
    broken = _truncated_parquet(tmp_path / "broken.parquet")
    after = _csv(tmp_path / "later.csv", rows=2, code="97140")
    report = ingest_paths([good, broken, after], store, fmt="generic")
    assert [(f.path.name, f.status) for f in report.files] == [
        ("good.csv", "loaded"), ("broken.parquet", "rejected"), ("later.csv", "loaded"),
    ]  # fmt: skip
    rejected = report.files[1]
    assert rejected.reason is not None and rejected.reason.startswith(f"{broken}: cannot read")
    assert (rejected.read, rejected.loaded) == (0, 0) and report.rejected == [rejected]
    assert report.loaded == 5 and report.to_dict()["rejected_files"] == 1
    # Both good files (each its own commit) are in; nothing of the broken one is in any version.
    assert snapshot(store).rows == 5
    entries = Ledger(store).entries()
    assert [e.path for e in entries] == [str(good.resolve()), str(after.resolve())]
    assert sorted(p.name for p in store.table_dir.rglob("*.parquet")) == sorted(
        f.relative.split("/")[-1] for f in snapshot(store).files
    )


def test_directory_with_one_unreadable_file_among_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _csv(folder / "a.csv", rows=4)
    _truncated_parquet(folder / "b.parquet")
    _csv(folder / "c.csv", rows=4)  # the same bytes as a.csv
    _csv(folder / "d.csv", rows=4, code="97140")
    store = Store.open(tmp_path / "store")
    report = ingest_paths([folder], store)
    assert [(f.path.name, f.status) for f in report.files] == [
        ("a.csv", "loaded"), ("b.parquet", "rejected"), ("c.csv", "skipped"), ("d.csv", "loaded"),
    ]  # fmt: skip
    assert "b.parquet" in (report.files[1].reason or "")
    assert "same content was already loaded as generic/a.csv" in (report.files[2].reason or "")
    assert (report.read, report.loaded) == (8, 8)
    assert sorted(e.path for e in Ledger(store).entries()) == [
        str((folder / "a.csv").resolve()), str((folder / "d.csv").resolve()),
    ]  # fmt: skip


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some text\nwithout a claims header\n")
    with pytest.raises(
        IngestError, match=r"notes\.txt: format not recognised.*cms_puf.*tuva.*generic"
    ):
        detect_format(path)


def test_directory_expands_and_skips_unrecognised_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    _csv(folder / "a.csv", rows=2)
    _csv(folder / "sub" / "b.csv", rows=4, code="97140")
    (folder / "README.md").write_text("# about these files\n")
    (folder / ".hidden.csv").write_text(HEADER)
    report = ingest_paths([folder], Store.open(tmp_path / "store"))
    names = [(f.path.name, f.status) for f in report.files]
    assert names == [("README.md", "skipped"), ("a.csv", "loaded"), ("b.csv", "loaded")]
    assert report.loaded == 6 and report.rejected == []
    assert "README.md: format not recognised" in (report.files[0].reason or "")


def test_missing_path_and_unrecognised_named_file_are_rejected(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\n")
    good = _csv(tmp_path / "a.csv")
    report = ingest_paths([tmp_path / "nope.csv", notes, good], Store.open(tmp_path / "store"))
    assert [f.status for f in report.files] == ["rejected", "rejected", "loaded"]
    assert report.files[0].reason == f"{tmp_path / 'nope.csv'}: no such file or directory"
    assert "notes.txt: format not recognised" in (report.files[1].reason or "")
    assert report.loaded == 3


def test_progress_events_per_batch_and_report_contract(tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    path = tmp_path / "a.parquet"
    codes = ["97110"] * 25
    pq.write_table(
        pa.table({"claim_id": codes, "patient_id": codes, "hcpcs_code": codes,
                  "service_from": ["2023-01-01"] * 25, "units": [1] * 25}),
        path,
    )  # fmt: skip
    report = ingest_paths(
        [path],
        Store.open(tmp_path / "store"),
        options=IngestOptions(batch_rows=10),
        progress=events.append,
    )
    assert [e.rows_read for e in events] == [10, 20, 25, 25]
    assert [e.done for e in events] == [False, False, False, True]
    assert all(e.bytes_total == path.stat().st_size and e.file_count == 1 for e in events)
    assert events[-1].bytes_read == path.stat().st_size
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) >= {"files", "read", "loaded", "quarantined", "quarantine_path"}
    assert set(data["files"][0]) >= {
        "path", "format", "source", "read", "loaded", "quarantined", "skipped", "warnings",
    }  # fmt: skip
    assert (data["read"], data["loaded"], data["quarantined"]) == (25, 25, 0)
    assert data["quarantine_path"].endswith("quarantine")


def test_unusable_source_label_is_an_ingest_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    with pytest.raises(IngestError, match="source label 'My Clinic' is not usable"):
        ingest_paths([_csv(tmp_path / "a.csv")], store, source="My Clinic")
    assert not store.has_table()


def test_cli_reports_every_file_and_exits_2_when_one_was_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _csv(folder / "a.csv", rows=3)
    _truncated_parquet(folder / "b.parquet")
    _csv(folder / "c.csv", rows=2, code="97140")
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["ingest", str(folder), "--store", str(store),
                                      "--format", "json"])  # fmt: skip
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [(Path(f["path"]).name, f["status"]) for f in report["files"]] == [
        ("a.csv", "loaded"), ("b.parquet", "rejected"), ("c.csv", "loaded"),
    ]  # fmt: skip
    assert (report["loaded"], report["rejected_files"]) == (5, 1)
    assert f"error: {folder / 'b.parquet'}: cannot read as Parquet" in result.stderr
    # Everything loaded is in: the good files are not re-read next time.
    again = CliRunner().invoke(app, ["ingest", str(folder / "a.csv"), "--store", str(store)])
    assert again.exit_code == 0 and "skipped" in again.stdout
