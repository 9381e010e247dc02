"""What every output says it answers: titles and facts from a result's JSON contract,
including the blocks the store (version) and privacy (perturbation) layers add."""

from __future__ import annotations

from typing import Any

from claimscope.insight.describe import codes_title, describe, described, filters_text


def payload(**extra: Any) -> dict[str, Any]:
    query = {
        "codes": "pmr",
        "from": "2023-01",
        "to": "2023-09",
        "specialty": ["physical_therapy"],
        "payer_type": ["medicare_advantage"],
        "state": ["TX"],
        "place_of_service": ["11"],
        "source": [],
        "line_status": "paid",
        "measure": "services",
    }
    data = {"sources": [{"name": "synthetic"}], "periods": ["2023-01", "2023-09"]}
    suppression = {"min_cell_size": 11, "primary": 3, "complementary": 1}
    return {"query": query, "data": data, "suppression": suppression, **extra}


def test_every_fact_is_named_in_words() -> None:
    description = describe("top", payload(notes=["a note"]))
    assert description.title == "Top codes: Physical medicine and rehabilitation (pmr)"
    assert description.lines() == [
        "Codes: Physical medicine and rehabilitation (pmr)",
        "Filters: specialty Physical therapy; payer type Medicare advantage; state TX; "
        "place of service 11 Office; paid lines only",
        "Period: 2023-01 to 2023-09; data covers 2023-01 to 2023-09",
        "Measure: Services (units billed)",
        "Sources: synthetic",
        "Suppression: counts below 11 withheld (CMS cell-size rule); 4 figure(s) suppressed",
        "a note",
    ]


def test_store_version_and_perturbation_are_shown_when_present() -> None:
    data = {**payload()["data"], "store_version": 7, "store_time": "2026-11-29T10:00:00Z"}
    perturbation = {
        "applied": True,
        "method": "cell-key",
        "max_noise": 2,
        "ptable": {"-1": 0.2},
        "floor": "no shown count is perturbed below 11",
    }
    facts = dict(describe("top", payload(data=data, perturbation=perturbation)).facts)
    assert facts["Store"] == "version 7 (2026-11-29T10:00:00Z)"
    assert facts["Perturbation"] == (
        "applied (cell-key; noise at most +/-2; no shown count is perturbed below 11)"
    )
    quiet = dict(describe("top", payload(perturbation={"applied": False})).facts)
    assert quiet["Perturbation"] == "none (exact figures)" and "Store" not in quiet


def test_code_specs_and_cohorts_by_human_name() -> None:
    assert codes_title("pt_evals,97110,97010-97028") == (
        "Physical therapy evaluations and re-evaluation (pt_evals), code 97110, codes 97010-97028"
    )
    assert filters_text({"line_status": "all"}) == "none (every line of the code set)"
    compare = {"query": {"codes": "pmr"}, "cohorts": [{"name": "pt", "label": "PT"},
               {"name": "physical_therapists", "label": "physical therapists"}]}  # fmt: skip
    assert describe("compare", compare).title.endswith(", PT vs physical therapists")


def test_json_outputs_carry_the_description() -> None:
    out = described("top", payload())
    assert out["description"]["title"].startswith("Top codes: Physical medicine")
    assert out["description"]["facts"]["Measure"] == "Services (units billed)"
    assert out["query"] == payload()["query"]
