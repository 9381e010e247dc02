"""Command-line conventions: version, metavars, one-line errors, vocabularies, self-describing
outputs, and messages that keep a long path whole on a narrow terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from claimscope import __version__
from claimscope.cli.loading import progress_step
from claimscope.ingest.report import ProgressEvent
from tests.canonical import lines_for, write_store
from tests.test_cli import PUF, run


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = lines_for("97110", 40, units=2, state="TX")
    records += lines_for("97140", 30, first_patient=100, state="TX")
    return write_store(tmp_path_factory.mktemp("conventions"), records)


def test_version() -> None:
    assert run("--version") == (0, f"claimscope {__version__}\n")


def test_help_shows_real_metavars() -> None:
    code, out = run("top", "--help")
    assert code == 0
    for metavar in ("CODES", "YYYY-MM", "SPECIALTY", "PAYER_TYPE", "FORMAT", "DIR", "N"):
        assert metavar in out
    assert "VERSION|TIME" in out
    assert "<" not in out  # no <str>, <list[str]>, <int> or <bool> placeholders


COMMANDS = ("top", "trend", "explore", "compare", "attribution", "report", "diff", "status",
            "history", "check", "vacuum", "upgrade", "ingest", "compact", "serve", "synth",
            "sources", "vocab")  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_no_option_shows_a_python_type_as_its_metavar(command: str) -> None:
    code, out = run(command, "--help")
    assert code == 0
    options = [line for line in out.splitlines() if "--" in line]
    for python_type in ("<str>", "<int>", "<float>", "<list[str]>", "<path>", "<Path>"):
        assert not [line for line in options if python_type in line], (command, python_type)
    assert "<" not in out  # arguments (CODE, PATH...) and flags show no type placeholder either


def test_option_errors_are_one_error_line_plus_usage() -> None:
    code, out = run("top", "--limt", "3")
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith("error: No such option: --limt")
    assert lines[1:] == ["Usage: claimscope top [OPTIONS]", "Try 'claimscope top --help' for help."]
    assert "╭" not in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--specialty", "physio"), "error: --specialty: 'physio' is not a known specialty. "
         "Did you mean 'physical_therapy'? (list them: claimscope vocab specialties)"),
        (("--state", "ZZ"), "error: --state: 'ZZ' is not a known two-letter state code."),
        (("--payer-type", "bcbs"), "error: --payer-type: 'bcbs' is not a known payer type."),
        (("--pos", "98"), "error: --pos: '98' is not a known CMS place-of-service code."),
        (("--codes", "pmrr"), "Did you mean 'pmr'?"),
    ],
)  # fmt: skip
def test_unknown_filter_values_are_errors_with_suggestions(
    store: Path, args: tuple[str, ...], expected: str
) -> None:
    code, out = run("top", "--store", str(store), *args)
    assert code == 2
    assert expected in out


def test_vocab_lists_every_kind_in_every_format() -> None:
    code, out = run("vocab", "payers", "--format", "json")
    assert code == 0
    assert [v["payer_type"] for v in json.loads(out)["values"]][:2] == [
        "medicare",
        "medicare_advantage",
    ]
    code, out = run("vocab", "codes", "pt_evals", "--format", "csv")
    assert code == 0
    body = [line for line in out.splitlines() if not line.startswith("#")]
    assert body[0] == "code,name,subsection"
    assert [line.split(",")[0] for line in body[1:]] == ["97161", "97162", "97163", "97164"]
    assert out.startswith("# Codes of Physical therapy evaluations and re-evaluation (pt_evals)")
    code, out = run("vocab", "places", "--format", "markdown")
    assert code == 0 and "| 11 | Office | non_facility |" in out
    code, out = run("vocab", "cohorts")
    assert code == 0 and "physical_therapists" in out
    code, out = run("vocab", "specialtys")
    assert code == 2 and "Did you mean 'specialties'?" in out


def test_csv_starts_with_metadata_and_writes_integers(store: Path) -> None:
    code, out = run("top", "--store", str(store), "--format", "csv", "--state", "tx")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "# Top codes: Physical medicine and rehabilitation (pmr)"
    assert "# Filters: state TX" in lines
    header = lines.index("rank,code,name,value,share,suppressed")
    assert all(line.startswith("# ") for line in lines[:header])
    assert lines[header + 1 :] == [
        '1,97110,"Therapeutic exercise, each 15 min",80,0.7273,false',
        lines[header + 2],
    ]
    assert lines[header + 2].startswith("2,97140,") and lines[header + 2].endswith(
        ",30,0.2727,false"
    )


def test_explore_of_a_code_without_lines_says_zero(store: Path) -> None:
    code, out = run("explore", "99999", "--store", str(store), "--format", "json")
    assert code == 0
    assert json.loads(out)["total"] == 0
    code, out = run("explore", "99999", "--store", str(store))
    assert "total services: 0" in out and "suppressed" not in out


def test_attribution_csv_is_csv(store: Path) -> None:
    code, out = run("attribution", "--store", str(store), "--format", "csv")
    assert code == 0
    body = [line for line in out.splitlines() if not line.startswith("#")]
    assert body[0] == "table,discipline,rule,conflict,lines,services,suppressed"


def test_annual_rows_asked_for_months_say_why_they_are_left_out(
    tmp_path: Path, shared_data: Path
) -> None:
    code, out = run("ingest", str(shared_data / PUF), "--store", str(tmp_path), "--format", "json")
    assert code == 0, out
    code, out = run(
        "top", "--store", str(tmp_path), "--from", "2012-01", "--to", "2012-09", "--format", "json"
    )
    assert code == 0, out
    result = json.loads(out)
    assert result["total"] == 0
    assert (
        "annual rows of 2012 are not counted: annual rows cannot be split by month; ask for the "
        "whole period (from 2012-01 to 2012-12)" in result["notes"]
    )


def test_a_long_path_in_an_error_stays_whole_on_a_narrow_terminal(tmp_path: Path) -> None:
    deep = tmp_path / ("a-very-long-folder-name-" * 6) / "store"
    env = {**os.environ, "COLUMNS": "40", "TERM": "xterm"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from claimscope.cli import main; main()",
            "top",
            "--store",
            str(deep),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert str(deep) in done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_a_missing_engine_names_the_extra_to_install(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    code, out = run("top", "--store", str(store), "--engine", "pyspark")
    assert code == 2
    assert "pip install 'claimscope[spark]'" in out and "internal error" not in out


def test_the_ingest_progress_bar_follows_bytes_or_counts_rows() -> None:
    path = Path("claims.csv")
    reading = ProgressEvent(path, 0, 1, rows_read=500, bytes_read=2_000, bytes_total=8_000)
    assert progress_step(reading) == {"rows": 500, "total": 8_000, "completed": 2_000}
    no_bytes = ProgressEvent(path, 0, 1, rows_read=900, bytes_read=None, bytes_total=8_000)
    assert progress_step(no_bytes) == {"rows": 900}  # rows counted, bar not filled
    done = ProgressEvent(path, 0, 1, rows_read=1_000, bytes_read=None, bytes_total=8_000, done=True)
    assert progress_step(done) == {"rows": 1_000, "total": 8_000, "completed": 8_000}
