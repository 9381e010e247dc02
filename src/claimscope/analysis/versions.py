"""Claim versions: a replacement claim supersedes the original, a void cancels it.

Claims are corrected after the fact (frequency code 7 replaces a claim, 8 voids it; CLM05-3
on an 837). Counting every version double-counts corrected claims and still counts voided
ones. For each (source, claim id) that has a replacement or void line, the latest such line
(by ingest batch, then row) decides: a void drops every line of the claim, a replacement
keeps only the replacement lines of its batch. Claims never corrected are untouched, and a
selection without any correction costs one cheap count.
"""

from __future__ import annotations

from typing import Final

import ibis
import ibis.expr.types as ir

REPLACEMENT: Final = "7"
VOID: Final = "8"
CORRECTIONS: Final = (REPLACEMENT, VOID)


def has_corrections(lines: ir.Table) -> bool:
    """Whether any replacement or void line is in ``lines`` (one small query)."""
    count = lines.filter(lines.claim_frequency.isin(CORRECTIONS)).count().execute()
    return bool(count)


def effective_lines(lines: ir.Table) -> ir.Table:
    """``lines`` with superseded and voided claim versions removed (see module docstring)."""
    if not has_corrections(lines):
        return lines
    corrected = lines.filter(lines.claim_frequency.isin(CORRECTIONS))
    order = ibis.window(
        group_by=[corrected.source, corrected.claim_id],
        order_by=[ibis.desc(corrected.batch_id), ibis.desc(corrected.source_row)],
    )
    latest = (
        corrected.mutate(position=ibis.row_number().over(order))
        .filter(lambda t: t.position == 0)
        .select(
            v_source=lambda t: t.source,
            v_claim=lambda t: t.claim_id,
            v_batch=lambda t: t.batch_id,
            v_frequency=lambda t: t.claim_frequency,
        )
    )
    joined = lines.left_join(
        latest, [lines.source == latest.v_source, lines.claim_id == latest.v_claim]
    )
    keep = joined.v_source.isnull() | (
        (joined.v_frequency == REPLACEMENT)
        & (joined.batch_id == joined.v_batch)
        & (joined.claim_frequency == REPLACEMENT)
    )
    return joined.filter(keep).select(*lines.columns)
