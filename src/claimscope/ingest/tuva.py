"""The Tuva Project input-layer ``medical_claim`` table (CSV export).

One row per claim line. Service dates are the line's own dates when present, else the claim's
(institutional lines in Tuva often carry only claim dates). ``payer`` is the payer name or
type as the data provider gives it and goes through payer-type normalisation. Tuva has up to
five modifiers; the canonical line keeps four, so a fifth is counted in the file's warnings.
Institutional lines with a revenue code but no HCPCS code are quarantined ("no HCPCS code"):
every canonical line is a HCPCS procedure.

An optional provider file in Tuva's ``provider`` layout (``npi``, ``primary_taxonomy_code``,
``practice_state``) enriches lines by rendering NPI with the provider's taxonomy (hence the
specialty) and state: ingest option ``providers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from claimscope.ingest import parse, tabular
from claimscope.ingest.base import IngestError, ReadOptions, StagingBatch

# Staging name -> Tuva column, for columns copied as they are.
COLUMNS: Final = {
    "claim_id": "claim_id",
    "line_number": "claim_line_number",
    "claim_type": "claim_type",
    "patient_id": "person_id",
    "payer_type": "payer",
    "place_of_service": "place_of_service_code",
    "revenue_code": "revenue_center_code",
    "units": "service_unit_quantity",
    "hcpcs_code": "hcpcs_code",
    "modifier_1": "hcpcs_modifier_1",
    "modifier_2": "hcpcs_modifier_2",
    "modifier_3": "hcpcs_modifier_3",
    "modifier_4": "hcpcs_modifier_4",
    "rendering_npi": "rendering_npi",
    "billing_npi": "billing_npi",
    "paid_amount": "paid_amount",
    "allowed_amount": "allowed_amount",
    "charge_amount": "charge_amount",
}
DATE_COLUMNS: Final = (
    "claim_start_date",
    "claim_end_date",
    "claim_line_start_date",
    "claim_line_end_date",
)
EXTRA_COLUMNS: Final = ("hcpcs_modifier_5",)
MOSTLY_DISTINCT: Final = frozenset({"claim_id", "paid_amount", "allowed_amount", "charge_amount"})
# Columns that identify the layout; the others may be absent from a partial export.
SIGNATURE: Final = ("claim_id", "claim_line_number", "person_id", "hcpcs_code", "claim_start_date")
FIELD_NAMES: Final = {
    **{staging: tuva for staging, tuva in COLUMNS.items()},
    "service_from": "claim_line_start_date/claim_start_date",
    "service_to": "claim_line_end_date/claim_end_date",
}
PROVIDER_COLUMNS: Final = ("npi", "primary_taxonomy_code", "practice_state")


class TuvaReader:
    """Reader of Tuva ``medical_claim`` CSV files."""

    name = "tuva"
    description = "Tuva Project input-layer medical_claim table (CSV)"

    def sniff(self, path: Path, head: bytes) -> bool:
        parsed = tabular.header_fields(head)
        return parsed is not None and all(c in parsed[0] for c in SIGNATURE)

    def read(self, path: Path, options: ReadOptions) -> Iterator[StagingBatch]:
        """Stream claim lines, enriched from ``options.providers`` when given."""
        parsed = tabular.header_fields(tabular.read_head(path))
        if parsed is None or not all(c in parsed[0] for c in SIGNATURE):
            raise IngestError(
                f"{path}: not a Tuva medical_claim file (needs {', '.join(SIGNATURE)})"
            )
        names, delimiter = parsed
        wanted = [c for c in (*COLUMNS.values(), *DATE_COLUMNS, *EXTRA_COLUMNS) if c in names]
        providers = load_providers(options.providers) if options.providers else None
        repeated = [c for c in wanted if c not in MOSTLY_DISTINCT]
        for chunk in tabular.iter_csv(
            path, wanted, delimiter=delimiter, batch_rows=options.batch_rows, dictionary=repeated
        ):
            table, warnings = _staging(chunk.table, providers)
            yield StagingBatch(
                table=table.append_column("source_row", pa.array(chunk.rows)),
                quarantined=chunk.rejected,
                warnings=warnings,
                bytes_read=chunk.bytes_read,
                field_names=FIELD_NAMES,
            )


def _staging(raw: pa.Table, providers: pa.Table | None) -> tuple[pa.Table, list[str]]:
    n = raw.num_rows

    def col(name: str) -> pa.Array:
        if name in raw.column_names:
            return parse.as_array(raw.column(name))
        return pa.nulls(n, pa.string())

    columns = {staging: col(tuva) for staging, tuva in COLUMNS.items()}
    line_start = parse.clean_strings(col("claim_line_start_date"))
    has_line_dates = pc.is_valid(line_start)
    columns["service_from"] = pc.coalesce(line_start, parse.clean_strings(col("claim_start_date")))
    # A line with its own start date ends on its own end date (or the same day), not the claim's.
    columns["service_to"] = pc.if_else(
        has_line_dates,
        parse.clean_strings(col("claim_line_end_date")),
        parse.clean_strings(col("claim_end_date")),
    )
    columns["record_kind"] = parse.constant("line", n, pa.string())
    warnings = []
    fifth = parse.clean_strings(col("hcpcs_modifier_5"))
    if fifth.null_count < n:
        warnings.append(
            f"hcpcs_modifier_5: {n - fifth.null_count} values not loaded (lines keep 4 modifiers)"
        )
    if providers is not None:
        columns.update(_enrich(parse.clean_strings(columns["rendering_npi"]), providers))
    return pa.table(columns), warnings


def load_providers(path: Path) -> pa.Table:
    """The provider file's NPI, taxonomy and state columns (as strings), one row per NPI."""
    try:
        head = tabular.header_fields(tabular.read_head(path))
        if head is None or not all(c in head[0] for c in PROVIDER_COLUMNS):
            raise IngestError(f"{path}: provider file needs columns {', '.join(PROVIDER_COLUMNS)}")
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=head[1]),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(PROVIDER_COLUMNS),
                column_types={c: pa.string() for c in PROVIDER_COLUMNS},
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: cannot read provider file: {exc}") from exc
    npi = parse.clean_strings(parse.as_array(table.column("npi")), unique=False)
    # First row wins for a repeated NPI (NPPES extracts have one row per NPI anyway).
    first = pc.index_in(pc.drop_null(pc.unique(npi)), value_set=npi)
    return pa.table(
        {
            "npi": npi.take(first),
            "taxonomy": parse.as_array(table.column("primary_taxonomy_code")).take(first),
            "state": parse.as_array(table.column("practice_state")).take(first),
        }
    )


def _enrich(npi: pa.Array, providers: pa.Table) -> dict[str, pa.Array]:
    """Rendering taxonomy and state of each line's rendering NPI (null when not listed)."""
    position = pc.index_in(npi, value_set=providers.column("npi"), skip_nulls=True)
    return {
        "rendering_taxonomy": parse.as_array(providers.column("taxonomy")).take(position),
        "state": parse.as_array(providers.column("state")).take(position),
    }


READER = TuvaReader()
