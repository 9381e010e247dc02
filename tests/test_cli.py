"""The command line as a user runs it: real files in, contracts out, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from claimscope.cli import app
from tests.canonical import lines_for, write_store

runner = CliRunner()
PUF = "cms-puf-2012/Medicare_Provider_Util_Payment_PUF_CY2012_first_rows.txt"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def puf_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    store = tmp_path_factory.mktemp("store")
    code, out = run("ingest", str(shared_data / PUF), "--store", str(store), "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["read"] == report["loaded"] + report["quarantined"]
    assert report["loaded"] > 16_000
    assert set(report) >= {"files", "read", "loaded", "quarantined", "quarantine_path"}
    return store


def test_ingesting_the_same_file_twice_skips_it(puf_store: Path, shared_data: Path) -> None:
    code, out = run("ingest", str(shared_data / PUF), "--store", str(puf_store), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["files"][0]["skipped"] is True


def test_top_on_the_cms_file_ranks_its_rehab_codes(puf_store: Path) -> None:
    code, out = run(
        "top", "--store", str(puf_store), "--from", "2012", "--to", "2012", "--format", "json"
    )
    assert code == 0, out
    result = json.loads(out)
    assert result["data"]["periods"] == ["2012"]
    assert result["data"]["sources"][0]["format"] == "cms_puf"
    shown = [r for r in result["rows"] if not r.get("suppressed")]
    assert shown[0]["code"] == "97110"
    assert sum(r["share"] for r in shown) <= 1.0001


def test_line_measures_are_refused_for_an_aggregated_file(puf_store: Path) -> None:
    code, out = run("top", "--store", str(puf_store), "--measure", "claims")
    assert code == 2
    assert "needs claim lines" in out
    assert "Traceback" not in out


def test_user_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    code, out = run("top", "--store", str(tmp_path / "nowhere"))
    assert code == 2 and "error:" in out and "Traceback" not in out
    code, out = run("top", "--store", str(tmp_path), "--codes", "97010-96000")
    assert code == 2 and "97010-96000" in out
    code, out = run("top", "--store", str(tmp_path), "--min-cell-size", "5")
    assert code == 2 and "--allow-small-cells" in out
    code, out = run("ingest", str(tmp_path / "missing.csv"), "--store", str(tmp_path / "s"))
    assert code == 2 and "missing.csv" in out


def test_markdown_and_csv_outputs_say_what_they_answer(puf_store: Path) -> None:
    code, out = run(
        "top", "--store", str(puf_store), "--format", "markdown", "--limit", "3", "--state", "ca"
    )
    assert code == 0, out
    assert out.startswith("## Top codes: Physical medicine and rehabilitation (pmr)\n")
    assert "| rank | code | name | services (units billed) | share |" in out
    assert "- Filters: state CA" in out
    assert "- Period: all months in the store; data covers 2012" in out
    assert "- Suppression: counts below 11 withheld" in out
    code, out = run("top", "--store", str(puf_store), "--format", "csv", "--limit", "3")
    assert code == 0, out
    lines = out.splitlines()
    meta = [line for line in lines if line.startswith("#")]
    assert lines[: len(meta)] == meta  # metadata first
    assert meta[0] == "# Top codes: Physical medicine and rehabilitation (pmr)"
    assert "# Measure: Services (units billed)" in meta
    assert "# Sources: cms_puf_2012" in meta
    assert lines[len(meta)] == "rank,code,name,value,share,suppressed"
    first = lines[len(meta) + 1].split(",")
    assert first[:2] == ["1", "97110"] and first[-3].isdigit()  # 188371, never 188371.0


def test_ingest_reports_why_rows_were_quarantined(tmp_path: Path, shared_data: Path) -> None:
    seed = shared_data / "tuva" / "medical_claim_seed.csv"
    code, out = run("ingest", str(seed), "--store", str(tmp_path), "--format", "json")
    assert code == 0, out
    (file_report,) = json.loads(out)["files"]
    assert (file_report["read"], file_report["loaded"], file_report["quarantined"]) == (
        2075,
        1813,
        262,
    )
    assert file_report["quarantine_reasons"] == [
        {"field": "hcpcs_code", "reason": "no HCPCS code", "rows": 149},
        {"field": "service_unit_quantity", "reason": "missing units", "rows": 113},
    ]


def test_a_damaged_store_file_is_one_message_naming_it(tmp_path: Path) -> None:
    write_store(tmp_path, lines_for("97110", 20) + lines_for("97140", 20, month="2023-02"))
    january, february = sorted(tmp_path.glob("claims/service_month=*/*.parquet"))
    january.write_text("not parquet")
    code, out = run("top", "--store", str(tmp_path))
    assert code == 1
    assert "internal error" in out and january.name in out and "--debug" in out
    assert "Traceback" not in out
    # A file deleted by hand: never silently dropped rows, one line naming the file.
    february.unlink()
    code, out = run("top", "--store", str(tmp_path), "--from", "2023-02")
    assert code == 2 and "is missing" in out and february.name in out.replace("\n", "")


def test_batch_summary_names_the_folder_once_and_every_file_whole(
    tmp_path: Path, shared_data: Path
) -> None:
    folder = tmp_path / "exports_from_the_clearinghouse_for_the_year_2023" / "monthly_drops"
    folder.mkdir(parents=True)
    seed = (shared_data / "tuva" / "medical_claim_seed.csv").read_bytes()
    (folder / "medical_claim_seed_of_the_tuva_project.csv").write_bytes(seed)
    (folder / "notes_that_are_not_claims.txt").write_text("hello\n")
    result = CliRunner().invoke(
        app, ["ingest", str(folder), "--store", str(tmp_path / "s")], env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    assert f"Ingest of {folder}" in " ".join(result.output.split())
    table = result.output[result.output.index("┏") :]
    assert "…" not in table
    rows = [r for r in table.splitlines() if r.startswith("│")]
    files = "".join(r.split("│")[1].strip() for r in rows)  # folded names joined again
    assert "medical_claim_seed_of_the_tuva_project.csv" in files
    assert "notes_that_are_not_claims.txt" in files
    assert "loaded" in rows[0] and "2,075" in rows[0] and "1,813" in rows[0]
    assert str(folder) not in table  # the folder is in the title, not on every row
