"""Cohort definitions: built-ins, cohorts.toml files, the inline syntax and their errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from claimscope.analysis.cohorts import (
    CohortError,
    builtin_cohorts,
    cohort_files,
    load_cohorts,
    resolve_cohort,
)
from claimscope.analysis.query import build_filters
from claimscope.schema import CLAIM_LINE, COLUMN_NAMES
from tests.canonical import line

FILE = """\
# cohorts for the 2023 study
[cohorts.medicare_pt]
label = "Medicare PT"
extends = "pt"
payer_type = "medicare"
from = "2023-01"
to = "2023-09"

[cohorts.texas_ot]
extends = "ot"
state = ["tx", "ok"]
place_of_service = ["11", "2"]
codes = "pmr_core"
"""


def write(tmp_path: Path, text: str, name: str = "cohorts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtins() -> None:
    known = builtin_cohorts()
    assert list(known)[:4] == ["rehab", "pt", "ot", "slp"]
    assert known["physical_therapists"].specialties == ("physical_therapy",)
    assert known["rehab"].disciplines == () and known["rehab"].codes is None
    assert known["pt"].disciplines == ("physical_therapy",)
    assert known["slp"].describe() == {
        "name": "slp",
        "label": "SLP",
        "discipline": ["speech_language_pathology"],
        "origin": "built-in",
    }


def test_file_cohorts_extend_builtins(tmp_path: Path) -> None:
    known = load_cohorts([write(tmp_path, FILE)])
    pt = known["medicare_pt"]
    assert pt.label == "Medicare PT"
    assert pt.disciplines == ("physical_therapy",)
    assert pt.payer_types == ("medicare",)
    assert (pt.month_from, pt.month_to) == (date(2023, 1, 1), date(2023, 9, 1))
    assert pt.origin == f"{tmp_path / 'cohorts.toml'} line 2"
    tx = known["texas_ot"]
    assert tx.label == "texas_ot"  # a label is never inherited
    assert tx.states == ("TX", "OK") and tx.places_of_service == ("11", "02")
    assert tx.codes is not None and tx.codes.label == "pmr_core"


def test_cohort_fields_replace_the_comparisons_filters(tmp_path: Path) -> None:
    known = load_cohorts([write(tmp_path, FILE)])
    base = build_filters("pmr", period_from="2022", period_to="2023", state=["CA"])
    merged = known["medicare_pt"].filters(base)
    assert merged.codes == base.codes
    assert merged.payer_types == ("medicare",)
    assert merged.states == ("CA",)  # not set by the cohort: the comparison's
    assert (merged.month_from, merged.month_to) == (date(2023, 1, 1), date(2023, 9, 1))
    assert known["texas_ot"].filters(base).states == ("TX", "OK")


def test_select_applies_the_discipline() -> None:
    records = [
        line("97110", modifier_1="GP"),
        line("97110", modifier_1="GO"),
        line("97110", specialty=None),
    ]
    t = ibis.memtable(
        pa.table({n: [r.get(n) for r in records] for n in COLUMN_NAMES}, schema=CLAIM_LINE)
    )
    known = builtin_cohorts()
    count = lambda name: known[name].select(t).count().to_pyarrow().as_py()  # noqa: E731
    assert (count("rehab"), count("pt"), count("ot"), count("slp")) == (3, 1, 1, 0)


def test_inline_definitions() -> None:
    known = builtin_cohorts()
    assert resolve_cohort(" pt ", known) is known["pt"]
    cohort = resolve_cohort(
        "name=medicaid_ot; extends=ot; payer_type=medicaid,medicare_advantage; to=2023", known
    )
    assert cohort.name == "medicaid_ot"
    assert cohort.disciplines == ("occupational_therapy",)
    assert cohort.payer_types == ("medicaid", "medicare_advantage")
    assert cohort.month_to == date(2023, 12, 1)
    unnamed = resolve_cohort("discipline=physical_therapy;state=tx", known)
    assert unnamed.name == "physical_therapy/tx"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pr", "unknown cohort 'pr'. Did you mean 'pt'?"),
        ("name=x;payer=medicare", "unknown key 'payer'. Did you mean 'payer_type'?"),
        ("name=x;discipline=physio", "'physio' is not a known discipline"),
        ("name=x;specialty=physio_therapy", "Did you mean 'physical_therapy'?"),
        ("name=x;payer_type=private", "'private' is not a known payer type"),
        ("name=x;state=Texas", "'Texas' is not a known two-letter state code. Did you mean 'TX'?"),
        ("name=x;codes=97xx", "item '97xx' is not a five-character"),
        ("name=x;from=2023-13", "key 'from': period '2023-13' is not a valid month"),
        ("name=x;line_status=open", "'open' is not one of all, paid, denied"),
        ("name=x;extends=zz", "extends unknown cohort 'zz'"),
        ("name=x;state", "'state' is not key=value"),
        ("name=x;state=tx;state=ok", "'state' is given twice"),
        ("name=x y;state=tx", "cohort name 'x y'"),
    ],
)
def test_inline_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CohortError) as err:
        resolve_cohort(text, builtin_cohorts())
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[cohorts.a]\nstate = "tx"\npayor = "x"\n', "line 3: cohort 'a': unknown key 'payor'"),
        ("[cohorts.a]\n\nstate = 12\n", "line 3: cohort 'a', key 'state': expected a string"),
        ('[cohorts.pt]\nstate = "tx"\n', "line 1: cohort 'pt' is already defined (built-in)"),
        ('[cohorts.a]\nextends = "b"\n[cohorts.b]\nextends = "a"\n', "loop: a -> b -> a"),
        ('[cohort.a]\nstate = "tx"\n', "unexpected top-level key(s) cohort"),
        ('[cohorts.a]\nstate = "tx\n', "not valid TOML"),
        ('[cohorts.a]\nfrom = "2023-05"\nto = "2023-01"\n', "2023-05 is after `to` 2023-01"),
    ],
)
def test_file_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CohortError) as err:
        known = load_cohorts([path])
        # an inconsistent period is only found when the cohort meets the comparison
        known["a"].filters(build_filters("pmr"))
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_two_files_may_not_define_the_same_name(tmp_path: Path) -> None:
    first = write(tmp_path, '[cohorts.a]\nstate = "tx"\n', "one.toml")
    second = write(tmp_path, '\n[cohorts.a]\nstate = "ok"\n', "two.toml")
    with pytest.raises(CohortError, match=r"two.toml line 2: cohort 'a' is already defined"):
        load_cohorts([first, second])


def test_cohort_files_finds_existing_files_once(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    write(tmp_path, "")
    assert cohort_files(tmp_path / "store", tmp_path, tmp_path) == [
        (tmp_path / "cohorts.toml").resolve()
    ]
    with pytest.raises(CohortError, match="does not exist"):
        load_cohorts([tmp_path / "missing.toml"])
