"""The shipped terminology data files: provenance headers, SOURCES.md, and regeneration."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from claimscope.terminology._data import (
    TerminologyDataError,
    data_file_names,
    data_sources,
    parse_header,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "claimscope" / "terminology" / "data"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_terminology", ROOT / "tools" / "build_terminology.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_terminology"] = module
    spec.loader.exec_module(module)
    return module


def test_every_data_file_states_source_and_version() -> None:
    sources = data_sources()
    assert {"code_sets.toml", "cpt_names.csv", "specialties.toml", "payer_types.toml"} <= set(
        sources
    )
    for name, meta in sources.items():
        assert meta["source"].strip(), name
        assert meta["version"].strip(), name


def test_sources_md_lists_every_data_file() -> None:
    table = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    missing = [name for name in data_file_names() if f"`{name}`" not in table]
    assert missing == []


def test_header_without_source_is_rejected() -> None:
    with pytest.raises(TerminologyDataError, match="lacks source"):
        parse_header("x.csv", "# version: 1\ncode,name\n")
    parsed = parse_header("x.csv", "# source: a\n# source: b\n# version: 1\ncode\n")
    assert parsed.meta["source"] == "a b"
    assert parsed.body == "code\n"


def test_generated_files_are_up_to_date(shared_data: Path) -> None:
    """Re-running tools/build_terminology.py on the shared files changes nothing."""
    rendered = _generator().render_all(shared_data)
    stale = [n for n, text in rendered.items() if (DATA / n).read_text(encoding="utf-8") != text]
    assert stale == []


def test_crosswalk_reader_drops_footnotes_and_forward_fills(shared_data: Path) -> None:
    rows = _generator().read_crosswalk(shared_data)
    assert not any(r["code"].startswith("[") or "[" in r["description"] for r in rows)
    first, second = rows[0], rows[1]
    assert first["own_code"] and first["code"] == "02"
    assert not second["own_code"] and second["code"] == "02"  # continuation row
    part_a = [r for r in rows if r["description"] == "Hospice"]
    assert part_a and part_a[0]["code"] == ""  # institutional type without a specialty code


def test_docs_list_every_slug_and_built_in_set() -> None:
    from claimscope.terminology.codesets import code_sets
    from claimscope.terminology.specialty import specialties

    doc = (ROOT / "docs" / "terminology.md").read_text(encoding="utf-8")
    assert [s for s in specialties() if f"| `{s}` |" not in doc] == []
    assert [s for s in code_sets() if f"| `{s}` |" not in doc] == []
