"""The curated public API resolves, and a notebook-style session works end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

import claimscope


@pytest.mark.parametrize("name", claimscope.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(claimscope, name) is not None


def test_unknown_names_fail_clearly() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = claimscope.no_such_thing  # type: ignore[attr-defined]


def test_a_notebook_session(tmp_path: Path) -> None:
    from claimscope import Store, TopQuery, build_filters, ingest_paths, run_top, write_synthetic

    synthetic = write_synthetic(tmp_path / "claims", 20_000, seed=5)
    report = ingest_paths(list(synthetic.files), Store.open(tmp_path / "store"))
    assert report.loaded == 20_000
    result = run_top(tmp_path / "store", TopQuery(build_filters("pmr"), limit=3)).to_dict()
    assert [r["rank"] for r in result["rows"] if r["rank"]] == [1, 2, 3]
    assert result["rows"][0]["code"] == "97110"
