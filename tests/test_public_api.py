"""The curated public API resolves, and a notebook-style session works end to end."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import claimscope


@pytest.mark.parametrize("name", claimscope.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(claimscope, name)
    if name == "__version__":
        assert value == importlib.metadata.version("claimscope")
        return
    # The documented object itself: a function or class of that name from the package.
    assert callable(value) and value.__name__ == name
    assert value.__module__.startswith("claimscope.")


def test_unknown_names_fail_clearly() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = claimscope.no_such_thing  # type: ignore[attr-defined]


def test_a_notebook_session(tmp_path: Path) -> None:
    from claimscope import Store, TopQuery, build_filters, ingest_paths, run_top, write_synthetic

    synthetic = write_synthetic(tmp_path / "claims", 20_000, seed=5)
    report = ingest_paths(list(synthetic.files), Store.open(tmp_path / "store"))
    assert (report.read, report.loaded, report.quarantined) == (20_000, 20_000, 0)
    result = run_top(tmp_path / "store", TopQuery(build_filters("pmr"), limit=3)).to_dict()
    assert [r["rank"] for r in result["rows"] if r["rank"]] == [1, 2, 3]
    # The leading code's services, counted straight from the synthetic files.
    claims = pa.concat_tables(pq.read_table(p) for p in synthetic.files)
    services = pc.sum(claims.filter(pc.equal(claims["hcpcs_code"], "97110"))["units"]).as_py()
    first = result["rows"][0]
    assert (first["code"], first["value"]) == ("97110", services)
    assert first["share"] == round(services / result["total"], 4)
