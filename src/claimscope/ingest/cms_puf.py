"""CMS "Medicare Physician & Other Practitioners - by Provider and Service" public use file.

One row per rendering NPI x HCPCS code x place of service (F/O) for a calendar year, with the
number of services, distinct beneficiaries and *average* amounts. Rows become ``aggregate``
records: units = services, amounts = average x services (totals, so they add up across rows),
period = the calendar year, payer type ``medicare``, line status ``paid`` (the file counts
allowed services), claim type ``professional`` (Part B carrier claims).

Two column namings exist and are read through translation tables (:data:`NAMINGS`): the
2012-2018 naming (``npi``, ``line_srvc_cnt``, ... tab-separated in 2012-2013) and the naming of
the data.cms.gov files since 2019 (``Rndrng_NPI``, ``Tot_Srvcs``, ... CSV). The year comes from
the ``year`` option or the file name (``CY2012``, ``_D21_``, or a single 4-digit year).
The full original files carry a CPT copyright notice as their first data row
(NPI ``0000000001``): it is quarantined as "copyright notice row, not data".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import parse, tabular
from claimscope.ingest.base import IngestError, QuarantineRecord, ReadOptions, StagingBatch

# Staging role -> source column, per naming. Roles starting with "avg_" are averages that
# become totals (x services).
NAMINGS: Final[dict[str, dict[str, str]]] = {
    "2012": {
        "rendering_npi": "npi",
        "provider_type": "provider_type",
        "state": "nppes_provider_state",
        "setting": "place_of_service",
        "hcpcs_code": "hcpcs_code",
        "units": "line_srvc_cnt",
        "beneficiaries": "bene_unique_cnt",
        "avg_charge_amount": "average_submitted_chrg_amt",
        "avg_allowed_amount": "average_Medicare_allowed_amt",
        "avg_paid_amount": "average_Medicare_payment_amt",
    },
    "current": {
        "rendering_npi": "Rndrng_NPI",
        "provider_type": "Rndrng_Prvdr_Type",
        "state": "Rndrng_Prvdr_State_Abrvtn",
        "setting": "Place_Of_Srvc",
        "hcpcs_code": "HCPCS_Cd",
        "units": "Tot_Srvcs",
        "beneficiaries": "Tot_Benes",
        "avg_charge_amount": "Avg_Sbmtd_Chrg",
        "avg_allowed_amount": "Avg_Mdcr_Alowd_Amt",
        "avg_paid_amount": "Avg_Mdcr_Pymt_Amt",
    },
}
COPYRIGHT_NPI: Final = "0000000001"
# Roles read dictionary-encoded (values repeat across rows); averages are mostly distinct.
REPEATED_ROLES: Final = ("rendering_npi", "provider_type", "state", "setting", "hcpcs_code")
_YEAR_PATTERNS: Final = (r"CY[ _-]?((?:19|20)\d{2})", r"_D(\d{2})_")
_LONE_YEAR: Final = r"(?<!\d)((?:19|20)\d{2})(?!\d)"


def detect_naming(names: list[str]) -> tuple[str, dict[str, str]] | None:
    """(naming, role -> actual column name) when the header has every column of a naming.

    Names are compared case-insensitively (the 2014-2016 files are upper case).
    """
    by_lower = {n.lower(): n for n in names}
    for naming, roles in NAMINGS.items():
        actual = {role: by_lower.get(col.lower()) for role, col in roles.items()}
        if all(actual.values()):
            return naming, {role: col for role, col in actual.items() if col}
    return None


def infer_year(path: Path, year: int | None = None) -> int:
    """The calendar year a file covers: ``year`` if given, else from its name."""
    if year is None:
        year = _year_from_name(path.name)
    if year is None:
        raise IngestError(
            f"{path}: cannot tell which calendar year this CMS file covers; give the year "
            "(ingest option year, CLI --year) or keep e.g. 'CY2012' in the file name"
        )
    if not 1990 <= year <= date.today().year:
        raise IngestError(f"{path}: year {year} is outside 1990-{date.today().year}")
    return year


def _year_from_name(name: str) -> int | None:
    for pattern in _YEAR_PATTERNS:
        match = re.search(pattern, name, flags=re.IGNORECASE)
        if match:
            found = match.group(1)
            return int(found) if len(found) == 4 else 2000 + int(found)
    lone = set(re.findall(_LONE_YEAR, name))
    return int(lone.pop()) if len(lone) == 1 else None


class CmsPufReader:
    """Reader of the CMS provider-by-service public use file (both namings)."""

    name = "cms_puf"
    description = "CMS Medicare physician & other practitioners by provider and service (PUF)"

    def sniff(self, path: Path, head: bytes) -> bool:
        parsed = tabular.header_fields(head)
        return parsed is not None and detect_naming(parsed[0]) is not None

    def default_source(self, path: Path, options: ReadOptions) -> str:
        """``cms_puf_<year>``."""
        return f"cms_puf_{infer_year(path, options.year)}"

    def read(self, path: Path, options: ReadOptions) -> Iterator[StagingBatch]:
        """Stream aggregate records; raises :class:`IngestError` for a wrong header or year."""
        year = infer_year(path, options.year)
        parsed = tabular.header_fields(tabular.read_head(path))
        detected = detect_naming(parsed[0]) if parsed else None
        if parsed is None or detected is None:
            raise IngestError(f"{path}: not a CMS provider-by-service file (header not recognised)")
        _, roles = detected
        field_names = {r.removeprefix("avg_"): c for r, c in roles.items()}
        repeated = [roles[r] for r in REPEATED_ROLES]
        for chunk in tabular.iter_csv(
            path,
            list(roles.values()),
            delimiter=parsed[1],
            batch_rows=options.batch_rows,
            dictionary=repeated,
        ):
            table, rows, rejected = _aggregates(chunk, roles, year, str(path))
            yield StagingBatch(
                table=table.append_column("source_row", pa.array(rows)),
                quarantined=chunk.rejected + rejected,
                bytes_read=chunk.bytes_read,
                field_names=field_names,
            )


def _aggregates(
    chunk: tabular.TextChunk, roles: dict[str, str], year: int, file: str
) -> tuple[pa.Table, np.ndarray, list[QuarantineRecord]]:
    """Staging rows of one chunk, plus the rows rejected here (copyright row, bad numbers)."""
    col = {role: parse.as_array(chunk.table.column(c)) for role, c in roles.items()}
    bad = np.zeros(chunk.table.num_rows, dtype=bool)
    rejected: list[QuarantineRecord] = []
    npi = parse.clean_strings(col["rendering_npi"])
    notice = parse.bool_mask(pc.equal(npi, COPYRIGHT_NPI))
    rejected += _records(
        file, chunk.rows, notice, roles["rendering_npi"], "copyright notice row, not data", None
    )
    bad |= notice
    # Totals need numbers: a row whose services or averages do not parse is rejected here,
    # naming the CMS column; zero or negative services are left to the pipeline's units check.
    services, services_bad = parse.parse_numbers(col["units"])
    rejected += _records(
        file, chunk.rows, services_bad & ~bad, roles["units"], "not a number", col["units"]
    )
    bad |= services_bad
    totals = {}
    for role in ("avg_charge_amount", "avg_allowed_amount", "avg_paid_amount"):
        average, average_bad = parse.parse_numbers(col[role])
        rejected += _records(
            file, chunk.rows, average_bad & ~bad, roles[role], "not a number", col[role]
        )
        bad |= average_bad
        totals[role.removeprefix("avg_")] = pc.multiply(average, services)
    keep = pa.array(~bad)
    n = int((~bad).sum())
    start, end = date(year, 1, 1), date(year, 12, 31)
    table = pa.table(
        {
            "record_kind": parse.constant("aggregate", n, pa.string()),
            "claim_type": parse.constant("professional", n, pa.string()),
            "service_from": parse.constant(start, n, pa.date32()),
            "service_to": parse.constant(end, n, pa.date32()),
            "rendering_npi": npi.filter(keep),
            "provider_type": col["provider_type"].filter(keep),
            "payer_type": parse.constant("medicare", n, pa.string()),
            "state": col["state"].filter(keep),
            "setting": col["setting"].filter(keep),
            "hcpcs_code": col["hcpcs_code"].filter(keep),
            "units": services.filter(keep),
            "beneficiaries": col["beneficiaries"].filter(keep),
            **{name: total.filter(keep) for name, total in totals.items()},
            "line_status": parse.constant("paid", n, pa.string()),
        }
    )
    return table, chunk.rows[~bad], rejected


def _records(
    file: str, rows: np.ndarray, mask: np.ndarray, field: str, reason: str, values: pa.Array | None
) -> list[QuarantineRecord]:
    if not mask.any():
        return []
    idx = np.flatnonzero(mask)
    texts = values.take(pa.array(idx)).to_pylist() if values is not None else [""] * len(idx)
    return [
        QuarantineRecord(
            file=file, row=int(rows[i]), field=field, reason=reason, value=str(v or "")[:100]
        )
        for i, v in zip(idx, texts, strict=True)
    ]


READER = CmsPufReader()
