"""Code names: claimscope's own CPT names, CMS Level II names, and the AMA-text guard."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from claimscope.terminology.names import (
    code_name,
    code_names,
    cpt_names,
    map_code_names,
    modifier_description,
    modifier_name,
)

CPT = re.compile(r"^[0-9]{4}[0-9FTU]$")
LEVEL2 = re.compile(r"^[A-Z][0-9]{4}$")
PUF = "cms-puf-2012/Medicare_Provider_Util_Payment_PUF_CY2012_first_rows.txt"


def _fhir_codes(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "hcpcs" in str(node.get("system", "")).lower() and "code" in node:
            yield str(node["code"])
        for value in node.values():
            yield from _fhir_codes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _fhir_codes(value)


def shared_codes(shared: Path) -> set[str]:
    """Every procedure code in the shared reference files (PUF, Tuva, X12, BFD)."""
    codes: set[str] = set()
    with open(shared / PUF, newline="") as f:
        codes |= {r["hcpcs_code"] for r in csv.DictReader(f, delimiter="\t")}
    with open(shared / "tuva" / "medical_claim_seed.csv", newline="") as f:
        codes |= {r["hcpcs_code"] for r in csv.DictReader(f)}
    for path in (shared / "x12").iterdir():
        text = path.read_text()
        codes |= set(re.findall(r"SV[12]\*(?:[^*~]*\*)?HC[:>]([A-Z0-9]{5})", text))
    for path in (shared / "bfd").iterdir():
        if path.suffix == ".json":
            codes |= set(_fhir_codes(json.loads(path.read_text())))
        elif path.suffix in {".txt", ".csv"}:
            with open(path, newline="") as f:
                codes |= {r.get("HCPCS_CD") or "" for r in csv.DictReader(f, delimiter="|")}
    return {c.strip().upper() for c in codes if c and c.strip()}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_reference_names() -> None:
    assert code_name("97110") == "Therapeutic exercise, each 15 min"
    assert code_name("99213") == "Office visit, established patient, low complexity"
    assert code_name(" 97530 ") == "Therapeutic activities (dynamic functional tasks), each 15 min"
    assert code_name("97001") == "Physical therapy evaluation (retired after 2016)"
    assert code_name("g0283") == "Elec stim other than wound"  # CMS Level II short text
    assert code_name("99999") is None
    assert code_name(None) is None


def test_every_pfs_97xxx_and_retired_eval_code_has_a_name(shared_data: Path) -> None:
    with open(shared_data / "cms-pfs-2023" / "pfs_2023_rvu_97xxx.csv", newline="") as f:
        codes = [r["hcpcs"] for r in csv.DictReader(f)]
    codes += [f"9700{i}" for i in range(1, 7)]
    assert len(codes) == 79
    assert [c for c in codes if not code_name(c)] == []


def test_every_cpt_code_in_the_shared_files_has_a_name(shared_data: Path) -> None:
    cpt = {c for c in shared_codes(shared_data) if CPT.match(c)}
    assert len(cpt) > 1300
    assert sorted(c for c in cpt if c not in cpt_names()) == []


def test_level_ii_codes_in_the_shared_files_are_mostly_named(shared_data: Path) -> None:
    # The shipped Level II names are the 2022 CMS file; a few older or newer codes in the
    # samples are outside it (e.g. J3488, retired before 2022).
    level2 = {c for c in shared_codes(shared_data) if LEVEL2.match(c)}
    named = code_names(level2)
    assert len(level2) > 250
    assert len(named) / len(level2) > 0.95


def test_no_cpt_name_copies_the_cms_puf_description(shared_data: Path) -> None:
    with open(shared_data / PUF, newline="") as f:
        puf = {r["hcpcs_code"]: r["hcpcs_description"] for r in csv.DictReader(f, delimiter="\t")}
    names = cpt_names()
    copied = [c for c, d in puf.items() if c in names and d and _norm(d) == _norm(names[c])]
    assert copied == []


def test_cpt_names_file_holds_only_cpt_codes_with_real_names() -> None:
    names = cpt_names()
    assert all(CPT.match(c) for c in names)
    assert all(4 <= len(n) <= 110 and n == n.strip() for n in names.values())
    # Every name is the product's own wording: no bare CMS-style abbreviations.
    assert not [n for n in names.values() if re.search(r"\b(w/o|w/|addl|px)\b", n)]


def test_code_names_normalises_keys_and_skips_unknown_codes() -> None:
    got = code_names(["97110", "g0283", "ZZZZZ", " 97140"])
    assert set(got) == {"97110", "G0283", "97140"}
    assert got["97140"].startswith("Manual therapy")


def test_modifier_names() -> None:
    assert modifier_name("gp") == "Op pt services"
    assert modifier_description("GP") == (
        "Services delivered under an outpatient physical therapy plan of care"
    )
    assert modifier_name("GO") is not None and modifier_name("GN") is not None
    assert modifier_name("25") is None  # CPT modifiers are AMA's and are not shipped


def test_vectorised_names() -> None:
    arr = pa.chunked_array([["97110", None], ["G0283", "nope"]], type=pa.string())
    assert map_code_names(arr).to_pylist() == [
        "Therapeutic exercise, each 15 min",
        None,
        "Elec stim other than wound",
        None,
    ]
