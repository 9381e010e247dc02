"""The synthetic FHIR writer: one ExplanationOfBenefit per claim, shaped for the reader."""

from __future__ import annotations

import json
from pathlib import Path

from claimscope.ingest.fhir import READER
from claimscope.synth.fhir_writer import write_fhir_ndjson
from tests.test_x12_helpers import read_all
from tests.test_x12_writer import lines_table


def test_one_resource_per_claim_and_values_read_back(tmp_path: Path) -> None:
    out = tmp_path / "eob.ndjson"
    summary = write_fhir_ndjson([lines_table()], out)
    resources = [json.loads(line) for line in out.read_text().splitlines()]
    assert (summary.claims, summary.lines, len(resources)) == (4, 5, 4)
    first = resources[0]
    assert first["resourceType"] == "ExplanationOfBenefit"
    assert first["status"] == "active" and first["use"] == "claim"
    assert first["patient"] == {"reference": "Patient/P1"}
    assert first["billablePeriod"] == {"start": "2023-03-05", "end": "2023-03-05"}
    assert [i["productOrService"]["coding"][0]["code"] for i in first["item"]] == ["97110", "97140"]
    assert first["item"][1]["modifier"][1]["coding"][0] == {
        "system": "http://www.ama-assn.org/go/cpt",
        "code": "59",
    }
    institutional = resources[2]
    assert institutional["type"]["coding"][0]["code"] == "institutional"
    assert institutional["item"][0]["revenue"]["coding"][0]["code"] == "0420"
    assert "locationCodeableConcept" not in institutional["item"][0]

    result = read_all(READER, out)
    assert result.quarantined == []
    assert result.column("hcpcs_code") == ["97110", "97140", "97530", "97161", "G0283"]
    assert result.column("payer_type") == [
        "medicare", "medicare", "medicare", "commercial", "medicare_advantage",
    ]  # fmt: skip
    assert result.column("source_row") == [1, 1, 2, 3, 4]
    assert result.column("rendering_npi")[:4] == ["1003000126"] * 4
    assert result.column("rendering_npi")[4] is None  # no rendering provider on claim C1
    assert result.column("units") == ["3.0", "2.0", "1.0", "1.0", "1.0"]
