"""The synthetic 837 writer: valid envelopes, loops and values the reader gets back."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa

from claimscope.ingest.x12.reader import READER
from claimscope.synth.x12_writer import iter_claims, write_837p
from tests.test_x12_helpers import read_all

# claim | type | patient | payer | billing NPI | rendering NPI | POS | revenue | code | modifiers
# | units | charge | day of March 2023
LINES = """
A1|professional|P1|medicare|1245319599|1003000126|11||97110|GP|3|120|5
A1|professional|P1|medicare|1245319599|1003000126|11||97140|GP 59|2|80.5|5
A2|professional|P1|medicare|1245319599|1003000126|22||97530||1|45|6
B1|institutional|P2|commercial|1588667638|1003000126|22|0420|97161|GP|1|210|7
C1|professional|P3|medicare_advantage|1245319599||11||G0283||1|15.25|8
"""
NAMES = (
    "claim_id", "claim_type", "patient_id", "payer_type", "billing_npi", "rendering_npi",
    "place_of_service", "revenue_code", "hcpcs_code",
)  # fmt: skip


def lines_table() -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in NAMES}
    extra: dict[str, list[object]] = {
        name: [] for name in ("modifier_1", "modifier_2", "units", "charge_amount", "service_from")
    }
    for text in LINES.strip().splitlines():
        fields = text.split("|")
        for name, value in zip(NAMES, fields, strict=False):
            columns[name].append(value or None)
        mods = fields[9].split()
        extra["modifier_1"].append(mods[0] if mods else None)
        extra["modifier_2"].append(mods[1] if len(mods) > 1 else None)
        extra["units"].append(float(fields[10]))
        extra["charge_amount"].append(float(fields[11]))
        extra["service_from"].append(dt.date(2023, 3, int(fields[12])))
    count = len(columns["claim_id"])
    taxonomy = {"rendering_taxonomy": ["225100000X"] * count, "state": ["OH"] * count}
    return pa.table({**columns, **extra, **taxonomy})


def test_written_file_reads_back_line_for_line(tmp_path: Path) -> None:
    out = tmp_path / "out.837"
    summary = write_837p([lines_table()], out)
    assert (summary.claims, summary.lines) == (4, 5)
    result = read_all(READER, out)
    assert result.quarantined == []
    rows = result.rows()
    assert [r["hcpcs_code"] for r in rows] == ["97110", "97140", "97530", "G0283", "97161"]
    assert [r["claim_type"] for r in rows] == ["professional"] * 4 + ["institutional"]
    assert [(r["modifier_1"], r["modifier_2"]) for r in rows[:2]] == [("GP", None), ("GP", "59")]
    assert [r["units"] for r in rows] == ["3", "2", "1", "1", "1"]
    assert [r["charge_amount"] for r in rows] == ["120", "80.5", "45", "15.25", "210"]
    assert [r["payer_type"] for r in rows] == [
        "medicare", "medicare", "medicare", "medicare_advantage", "commercial",
    ]  # fmt: skip
    assert [r["place_of_service"] for r in rows] == ["11", "11", "22", "11", None]
    assert rows[4]["revenue_code"] == "0420" and rows[4]["setting"] == "facility"
    assert rows[0]["rendering_npi"] == "1003000126" and rows[0]["billing_npi"] == "1245319599"
    assert rows[3]["rendering_npi"] == "1245319599"  # no rendering: the billing provider
    assert [r["rendering_taxonomy"] for r in rows] == ["225100000X"] * 3 + [None, "225100000X"]
    assert {r["state"] for r in rows} == {"OH"}
    assert [r["service_from"] for r in rows] == [
        "2023-03-05", "2023-03-05", "2023-03-06", "2023-03-08", "2023-03-07",
    ]  # fmt: skip
    assert rows[0]["patient_id"] == rows[2]["patient_id"] != rows[3]["patient_id"]


def test_envelopes_and_counts(tmp_path: Path) -> None:
    out = tmp_path / "out.837"
    table = pa.concat_tables([lines_table()] * 3)  # claims repeat: A1 A1 A2 B1 C1 A1 ...
    write_837p([table], out, claims_per_transaction=2, control_number=42)
    text = out.read_text()
    assert text.startswith("ISA*") and text[104] == ":" and text[105] == "~"
    assert len(text.split("~\n")[0]) == 105  # fixed-length ISA: 106 with its terminator
    assert re.findall(r"GS\*HC\*[^~]*\*(005010X22[23]A[23])~", text) == [
        "005010X222A2",
        "005010X223A3",
    ]
    assert text.count("ST*837*") == 5 + 2  # 9 professional claims in pairs, 3 institutional
    assert text.rstrip().endswith("IEA*2*000000042~")
    result = read_all(READER, out)  # the reader checks every SE/GE/IEA count
    assert result.table.num_rows == 15


def test_iter_claims_keeps_a_claim_split_across_tables() -> None:
    table = lines_table()
    claims = list(iter_claims([table.slice(0, 1), table.slice(1)]))
    assert [[line.hcpcs_code for line in claim] for claim in claims] == [
        ["97110", "97140"], ["97530"], ["97161"], ["G0283"],
    ]  # fmt: skip


def test_empty_input_is_a_valid_empty_interchange(tmp_path: Path) -> None:
    out = tmp_path / "empty.837"
    summary = write_837p([], out)
    assert (summary.claims, summary.lines) == (0, 0)
    assert out.read_text().endswith("IEA*0*000000001~\n")
    assert read_all(READER, out).read_count == 0
