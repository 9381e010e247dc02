"""Versions of the store: --as-of reproduces past answers, diff, status, history, check,
vacuum and the upgrade of an old-layout store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from claimscope.analysis.restatement import run_diff
from claimscope.ingest.pipeline import ingest_paths
from claimscope.schema import CLAIM_LINE
from claimscope.store.compact import compact_store
from claimscope.store.layout import Store, StoreError
from claimscope.store.ledger import Ledger
from claimscope.store.maintenance import check_store, vacuum_store
from claimscope.store.status import store_status
from claimscope.store.table import commits, read_lines, snapshot
from tests.canonical import lines_for
from tests.store_helpers import QUERY, claims_csv, top_answer, unstamped
from tests.store_helpers import invoke as cli

FIRST = {"97110": 30, "97140": 20, "97530": 15, "97112": 12}
# The restatement: 97140 grows, 97530 is withdrawn, 97035 appears, 97112 unchanged.
RESTATED = {"97110": 30, "97140": 25, "97035": 14, "97112": 12}


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, dict[str, Any]]]:
    """A store taken through ingest, ingest, replace, compaction and ingest; the top answer
    recorded while each version was the latest."""
    tmp = tmp_path_factory.mktemp("versions")
    store = Store.open(tmp / "store")
    answers: dict[int, dict[str, Any]] = {}

    def record() -> None:
        answers[snapshot(store).version] = top_answer(store.root)

    first = claims_csv(tmp / "jan.csv", FIRST)
    ingest_paths([first], store)
    record()
    ingest_paths([claims_csv(tmp / "feb.csv", FIRST, month="2023-02", tag="f")], store)
    record()
    claims_csv(first, RESTATED)  # the January file, restated under the same name
    ingest_paths([first], store, replace=True)
    record()
    ingest_paths([claims_csv(tmp / "late.csv", {"97110": 11}, tag="m")], store)  # January too
    record()
    assert compact_store(store).files_before == 2  # January's two files
    record()
    return store.root, answers


def test_as_of_reproduces_every_version_exactly(versions: tuple[Path, dict[int, Any]]) -> None:
    root, answers = versions
    assert sorted(answers) == [1, 2, 3, 4, 5]
    operations = [c.record.get("operation") for c in commits(Store(root))]
    assert operations == ["create", "ingest", "ingest", "replace", "ingest", "compact"]
    for version, answer in answers.items():
        assert top_answer(root, as_of=version) == answer
        assert top_answer(root, as_of=str(version))["data"]["store_version"] == version
    # Compaction changed no content; the replace did.
    assert unstamped(answers[5]) == unstamped(answers[4])
    assert unstamped(answers[3]) != unstamped(answers[2])
    assert answers[2]["total"] == 2 * sum(FIRST.values())
    assert answers[3]["total"] == sum(FIRST.values()) + sum(RESTATED.values())


def test_as_of_a_time_reads_the_version_current_then(versions: tuple[Path, Any]) -> None:
    root, answers = versions
    latest = answers[5]["data"]["store_time"]
    assert top_answer(root, as_of=latest)["data"]["store_version"] == 5
    assert top_answer(root, as_of="2100-01-01")["data"]["store_version"] == 5
    with pytest.raises(StoreError, match="did not exist yet at 1999-01-01"):
        top_answer(root, as_of="1999-01-01")
    with pytest.raises(StoreError, match="neither a version number nor a date"):
        top_answer(root, as_of="last tuesday")


def test_cli_as_of_on_every_analysis_command(versions: tuple[Path, Any]) -> None:
    root, answers = versions
    out = cli("top", "--store", str(root), "--limit", "3", "--as-of", "2", "--format", "json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["description"]["facts"]["Store"].startswith("version 2")
    assert {k: v for k, v in got.items() if k != "description"} == answers[2]
    for command in (["trend"], ["explore", "97110"], ["attribution"]):
        out = cli(*command, "--store", str(root), "--as-of", "1", "--format", "json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["data"]["store_version"] == 1


def test_diff_shows_a_crafted_restatement(versions: tuple[Path, Any]) -> None:
    root, _ = versions
    result = run_diff(root, QUERY, "1", "3").to_dict()
    assert (result["from"]["store_version"], result["to"]["store_version"]) == (1, 3)
    # Version 3 = January restated + February as first loaded.
    assert result["total"] == {"before": 77, "after": 81 + 77}
    assert result["rows"] == [
        {"code": "97110", "name": result["rows"][0]["name"], "change": "moved",
         "before": {"rank": 1, "value": 30, "share": 0.3896},
         "after": {"rank": 1, "value": 60, "share": 0.3797},
         "value_change": 30, "share_change": -0.0099, "rank_change": 0},
        {"code": "97140", "name": result["rows"][1]["name"], "change": "moved",
         "before": {"rank": 2, "value": 20, "share": 0.2597},
         "after": {"rank": 2, "value": 45, "share": 0.2848},
         "value_change": 25, "share_change": 0.0251, "rank_change": 0},
        {"code": "97112", "name": result["rows"][2]["name"], "change": "entered",
         "before": None, "after": {"rank": 3, "value": 24, "share": 0.1519}},
        {"code": "97530", "name": result["rows"][3]["name"], "change": "left",
         "before": {"rank": 3, "value": 15, "share": 0.1948}, "after": None},
    ]  # fmt: skip
    assert (result["entered"], result["left"]) == (["97112"], ["97530"])
    assert result["suppression"]["min_cell_size"] == 11
    # Compaction restates nothing.
    assert run_diff(root, QUERY, 4, 5).to_dict()["rows"] == []


def test_diff_cli_formats(versions: tuple[Path, Any]) -> None:
    root, _ = versions
    base = ["diff", "--store", str(root), "--from", "2", "--to", "3", "--limit", "3"]
    as_json = json.loads(cli(*base, "--format", "json").stdout)
    assert (as_json["entered"], as_json["left"]) == (["97112"], ["97530"])
    csv_lines = cli(*base, "--format", "csv").stdout.splitlines()
    metadata = [line for line in csv_lines if line.startswith("#")]
    assert metadata[0].startswith("# Restatement of top codes") and "version 2 -> 3" in metadata[0]
    assert "# Store: version 3" in "\n".join(metadata)
    csv_out = [line for line in csv_lines if not line.startswith("#")]
    assert csv_out == [
        "code,change,rank before,rank after,value before,value after,share before,share after",
        "97110,moved,1,1,60,60,39.0%,38.0%",
        "97140,moved,2,2,40,45,26.0%,28.5%",
        "97112,entered,-,3,-,24,-,15.2%",
        "97530,left,3,-,30,-,19.5%,-",
    ]
    assert (
        "| 97530 | left | 3 | - | 30 | - | 19.5% | - |" in cli(*base, "--format", "markdown").stdout
    )
    table = cli(*base).stdout
    assert "Restatement of top codes" in table and "97530" in table


def test_status_history_and_check(versions: tuple[Path, Any]) -> None:
    root, _ = versions
    status = store_status(root).to_dict()
    assert status["version"] == 5
    assert status["months"] == [
        {"month": "2023-01", "lines": sum(RESTATED.values()) + 11},
        {"month": "2023-02", "lines": sum(FIRST.values())},
    ]
    assert [e["identity"] for e in status["last_ingests"]] == [
        "generic/late.csv",
        "generic/jan.csv",
        "generic/feb.csv",
    ]
    assert store_status(root, as_of=1).to_dict()["months"] == [{"month": "2023-01", "lines": 77}]
    history = json.loads(cli("history", "--store", str(root), "--format", "json").stdout)
    assert [v["operation"] for v in history["versions"]] == [
        "create", "ingest", "ingest", "replace", "ingest", "compact",
    ]  # fmt: skip
    assert "replaces batch" in history["versions"][3]["summary"]
    assert history["versions"][5]["summary"] == "compacted 1 months: 2 files -> 1"
    report = check_store(root)
    assert (
        report.ok and report.rows == snapshot(Store(root)).rows == read_lines(Store(root)).num_rows
    )


def test_status_on_the_api_withholds_small_counts(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s")
    ingest_paths([claims_csv(tmp_path / "a.csv", {"97110": 40})], store)
    ingest_paths([claims_csv(tmp_path / "b.csv", {"97110": 4}, month="2023-02", tag="b")], store)
    ingest_paths([claims_csv(tmp_path / "c.csv", {"97110": 30}, month="2023-03", tag="c")], store)
    months = store_status(store.root, protect=True).to_dict()["months"]
    # February (4 lines) is withheld, and March too, or the total would give February away.
    assert months == [
        {"month": "2023-01", "lines": 40},
        {"month": "2023-02", "lines": None, "suppressed": True},
        {"month": "2023-03", "lines": None, "suppressed": True},
    ]


def test_check_and_analyses_name_a_damaged_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s")
    ingest_paths([claims_csv(tmp_path / "a.csv", FIRST)], store)
    ingest_paths([claims_csv(tmp_path / "b.csv", FIRST, month="2023-02", tag="b")], store)
    first, second = snapshot(store).files
    first.path.unlink()
    pq.write_table(pa.table({"x": [1]}), second.path)  # readable, but not what the log says
    report = check_store(store.root)
    assert report.problems == [
        f"missing: {first.path}",
        f"row count: {second.path} holds 1 rows, the log says 77",
    ]
    out = cli("check", "--store", str(store.root))
    assert out.returncode == 1 and "missing:" in out.stdout
    with pytest.raises(StoreError, match=f"store file {first.path} of version 2 is missing"):
        top_answer(store.root)


def test_vacuum_removes_files_no_retained_version_needs(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s")
    path = claims_csv(tmp_path / "a.csv", FIRST)
    ingest_paths([path], store)
    old_file = snapshot(store).files[0].path
    claims_csv(path, RESTATED)
    ingest_paths([path], store, replace=True)
    stray = store.table_dir / "service_month=2023-01-01" / "part-killed-0.parquet"
    stray.write_bytes(b"left by a killed writer")
    latest = top_answer(store.root)
    report = vacuum_store(store.root, 0)
    assert old_file.name in " ".join(report.deleted)
    assert not old_file.exists() and not stray.exists()
    assert unstamped(top_answer(store.root)) == unstamped(latest)
    with pytest.raises(StoreError, match="is missing"):
        top_answer(store.root, as_of=1)  # that version's file was vacuumed


def _old_layout_store(root: Path) -> int:
    """A store as the pre-Delta code wrote it: two ledgered batches and one untracked."""
    rows = 0
    for batch, month, code, n in [
        ("20240101T000000Z-aaaaaa", "2023-01", "97110", 20),
        ("20240101T000000Z-aaaaaa", "2023-02", "97110", 15),
        ("20240102T000000Z-bbbbbb", "2023-01", "97140", 12),
        ("20240103T000000Z-cccccc", "2023-01", "97530", 13),  # killed ingest: no ledger entry
    ]:
        records = lines_for(code, n, month=month, batch_id=batch, source="old")
        old_schema = pa.schema([f for f in CLAIM_LINE if f.name != "record_key"])  # not yet
        columns = {f.name: [r.get(f.name) for r in records] for f in old_schema}
        folder = root / "lines" / "old" / month
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns, schema=old_schema), folder / f"part-{batch}-0.parquet")
        rows += n
    ledger = [
        {"batch_id": "20240101T000000Z-aaaaaa", "path": "/in/a.csv", "size": 1, "sha256": "a",
         "format": "generic", "source": "old", "read": 35, "loaded": 35, "quarantined": 0,
         "months": ["2023-01", "2023-02"], "ingested_at": "2024-01-01T00:00:00+00:00"},
        {"batch_id": "20240102T000000Z-bbbbbb", "path": "/in/b.csv", "size": 1, "sha256": "b",
         "format": "generic", "source": "old", "read": 12, "loaded": 12, "quarantined": 0,
         "months": ["2023-01"], "ingested_at": "2024-01-02T00:00:00+00:00"},
    ]  # fmt: skip
    text = "".join(json.dumps(e) + "\n" for e in ledger) + '{"batch_id": "torn'
    (root / "ledger.jsonl").write_text(text)
    return rows


def test_upgrade_converts_an_old_store_with_counts_checked(tmp_path: Path) -> None:
    root = tmp_path / "old"
    rows = _old_layout_store(root)
    with pytest.raises(StoreError, match="uses the old file layout"):
        top_answer(root)
    out = cli("upgrade", "--store", str(root), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "batches": 3, "rows_before": rows, "rows_after": rows, "version": 1, "keys": rows,
    }  # fmt: skip
    assert cli("upgrade", "--store", str(root)).returncode == 2  # nothing left to do
    store = Store(root)
    assert not store.has_old_layout() and read_lines(store).num_rows == rows == 60
    identities = {e["identity"] for e in store_status(root).to_dict()["last_ingests"]}
    assert identities == {
        "old/a.csv",
        "old/b.csv",
        "old/untracked-20240103T000000Z-cccccc",
    }
    answer = top_answer(root)
    assert [(r["code"], r["value"]) for r in answer["rows"]] == [
        ("97110", 35),
        ("97530", 13),
        ("97140", 12),
    ]
    # A file of an upgraded batch can still be replaced by identity.
    replacement = claims_csv(tmp_path / "b.csv", {"97140": 11}, tag="new")
    ingest_paths([replacement], store, source="old", replace=True)
    assert read_lines(store).num_rows == rows - 12 + 11


def test_first_ingest_into_an_old_store_upgrades_it(tmp_path: Path) -> None:
    root = tmp_path / "old"
    rows = _old_layout_store(root)
    ingest_paths([claims_csv(tmp_path / "new.csv", {"97110": 11})], Store.open(root))
    assert read_lines(Store(root)).num_rows == rows + 11
    assert [c.record.get("operation") for c in commits(Store(root))] == [
        "create",
        "upgrade",
        "ingest",
    ]


def test_a_column_added_to_the_schema_widens_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claimscope.store import table as table_module

    older = pa.schema([f for f in CLAIM_LINE if f.name != "source_file"])
    monkeypatch.setattr(table_module, "table_schema", lambda: older)
    store = Store.open(tmp_path / "s")
    ingest_paths([claims_csv(tmp_path / "a.csv", FIRST)], store)
    assert "source_file" not in {f.name for f in table_module.open_table(store).schema().fields}
    monkeypatch.undo()
    ingest_paths([claims_csv(tmp_path / "b.csv", FIRST, month="2023-02", tag="b")], store)
    assert [c.record.get("operation") for c in commits(store)] == [
        "create", "ingest", "add columns", "ingest",
    ]  # fmt: skip
    assert "source_file" in {f.name for f in table_module.open_table(store).schema().fields}
    assert top_answer(store.root)["total"] == 2 * 77


def test_notebook_calls_take_as_of(versions: tuple[Path, dict[int, Any]]) -> None:
    import claimscope

    root, answers = versions
    ranking = claimscope.top(root, limit=3, as_of=2).to_dict()
    assert ranking["data"]["store_version"] == 2 and ranking["total"] == answers[2]["total"]
    assert claimscope.trend(root, as_of="1").to_dict()["data"]["store_version"] == 1


def test_records_survive_checkpoints(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s")
    files = [claims_csv(tmp_path / f"f{i}.csv", {"97110": 1}, tag=f"t{i}") for i in range(21)]
    assert ingest_paths(files, store).loaded == 21
    assert list((store.table_dir / "_delta_log").glob("*.checkpoint.parquet"))
    assert len(Ledger(store).entries()) == 21
    assert store_status(store.root, as_of=3).to_dict()["months"] == [
        {"month": "2023-01", "lines": 3}
    ]


def test_the_log_tells_which_files_hold_rows_spanning_months(tmp_path: Path) -> None:
    from datetime import date

    from tests.canonical import line, write_store

    annual = line("97110", month="2023-01", period_end_month=date(2023, 12, 1))
    root = write_store(tmp_path, [line("97140", month="2023-02"), annual])
    files = snapshot(Store(root)).files
    assert [(f.month.month, f.spans_months) for f in files] == [(1, True), (2, False)]
    read = snapshot(Store(root))
    assert [f.month.month for f in read.files_between(None, None, spanning_only=True)] == [1]
