"""Derive claimscope's terminology data files from the shared public reference files.

Writes, into ``src/claimscope/terminology/data/``:

* ``taxonomy_specialty.csv``      NUCC taxonomy v24.0 code -> specialty slug (rules in
  ``specialties.toml``);
* ``medicare_specialty.csv``      CMS Medicare specialty code -> description, slug;
* ``provider_type_specialty.csv`` normalised provider-type text -> slug;
* ``place_of_service.csv``        CMS place-of-service code -> name, PFS setting;
* ``hcpcs_level2_names.csv``      HCPCS Level II code -> CMS short description;
* ``hcpcs_modifiers.csv``         HCPCS Level II modifier -> CMS short description.

Usage: ``python tools/build_terminology.py [--shared ../shared/data] [--check]``. With
``--check`` nothing is written and the exit status is 1 when a shipped file is out of date.
The CPT names (``cpt_names.csv``) are written by hand, not generated.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "src" / "claimscope" / "terminology" / "data"
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from claimscope.terminology._data import normalise_text  # noqa: E402
from claimscope.terminology.specialty import normalise_medicare_code  # noqa: E402

NUCC_FILE = "nucc/nucc_taxonomy_240.csv"
CROSSWALK_FILE = "cms-specialty-crosswalk/medicare-provider-taxonomy-crosswalk-2019.json"
POS_FILE = "tuva/place_of_service_codes.csv"
HCPCS_FILE = "tuva/hcpcs_level_2_2022.csv"

# CMS Physician Fee Schedule facility settings (Medicare Claims Processing Manual, Pub. 100-04,
# ch. 12 §20.4.2 site-of-service differential, and the PFS "facility" POS list): services in
# these places are paid at the facility rate. 02 (telehealth other than home) has been paid at
# the facility rate since 2017; 10 (telehealth in the home) at the non-facility rate from 2024.
FACILITY_POS = frozenset(
    ["02", "19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"]
)


def _rules() -> dict[str, Any]:
    with open(DATA_DIR / "specialties.toml", "rb") as f:
        return tomllib.load(f)


def _rules_version() -> str:
    head = (DATA_DIR / "specialties.toml").read_text(encoding="utf-8").splitlines()
    return next(line.split(":", 1)[1].strip() for line in head if line.startswith("# version:"))


def render_csv(meta: dict[str, str], fields: list[str], rows: Iterable[dict[str, str]]) -> str:
    """CSV text with the ``# key: value`` header every terminology data file carries."""
    out = io.StringIO()
    for key, value in meta.items():
        out.write(f"# {key}: {value}\n")
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- NUCC taxonomy -----------------------------------------------------------------------


def read_nucc(shared: Path) -> list[dict[str, str]]:
    """NUCC taxonomy rows (the file has a UTF-8 byte-order mark)."""
    with open(shared / NUCC_FILE, encoding="utf-8-sig", newline="") as f:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]


def nucc_slug(row: dict[str, str], rules: dict[str, Any]) -> tuple[str, str]:
    """(slug, rule kind) for one NUCC row, by the precedence documented in specialties.toml."""
    nucc = rules["nucc"]
    cls, spec = row["Classification"], row["Specialization"]
    if row["Code"] in nucc["code"]:
        return nucc["code"][row["Code"]], "code"
    if spec and f"{cls} / {spec}" in nucc["classification_specialization"]:
        pair = nucc["classification_specialization"][f"{cls} / {spec}"]
        return pair, "classification+specialization"
    if spec in nucc["specialization"]:
        return nucc["specialization"][spec], "specialization"
    if cls in nucc["classification"]:
        return nucc["classification"][cls], "classification"
    if row["Grouping"] in nucc["grouping"]:
        return nucc["grouping"][row["Grouping"]], "grouping"
    return "other", "default"


def check_rules(shared: Path, rules: dict[str, Any]) -> None:
    """Fail on a rule that names an unknown slug or matches no NUCC row (a typo)."""
    slugs = set(rules["slugs"])
    values = [v for sec in rules["nucc"].values() for v in sec.values()]
    values += [*rules["medicare"].values(), *rules["provider_type"].values()]
    values += [v[1] for v in rules["medicare_added"].values()]
    bad = sorted({v for v in values if v and v not in slugs})
    seen: dict[str, set[str]] = {k: set() for k in rules["nucc"]}
    for r in read_nucc(shared):
        seen["code"].add(r["Code"])
        seen["classification_specialization"].add(f"{r['Classification']} / {r['Specialization']}")
        seen["specialization"].add(r["Specialization"])
        seen["classification"].add(r["Classification"])
        seen["grouping"].add(r["Grouping"])
    unused = [
        f"{k}: {key}" for k, sec in rules["nucc"].items() for key in sec if key not in seen[k]
    ]
    if bad or unused:
        raise SystemExit(f"specialties.toml: unknown slugs {bad}; rules matching nothing {unused}")


def taxonomy_rows(shared: Path, rules: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for r in read_nucc(shared):
        slug, kind = nucc_slug(r, rules)
        rows.append({"code": r["Code"], "slug": slug, "rule": kind})
    return sorted(rows, key=lambda r: r["code"])


# --- CMS Medicare specialty crosswalk ------------------------------------------------------


def _strip_footnote(text: str) -> str:
    return re.sub(r"\[\d+\]", "", text).strip()


def read_crosswalk(shared: Path) -> list[dict[str, Any]]:
    """Crosswalk rows with footnote rows dropped, footnote markers removed, codes forward-filled.

    ``own_code`` is True for rows that carry their specialty code themselves. Continuation rows
    (no code, no description) take the code above them, as the published table intends; in
    this JSON copy the rows are not in table order, so those links are not relied on.
    """
    with open(shared / CROSSWALK_FILE, encoding="utf-8") as f:
        raw = json.load(f)
    out: list[dict[str, Any]] = []
    current = ""
    for r in raw:
        raw_code = r.get("medicare_specialty_code", "").strip()
        if raw_code.startswith("["):
            continue  # a footnote row: "[n] explanatory text" in the code column
        code = _strip_footnote(raw_code)
        desc = _strip_footnote(r.get("medicare_prov_supplier_desc", ""))
        own = bool(code)
        if own:
            current = normalise_medicare_code(code)
        elif desc:
            current = ""  # an institutional provider type without a specialty code
        out.append(
            {
                "code": current,
                "own_code": own,
                "description": desc,
                "taxonomy": r.get("provider_taxonomy_code", "").split(),
            }
        )
    return out


def medicare_rows(shared: Path, rules: dict[str, Any]) -> list[dict[str, str]]:
    descs: dict[str, str] = {}
    for r in read_crosswalk(shared):
        if r["own_code"]:
            descs.setdefault(r["code"], r["description"])
    rows = []
    for code, desc in descs.items():
        if code not in rules["medicare"]:
            raise SystemExit(f"specialties.toml [medicare] lacks crosswalk code {code} ({desc})")
        slug = rules["medicare"][code]
        rows.append({"code": code, "description": desc, "slug": slug, "basis": "crosswalk_2019"})
    for code, (desc, slug) in rules["medicare_added"].items():
        rows.append({"code": code, "description": desc, "slug": slug, "basis": "cms_later"})
    return sorted(rows, key=lambda r: r["code"])


# --- Provider-type text -------------------------------------------------------------------


def _merge(
    target: dict[str, str], level: dict[str, set[str]], source: str, sources: dict[str, str]
) -> None:
    """Add one priority level of aliases; keys mapping to two slugs within a level are dropped."""
    for key, slugs in level.items():
        if key in target or len(slugs) != 1:
            continue
        target[key] = next(iter(slugs))
        sources[key] = source


def provider_type_rows(shared: Path, rules: dict[str, Any]) -> list[dict[str, str]]:
    target: dict[str, str] = {}
    sources: dict[str, str] = {}
    hand: dict[str, set[str]] = {}
    for text, slug in rules["provider_type"].items():
        hand.setdefault(normalise_text(text), set()).add(slug)
    clash = [k for k, v in hand.items() if len(v) > 1]
    if clash:
        raise SystemExit(f"specialties.toml [provider_type] gives two slugs for {clash}")
    _merge(target, hand, "hand", sources)

    cms: dict[str, set[str]] = {}
    for row in medicare_rows(shared, rules):
        if not row["slug"]:
            continue
        for text in (row["description"], row["description"].removeprefix("Physician/")):
            cms.setdefault(normalise_text(text), set()).add(row["slug"])
    for r in read_crosswalk(shared):
        desc = r["description"]
        if desc and not r["own_code"] and normalise_text(desc) not in target:
            raise SystemExit(f"specialties.toml [provider_type] lacks {r['description']!r}")
    _merge(target, cms, "cms_specialty", sources)

    tax = {r["code"]: r["slug"] for r in taxonomy_rows(shared, rules)}
    nucc: dict[str, set[str]] = {}
    for r in read_nucc(shared):
        names = [r["Display Name"]] + ([r["Classification"]] if not r["Specialization"] else [])
        for text in names:
            if text:
                nucc.setdefault(normalise_text(text), set()).add(tax[r["Code"]])
    _merge(target, nucc, "nucc_name", sources)
    return [{"key": k, "slug": target[k], "from": sources[k]} for k in sorted(target)]


# --- Place of service and HCPCS Level II ----------------------------------------------------


def pos_rows(shared: Path) -> list[dict[str, str]]:
    with open(shared / POS_FILE, encoding="utf-8-sig", newline="") as f:
        rows = [{k: v.strip() for k, v in r.items()} for r in csv.DictReader(f)]
    return [
        {
            "code": r["code"].zfill(2),
            "name": r["description"],
            "setting": "facility" if r["code"].zfill(2) in FACILITY_POS else "non_facility",
        }
        for r in rows
    ]


def hcpcs_rows(shared: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(procedure codes, modifiers) named by the CMS short description, long one as fallback.

    Modifiers also keep the long description: their short names are often cryptic ("Op pt
    services" for GP).
    """
    with open(shared / HCPCS_FILE, encoding="utf-8-sig", newline="") as f:
        raw = list(csv.DictReader(f))
    codes, modifiers = [], []
    for r in raw:
        name = (r["short_description"] or r["long_description"]).strip()
        row = {"code": r["code"].strip().upper(), "name": name}
        if r["recid"] == "3":
            codes.append(row)
        elif r["recid"] == "7":
            modifiers.append({**row, "description": r["long_description"].strip()})
        # recid 4/8 are continuation lines of a long description: the short name is complete.
    return sorted(codes, key=lambda r: r["code"]), sorted(modifiers, key=lambda r: r["code"])


# --- Assembling the files -------------------------------------------------------------------


GEN = "tools/build_terminology.py"
TUVA_L2 = "CMS HCPCS Level II 2022 alpha-numeric file, via tuva-health/tuva seeds"
META = {
    "taxonomy_specialty.csv": {
        "source": f"NUCC Health Care Provider Taxonomy v24.0 ({NUCC_FILE}) with the rules in "
        "specialties.toml",
        "version": "nucc-24.0; rules {rv}",
        "licence": "codes from NUCC (free of charge); slugs Apache-2.0",
    },
    "medicare_specialty.csv": {
        "source": "CMS Medicare provider/supplier to healthcare provider taxonomy crosswalk "
        f"2019, data.cms.gov ({CROSSWALK_FILE}); later codes from specialties.toml "
        "[medicare_added]",
        "version": "cms-crosswalk-2019; rules {rv}",
        "licence": "US government public data; slugs Apache-2.0",
    },
    "provider_type_specialty.csv": {
        "source": "specialties.toml [provider_type] (CMS PUF provider-type spellings), CMS "
        "Medicare specialty descriptions, NUCC v24.0 classification and display names (kept "
        "only where unambiguous)",
        "version": "rules {rv}",
        "licence": "Apache-2.0",
        "key": "claimscope.terminology.specialty.normalise_text of the text",
    },
    "place_of_service.csv": {
        "source": f"CMS Place of Service code set, via tuva-health/tuva ({POS_FILE}); setting "
        "per the CMS Physician Fee Schedule facility list (Pub. 100-04 ch. 12 §20.4.2)",
        "version": "cms-pos (tuva seed, 2023); facility list 2024",
        "licence": "CMS public domain",
    },
    "hcpcs_level2_names.csv": {
        "source": f"{TUVA_L2} ({HCPCS_FILE}); short description, long description where the "
        "short one is empty",
        "version": "hcpcs-2022",
        "licence": "CMS public domain",
    },
    "hcpcs_modifiers.csv": {
        "source": f"{TUVA_L2} ({HCPCS_FILE}), modifier records: short description as name, "
        "long description as description",
        "version": "hcpcs-2022",
        "licence": "CMS public domain",
    },
}


def _meta(name: str, rules_version: str) -> dict[str, str]:
    meta = {k: v.replace("{rv}", rules_version) for k, v in META[name].items()}
    return {**meta, "generated-by": GEN}


def render_all(shared: Path) -> dict[str, str]:
    """Every generated file's name and full text."""
    rules = _rules()
    check_rules(shared, rules)
    rv = _rules_version()
    hcpcs, modifiers = hcpcs_rows(shared)
    tables = {
        "taxonomy_specialty.csv": (["code", "slug", "rule"], taxonomy_rows(shared, rules)),
        "medicare_specialty.csv": (
            ["code", "description", "slug", "basis"],
            medicare_rows(shared, rules),
        ),
        "provider_type_specialty.csv": (["key", "slug", "from"], provider_type_rows(shared, rules)),
        "place_of_service.csv": (["code", "name", "setting"], pos_rows(shared)),
        "hcpcs_level2_names.csv": (["code", "name"], hcpcs),
        "hcpcs_modifiers.csv": (["code", "name", "description"], modifiers),
    }
    return {name: render_csv(_meta(name, rv), f, rows) for name, (f, rows) in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data folder")
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render_all(args.shared).items():
        path = DATA_DIR / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    print(f"{verb}: {', '.join(stale) if stale else 'none'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
