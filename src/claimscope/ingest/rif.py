"""CMS CCW Research Identifiable File (RIF) carrier and DME claim lines, pipe-delimited.

The layout is the CCW one used by the Chronic Conditions Warehouse and CMS Blue Button / BFD
(one row per claim line, claim columns repeated, a header line of CCW names). The Synthea
export (``carrier.csv``) uses the same names and delimiter. Mapping:

``CLM_ID`` claim_id, ``LINE_NUM`` line_number, ``BENE_ID`` patient_id, ``LINE_1ST_EXPNS_DT`` /
``LINE_LAST_EXPNS_DT`` (else ``CLM_FROM_DT`` / ``CLM_THRU_DT``) service dates, ``PRF_PHYSN_NPI``
(DME: ``PRVDR_NPI``) rendering NPI, ``CARR_CLM_BLG_NPI_NUM`` billing NPI, ``PRVDR_SPCLTY``
CMS specialty code, ``PRVDR_STATE_CD`` state, ``LINE_PLACE_OF_SRVC_CD`` place of service,
``HCPCS_CD`` + ``HCPCS_1ST..4TH_MDFR_CD``, ``LINE_SRVC_CNT`` units, ``LINE_SBMTD_CHRG_AMT`` /
``LINE_ALOWD_CHRG_AMT`` / ``LINE_NCH_PMT_AMT`` amounts. Every line is Medicare (Part B) and
professional. Dates are CCW ``DD-MON-YYYY`` (``27-OCT-1999``), ``YYYYMMDD`` or ISO.

Rows are data rows numbered from 1 after the header. Rows flagged ``DML_IND = DELETE`` or
``FINAL_ACTION = N`` (a superseded, non-final version of the claim) are quarantined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import tabular
from claimscope.ingest.base import IngestError, QuarantineRecord, ReadOptions, StagingBatch

# Staging column <- RIF column(s), first present non-empty value wins.
SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "claim_id": ("CLM_ID",),
    "line_number": ("LINE_NUM",),
    "patient_id": ("BENE_ID",),
    "service_from": ("LINE_1ST_EXPNS_DT", "CLM_FROM_DT"),
    "service_to": ("LINE_LAST_EXPNS_DT", "CLM_THRU_DT"),
    "rendering_npi": ("PRF_PHYSN_NPI", "PRVDR_NPI"),
    "billing_npi": ("CARR_CLM_BLG_NPI_NUM",),
    "medicare_specialty_code": ("PRVDR_SPCLTY",),
    "state": ("PRVDR_STATE_CD",),
    "place_of_service": ("LINE_PLACE_OF_SRVC_CD",),
    "hcpcs_code": ("HCPCS_CD",),
    "modifier_1": ("HCPCS_1ST_MDFR_CD",),
    "modifier_2": ("HCPCS_2ND_MDFR_CD",),
    "modifier_3": ("HCPCS_3RD_MDFR_CD",),
    "modifier_4": ("HCPCS_4TH_MDFR_CD",),
    "units": ("LINE_SRVC_CNT",),
    "charge_amount": ("LINE_SBMTD_CHRG_AMT",),
    "allowed_amount": ("LINE_ALOWD_CHRG_AMT",),
    "paid_amount": ("LINE_NCH_PMT_AMT",),
}
REQUIRED: Final = ("CLM_ID", "BENE_ID", "HCPCS_CD", "LINE_SRVC_CNT")
EXTRA: Final = ("LINE_PRCSG_IND_CD", "DML_IND", "FINAL_ACTION")
# CCW LINE_PRCSG_IND_CD: A = allowed, R = reprocessed adjustment. Other codes are denials
# (C noncovered, N medically unnecessary, M duplicate, ...) or another payer's turn (S, Q, T,
# U, V, X, Y: secondary payer / MSP cost avoided); those lines count as paid only when
# Medicare paid something.
ALLOWED_INDICATORS: Final = frozenset({"A", "R"})
_MONTHS: Final = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
)}  # fmt: skip


def line_status_for(indicator: str | None, paid: str | None) -> str:
    """paid / denied / unknown from a CCW line processing indicator and the paid amount."""
    if not indicator or not indicator.strip():
        return "unknown"
    if indicator.strip().upper() in ALLOWED_INDICATORS:
        return "paid"
    try:
        positive = paid is not None and float(paid) > 0
    except ValueError:
        positive = False
    return "paid" if positive else "denied"


def ccw_date(value: str) -> str | None:
    """``27-OCT-1999`` / ``30-May-2015`` / ``19991027`` / ``1999-10-27`` -> ISO; else None."""
    text = value.strip()
    try:
        if len(text) == 11 and text[2] == "-" and text[6] == "-":
            month = _MONTHS.get(text[3:6].upper())
            if month is None:
                return None
            return dt.date(int(text[7:]), month, int(text[:2])).isoformat()
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


class RifCarrierReader:
    """CMS CCW RIF carrier / DME claim lines (pipe-delimited with a header line)."""

    name = "cms_rif"
    description = "CMS CCW RIF carrier/DME claim lines (pipe-delimited, CCW column names)"

    def sniff(self, path: Path, head: bytes) -> bool:
        """A ``|``-delimited header naming ``HCPCS_CD``, ``LINE_SRVC_CNT`` and ``CLM_ID``."""
        parsed = tabular.header_fields(head)
        if parsed is None or parsed[1] != "|":
            return False
        names = set(parsed[0])
        return {"HCPCS_CD", "LINE_SRVC_CNT", "CLM_ID"} <= names

    def read(self, path: Path, options: ReadOptions) -> Iterator[StagingBatch]:
        """Stream the file in blocks of about ``options.batch_rows`` rows."""
        try:
            parsed = tabular.header_fields(tabular.read_head(path))
        except OSError as exc:
            raise IngestError(f"{path}: cannot open: {exc.strerror}") from None
        if parsed is None or parsed[1] != "|":
            raise IngestError(f"{path}: not a pipe-delimited RIF file with a header line")
        names = parsed[0]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise IngestError(
                f"{path}: not a RIF carrier file: missing columns {', '.join(missing)}"
            )
        if not any(c in names for c in SOURCES["service_from"]):
            raise IngestError(f"{path}: no service date column (LINE_1ST_EXPNS_DT or CLM_FROM_DT)")
        wanted = [c for c in dict.fromkeys([*_flat_sources(), *EXTRA]) if c in names]
        field_names = {
            key: next(c for c in columns if c in names)
            for key, columns in SOURCES.items()
            if any(c in names for c in columns)
        }
        empty = True
        for chunk in tabular.iter_csv(path, wanted, delimiter="|", batch_rows=options.batch_rows):
            table, quarantined = _staging(chunk.table, chunk.rows, str(path))
            empty = False
            yield StagingBatch(
                table=table,
                quarantined=[*chunk.rejected, *quarantined],
                field_names=field_names,
                bytes_read=chunk.bytes_read,
            )
        if empty:  # a header without data rows
            columns = {name: pa.array([], pa.string()) for name in wanted}
            table, _ = _staging(pa.table(columns), np.zeros(0, dtype=np.int64), str(path))
            yield StagingBatch(table=table, field_names=field_names)


def _flat_sources() -> list[str]:
    return [c for columns in SOURCES.values() for c in columns]


def _column(table: pa.Table, names: tuple[str, ...]) -> pa.Array:
    present = [blank_as_null(table, n) for n in names if n in table.column_names]
    if not present:
        return pa.nulls(table.num_rows, pa.string())
    return pc.coalesce(*present) if len(present) > 1 else present[0]


def blank_as_null(table: pa.Table, name: str) -> pa.Array:
    """A string column with blank values as null."""
    values = table.column(name).combine_chunks().cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _dates(values: pa.Array) -> pa.Array:
    """CCW dates to ISO per distinct value; unparseable values stay (the pipeline rejects them)."""
    if values.null_count == len(values):
        return values
    encoded = pc.dictionary_encode(values)
    mapped = [ccw_date(v) or v if v is not None else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(mapped, pa.string()), encoded.indices)


def _staging(
    table: pa.Table, rows: np.ndarray, file: str
) -> tuple[pa.Table, list[QuarantineRecord]]:
    n = table.num_rows
    out = {name: _column(table, sources) for name, sources in SOURCES.items()}
    out["service_from"] = _dates(out["service_from"])
    out["service_to"] = _dates(out["service_to"])
    out["line_status"] = _line_status(_column(table, ("LINE_PRCSG_IND_CD",)), out["paid_amount"])
    out["record_kind"] = pa.array(["line"] * n, pa.string())
    out["claim_type"] = pa.array(["professional"] * n, pa.string())
    out["payer_type"] = pa.array(["medicare"] * n, pa.string())
    out["source_row"] = pa.array(rows, pa.int64())
    staged = pa.table(out)
    reject = _rejections(table)
    if not reject.any():
        return staged, []
    quarantined = [
        QuarantineRecord(file, int(rows[i]), field, reason, value)
        for i in np.flatnonzero(reject)
        for field, reason, value in [_rejection_reason(table, int(i))]
    ]
    return staged.filter(pa.array(~reject)), quarantined


def _line_status(indicator: pa.Array, paid: pa.Array) -> pa.Array:
    upper = pc.utf8_upper(indicator)
    allowed = pc.fill_null(pc.is_in(upper, value_set=pa.array(sorted(ALLOWED_INDICATORS))), False)
    numbers = _floats(paid)
    positive = pc.fill_null(pc.greater(numbers, 0), False)
    status = pc.if_else(pc.or_(allowed, positive), "paid", "denied")
    return pc.if_else(pc.is_null(indicator), pa.scalar("unknown"), status)


def _floats(values: pa.Array) -> pa.Array:
    ok = pc.fill_null(pc.match_substring_regex(values, r"^-?[0-9]+(\.[0-9]*)?$"), False)
    return pc.if_else(ok, values, pa.scalar(None, pa.string())).cast(pa.float64())


def _rejections(table: pa.Table) -> np.ndarray:
    reject = np.zeros(table.num_rows, dtype=bool)
    for name, bad in (("DML_IND", "DELETE"), ("FINAL_ACTION", "N")):
        if name in table.column_names:
            hit = pc.equal(pc.utf8_upper(blank_as_null(table, name)), bad)
            reject |= np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
    return reject


def _rejection_reason(table: pa.Table, i: int) -> tuple[str, str, str]:
    if "DML_IND" in table.column_names and str(table.column("DML_IND")[i]).upper() == "DELETE":
        return "DML_IND", "record deletion (DML_IND = DELETE), not a claim line", "DELETE"
    return "FINAL_ACTION", "not the final action version of the claim (FINAL_ACTION = N)", "N"


READER: Final = RifCarrierReader()
