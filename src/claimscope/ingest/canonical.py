"""Turn validated staging columns into canonical claim lines (:data:`CLAIM_LINE`).

Derivations, all vectorised and done once per distinct value where a lookup is involved:

* ``specialty``: the slug given by the source if it is a known slug, else from the rendering
  taxonomy (NUCC), else the CMS Medicare specialty code, else CMS provider-type text; null
  when none is known (counted as a warning when provider details were given but unmapped);
* ``setting``: given (``facility``/``non_facility``, CMS ``F``/``O``), else from the place of
  service under the Physician Fee Schedule rule;
* ``payer_type``: normalised from the source's text; missing or unrecognised values load as
  ``other`` and are counted in the file's warnings (the row itself is sound);
* ``line_status``: given, else ``unknown``;
* ``service_month``: first day of the month of ``service_from``; ``period_end_month``: the
  same for lines, the month of ``service_to`` for aggregates;
* ``patient_key``: keyed hash of the raw patient id (lines only); the raw id is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import parse
from claimscope.ingest.pseudonymise import Pseudonymiser
from claimscope.ingest.report import Warnings
from claimscope.ingest.validate import Checked
from claimscope.schema import CLAIM_LINE
from claimscope.terminology.payers import map_payer_types
from claimscope.terminology.pos import map_settings
from claimscope.terminology.specialty import (
    map_medicare_codes,
    map_provider_types,
    map_taxonomies,
    specialties,
)

_SHOWN_VALUES = 5


@dataclass(frozen=True)
class BatchContext:
    """What every row of one ingest batch shares."""

    source: str
    source_format: str
    batch_id: str
    source_file: str
    pseudonymiser: Pseudonymiser


def build_lines(
    checked: Checked, source_row: pa.Array, ctx: BatchContext, warnings: Warnings
) -> pa.Table:
    """Canonical rows for the rows that passed validation; derivation notes go to ``warnings``."""
    keep = None if checked.good.all() else pa.array(checked.good)
    cols = {k: v if keep is None else v.filter(keep) for k, v in checked.columns.items()}
    rows = source_row if keep is None else source_row.filter(keep)
    n = len(rows)
    is_line = pc.equal(cols["record_kind"], "line")
    out = dict(cols)
    out["patient_key"] = pc.if_else(is_line, ctx.pseudonymiser.keys(cols["patient_id"]), None).cast(
        pa.int64()
    )
    out["service_month"] = _month_start(cols["service_from"])
    out["period_end_month"] = pc.if_else(
        is_line, out["service_month"], _month_start(cols["service_to"])
    )
    # Lookups run on distinct values; results stay dictionary-encoded (cheap to sort and write).
    out["specialty"] = _specialty(cols, warnings)
    out["setting"] = parse.coalesce_dictionaries(
        cols["setting"], _lookup(cols["place_of_service"], map_settings)
    )
    out["payer_type"] = _payer_type(cols["payer_type"], warnings)
    out["line_status"] = pc.fill_null(cols["line_status"], "unknown")
    out["source"] = parse.constant(ctx.source, n, pa.string())
    out["source_format"] = parse.constant(ctx.source_format, n, pa.string())
    out["batch_id"] = parse.constant(ctx.batch_id, n, pa.string())
    out["source_file"] = parse.constant(ctx.source_file, n, pa.string())
    out["source_row"] = rows.cast(pa.int64())
    out["record_key"] = ctx.pseudonymiser.record_keys(ctx.source_file, out["source_row"])
    arrays = [_typed(out.get(f.name), f.type, n) for f in CLAIM_LINE]
    return pa.Table.from_arrays(arrays, names=list(CLAIM_LINE.names))


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return parse.as_array(values)


def _lookup(values: pa.Array, mapper: Callable[[pa.Array], pa.Array | pa.ChunkedArray]) -> pa.Array:
    """A terminology mapping applied to the distinct values only, result dictionary-encoded."""
    if values.null_count == len(values):
        return pa.nulls(len(values), pa.string())
    return parse.map_dictionary(values, lambda d: _as_array(mapper(d)))


def _typed(values: pa.Array | None, type_: pa.DataType, n: int) -> pa.Array:
    """``values`` as ``type_``; string columns may stay dictionary-encoded (cheaper to sort and
    write; the stored Parquet type is the same)."""
    if values is None:
        return pa.nulls(n, type_)
    values = parse.as_array(values)
    if pa.types.is_dictionary(values.type) and values.type.value_type == type_:
        return values
    return values if values.type == type_ else values.cast(type_)


def _month_start(dates: pa.Array) -> pa.Array:
    return pc.floor_temporal(dates, unit="month")


def _specialty(cols: dict[str, pa.Array], warnings: Warnings) -> pa.Array:
    given = cols["specialty"]
    slug = _lookup(given, _known_slug)
    unknown_given = parse.present(given) & ~parse.present(slug)
    if unknown_given.any():
        warnings.add(
            "specialty: not a known slug, derived from the provider instead",
            int(unknown_given.sum()),
            _examples(given.filter(pa.array(unknown_given))),
        )
    details = (cols["rendering_taxonomy"], cols["medicare_specialty_code"], cols["provider_type"])
    derived = parse.coalesce_dictionaries(
        slug,
        _lookup(details[0], map_taxonomies),
        _lookup(details[1], map_medicare_codes),
        _lookup(details[2], map_provider_types),
    )
    described = parse.present(details[0]) | parse.present(details[1]) | parse.present(details[2])
    unmapped = described & ~parse.present(derived)
    if unmapped.any():
        shown = parse.coalesce_dictionaries(details[2], details[0], details[1])
        warnings.add(
            "specialty: provider details not recognised, left empty",
            int(unmapped.sum()),
            _examples(shown.filter(pa.array(unmapped))),
        )
    return derived


def _known_slug(values: pa.Array) -> pa.Array:
    """Lower-cased values that are specialty slugs; null for anything else."""
    lowered = pc.utf8_lower(values)
    known = pa.array(list(specialties()), pa.string())
    return pc.if_else(pc.is_in(lowered, value_set=known), lowered, pa.scalar(None, pa.string()))


def _payer_type(given: pa.Array, warnings: Warnings) -> pa.Array:
    mapped = _lookup(given, map_payer_types)
    if given.null_count:
        warnings.add("payer_type: missing, loaded as other", given.null_count)
    unrecognised = parse.bool_mask(pc.and_(pc.is_valid(given), pc.is_null(mapped)))
    if unrecognised.any():
        warnings.add(
            "payer_type: not recognised, loaded as other",
            int(unrecognised.sum()),
            _examples(given.filter(pa.array(unrecognised))),
        )
    return pc.fill_null(mapped, "other")


def _examples(values: pa.Array) -> list[str]:
    """A few distinct values for a warning message."""
    return [str(v) for v in pc.unique(values).to_pylist()[:_SHOWN_VALUES]]
