"""The FHIR ExplanationOfBenefit reader on the Blue Button / BFD fixtures and built variants."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from claimscope.ingest.base import IngestError, ReadOptions
from claimscope.ingest.fhir import READER
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import ReadResult, read_all, write

BFD = SHARED_DATA / "bfd"
CARRIER = json.loads((BFD / "fhir_v2_eobReadCarrier.json").read_text())
MULTI = json.loads((BFD / "fhir_v2_eobReadCarrierWithMultipleLines.json").read_text())
IDR = json.loads((BFD / "idr_out_ExplanationOfBenefit-Carrier.json").read_text())


def read_json(tmp_path: Path, value: Any, name: str = "eob.json") -> ReadResult:
    return read_all(READER, write(tmp_path, name, json.dumps(value, indent=1)))


def read_ndjson(tmp_path: Path, lines: list[Any]) -> ReadResult:
    text = "\n".join(v if isinstance(v, str) else json.dumps(v) for v in lines) + "\n"
    return read_all(READER, write(tmp_path, "eob.ndjson", text))


def test_blue_button_carrier_claim(shared_data: Path) -> None:
    result = read_all(READER, shared_data / "bfd" / "fhir_v2_eobReadCarrier.json")
    assert result.quarantined == []
    (row,) = result.rows()
    expected = {
        "claim_id": "9991831999",
        "claim_type": "professional",
        "patient_id": "567834",
        "billing_npi": "1234567890",
        "payer_type": "medicare",
        "line_number": "6",
        "service_from": "1999-10-27",
        "service_to": "1999-10-27",
        "rendering_npi": "1923124",  # performing careTeam member (item.careTeamSequence 3)
        "rendering_taxonomy": "390200000X",
        "medicare_specialty_code": "41",
        "state": "IL",
        "place_of_service": "11",
        "hcpcs_code": "92999",
        "modifier_1": "LT",
        "units": "1.0",
        "charge_amount": "75.0",
        "allowed_amount": "47.84",
        "paid_amount": "37.5",
        "line_status": "paid",
        "source_row": 1,
        "record_kind": "line",
    }
    assert {k: v for k, v in row.items() if v is not None} == expected


def test_blue_button_carrier_claim_with_seven_lines(shared_data: Path) -> None:
    result = read_all(READER, shared_data / "bfd" / "fhir_v2_eobReadCarrierWithMultipleLines.json")
    assert result.column("hcpcs_code") == [
        "92999",
        "92998",
        "92997",
        "92996",
        "92995",
        "92994",
        "92993",
    ]
    assert result.column("charge_amount") == [
        "75.0",
        "75.0",
        "85.0",
        "65.0",
        "55.0",
        "45.0",
        "35.0",
    ]
    assert result.column("line_number") == ["1", "2", "3", "4", "5", "6", "7"]
    assert set(result.column("claim_id")) == {"9991831999"}
    assert result.read_count == 7


def test_bfd_v3_idr_claim(shared_data: Path) -> None:
    result = read_all(READER, shared_data / "bfd" / "idr_out_ExplanationOfBenefit-Carrier.json")
    rows = result.rows()
    assert [r["hcpcs_code"] for r in rows] == ["99213", "99453", "J2270"]
    assert [r["line_number"] for r in rows] == ["1", "2", "4"]
    assert [r["revenue_code"] for r in rows] == ["0636", "0771", "0636"]
    assert [r["units"] for r in rows] == ["3.000", "3.000", "3.000"]
    assert [r["rendering_npi"] for r in rows] == ["1942945159", "1952378861", "1952378861"]
    assert rows[1]["rendering_taxonomy"] == "207R00000X"
    assert {r["medicare_specialty_code"] for r in rows} == {"11"}
    assert (rows[0]["service_from"], rows[0]["service_to"]) == ("2025-01-01", "2025-01-02")
    assert rows[0]["allowed_amount"] == "9194.22" and rows[0]["charge_amount"] == "50.11"
    assert [r["modifier_1"] for r in rows] == [None, "A2", None]
    assert {r["place_of_service"] for r in rows} == {"07"}
    assert {r["payer_type"] for r in rows} == {"medicare"}
    assert {r["billing_npi"] for r in rows} == {"1942945159"}  # contained Practitioner
    # Item 3 has no procedure code (data-absent-reason): quarantined, counts reconcile.
    (record,) = result.quarantined
    assert (record.field, record.row, record.reason) == (
        "item[2].productOrService",
        1,
        "no HCPCS/CPT coding",
    )
    assert result.read_count == 4


def test_bfd_internal_model_file_is_rejected_clearly(shared_data: Path) -> None:
    path = shared_data / "bfd" / "idr_EOB-Carrier-Sample.json"
    assert READER.sniff(path, path.read_bytes())
    with pytest.raises(
        IngestError, match=r"no FHIR ExplanationOfBenefit.*ExplanationOfBenefitBase"
    ):
        read_all(READER, path)


def test_ndjson_rows_are_line_numbers(tmp_path: Path) -> None:
    cancelled = dict(copy.deepcopy(CARRIER), status="cancelled")
    lines = [MULTI, {"resourceType": "Patient", "id": "1"}, "", "{not json", cancelled, CARRIER]
    result = read_ndjson(tmp_path, lines)
    assert result.table.num_rows == 8
    assert set(result.column("source_row")) == {1, 6}
    reasons = {(q.row, q.field, q.reason.split(":")[0]) for q in result.quarantined}
    assert reasons == {
        (4, "(line)", "line is not valid JSON"),
        (5, "status", "claim status 'cancelled'"),
    }
    assert result.read_count == 10


def test_ndjson_warns_about_other_resources(tmp_path: Path) -> None:
    path = write(
        tmp_path, "x.ndjson", json.dumps(CARRIER) + "\n" + json.dumps({"resourceType": "Coverage"})
    )
    batches = list(READER.read(path, ReadOptions()))
    assert any("Coverage x1" in w for b in batches for w in b.warnings)
    assert batches[-1].bytes_read == path.stat().st_size  # progress reaches the end


def test_bundle_rows_are_entry_indexes(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": CARRIER},
            {"resource": {"resourceType": "Patient"}},
            {"resource": IDR},
        ],
    }
    result = read_json(tmp_path, bundle)
    assert result.column("source_row") == [1, 3, 3, 3]
    (record,) = result.quarantined
    assert (record.row, record.field) == (3, "entry[2].resource.item[2].productOrService")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"status": "entered-in-error"}, "status", "claim status 'entered-in-error'"),
        ({"status": "draft"}, "status", "claim status 'draft'"),
        ({"use": "preauthorization"}, "use", "is not a claim"),
        ({"item": []}, "item", "has no items"),
    ],
)
def test_claims_not_loaded(tmp_path: Path, change: dict[str, Any], field: str, reason: str) -> None:
    result = read_json(tmp_path, {**MULTI, **change})
    assert result.table.num_rows == 0
    assert {q.field for q in result.quarantined} == {field}
    assert all(reason in q.reason for q in result.quarantined)
    assert result.read_count == (len(change.get("item", MULTI["item"])) or 1)


def test_pharmacy_claims_are_not_loaded(tmp_path: Path) -> None:
    pde = copy.deepcopy(CARRIER)
    pde["type"]["coding"] = [
        {"system": "https://bluebutton.cms.gov/resources/codesystem/eob-type", "code": "PDE"}
    ]
    result = read_json(tmp_path, pde)
    assert [q.field for q in result.quarantined] == ["type"]


def item_variant(tmp_path: Path, edit: Any) -> ReadResult:
    resource = copy.deepcopy(CARRIER)
    edit(resource["item"][0])
    return read_json(tmp_path, resource)


def test_serviced_date_and_billable_period_fallback(tmp_path: Path) -> None:
    def serviced(item: dict[str, Any]) -> None:
        del item["servicedPeriod"]
        item["servicedDate"] = "2023-03-04"

    (row,) = item_variant(tmp_path, serviced).rows()
    assert (row["service_from"], row["service_to"]) == ("2023-03-04", "2023-03-04")
    (row,) = item_variant(tmp_path, lambda item: item.pop("servicedPeriod")).rows()
    assert (row["service_from"], row["service_to"]) == ("1999-10-27", "1999-10-27")


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (lambda item: item.pop("quantity"), "item[0].quantity", "no quantity"),
        (lambda item: item["quantity"].update(value="many"), "item[0].quantity", "no quantity"),
        (lambda item: item.update(servicedDate="2023-02"), "item[0].servicedDate", "not a full"),
        (lambda item: item["productOrService"]["coding"][0].update(system="http://hl7.org/fhir/sid/ndc"),
         "item[0].productOrService", "no HCPCS/CPT coding"),
    ],
)  # fmt: skip
def test_unusable_items_are_quarantined(tmp_path: Path, edit: Any, field: str, reason: str) -> None:
    result = item_variant(tmp_path, edit)
    assert result.table.num_rows == 0
    (record,) = result.quarantined
    assert record.field == field
    assert reason in record.reason


def test_cpt_system_and_npi_identifier(tmp_path: Path) -> None:
    resource = copy.deepcopy(CARRIER)
    resource["item"][0]["productOrService"] = {
        "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "97110"}]
    }
    resource["careTeam"][2]["provider"] = {
        "identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599"}
    }
    (row,) = read_json(tmp_path, resource).rows()
    assert (row["hcpcs_code"], row["rendering_npi"]) == ("97110", "1245319599")


@pytest.mark.parametrize(
    ("insurer", "expected"),
    [
        ({"display": "Medicaid"}, "medicaid"),
        ({"display": "Blue Cross Blue Shield"}, "commercial"),
        ({"display": "Acme Health Plan"}, "Acme Health Plan"),  # pipeline: other + warning
        ({}, None),
    ],
)
def test_payer_type_outside_blue_button(
    tmp_path: Path, insurer: dict[str, str], expected: str | None
) -> None:
    resource = copy.deepcopy(CARRIER)
    resource["type"] = {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}
        ]
    }
    resource["insurer"] = insurer
    resource["insurance"] = []
    (row,) = read_json(tmp_path, resource).rows()
    assert row["payer_type"] == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"resourceType": "ExplanationOfBenefit", ', "invalid JSON at line 1"),
        ("[1, 2]", "not a FHIR resource"),
        ('{"resourceType": "Patient"}', "found Patient x1"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_unreadable_documents(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = write(tmp_path, "bad.json", content)
    with pytest.raises(IngestError, match=message) as caught:
        read_all(READER, path)
    assert str(path) in str(caught.value)


def test_sniff(tmp_path: Path) -> None:
    assert READER.sniff(tmp_path, json.dumps(CARRIER, indent=2).encode())
    assert READER.sniff(tmp_path, b"\n" + json.dumps(CARRIER).encode())
    assert not READER.sniff(tmp_path, b"claim_id,hcpcs_code\n1,97110\n")
    assert not READER.sniff(tmp_path, b"ISA*00*")
    assert not READER.sniff(tmp_path, b'{"a": 1}')
