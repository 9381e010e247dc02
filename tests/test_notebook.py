"""Notebook use: one call per analysis, DataFrame/Arrow/HTML results, and the example notebook
executed end to end with nbclient."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import claimscope
from tests.canonical import lines_for, write_store
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = lines_for("97110", 40, units=2, state="TX") + lines_for(
        "97140", 30, first_patient=100
    )
    records += lines_for("97530", 20, first_patient=300, month="2022-05")
    return write_store(tmp_path_factory.mktemp("notebook"), records)


def test_top_in_one_call_as_dataframe_arrow_and_html(store: Path) -> None:
    ranking = claimscope.top(store, codes="pmr", period="2023-01..2023-09", limit=5)
    frame = ranking.to_pandas()
    assert frame[["rank", "code", "value"]].values.tolist() == [[1, "97110", 80], [2, "97140", 30]]
    assert str(frame["value"].dtype) == "Int64"  # counts stay integers
    assert frame.attrs["title"] == "Top codes: Physical medicine and rehabilitation (pmr)"
    assert frame.attrs["Period"] == "2023-01 to 2023-09; data covers 2023-01"
    arrow = ranking.to_arrow()
    assert arrow.column("code").to_pylist() == ["97110", "97140"]
    assert arrow.schema.metadata[b"claimscope.measure"] == b"Services (units billed)"
    page = ranking._repr_html_()
    assert "<caption" in page and "Physical medicine and rehabilitation (pmr)" in page
    assert "<td>97110</td>" in page and "<td>80</td>" in page


def test_filters_take_single_values_or_lists_and_are_checked(store: Path) -> None:
    texas = claimscope.top(store, period="2023", state="tx").to_dict()
    assert texas["total"] == 80
    both = claimscope.top(store, period="2023", state=["TX", "CA"]).to_dict()
    assert both["query"]["state"] == ["TX", "CA"]
    with pytest.raises(claimscope.QueryError, match="Did you mean 'physical_therapy'"):
        claimscope.top(store, specialty="physio")
    with pytest.raises(claimscope.QueryError, match="unknown argument 'speciality'"):
        claimscope.top(store, speciality="physical_therapy")


def test_trend_explore_and_compare_in_one_call(store: Path) -> None:
    trend = claimscope.trend(store, grain="year", limit=2).to_pandas()
    assert sorted(set(trend["period"])) == ["2022", "2023"]
    explore = claimscope.explore(store, "97110").to_pandas()
    states = explore[explore["dimension"] == "state"]
    assert states[["key", "value"]].values.tolist() == [["TX", 80]]
    compare = claimscope.compare(store, ["rehab", "pt"], limit=2).to_dict()
    assert [c["name"] for c in compare["cohorts"]] == ["rehab", "pt"]


def test_the_example_notebook_runs_end_to_end() -> None:
    path = PROJECT_ROOT / "examples" / "notebook.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "loaded 20,000 lines" in text
    assert "1 97110 Top codes: Physical medicine and rehabilitation (pmr)" in text
    assert "12 ['2023-Q1', '2023-Q2', '2023-Q3', '2023-Q4']" in text
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == 2  # the ranking and the drill-down display as captioned tables
    assert "<caption" in html[0] and "Filters: specialty Physical therapy" in html[0]
    assert "Filters: payer type Medicare" in html[1]
