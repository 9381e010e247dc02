"""compare's linked audit splits lines into atoms: the sums must be exactly the cohorts'."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from claimscope.analysis.compare import _rank, lines_scope
from claimscope.analysis.compare_audit import TOP, _atoms, _top_table
from claimscope.analysis.query import PrivacyPolicy, TopQuery, build_filters
from claimscope.analysis.run import open_store, run_top
from claimscope.analysis.versions import effective_lines
from claimscope.insight.run import resolve_cohorts
from tests.canonical import line, write_store

COHORTS = ["rehab", "pt", "ot", "name=ca_pt;discipline=physical_therapy;state=CA",
           "name=tx_medicare;state=TX;payer_type=medicare"]  # fmt: skip


def mixed_store(root: Path, n: int = 600) -> Path:
    """Lines whose discipline comes from different rules (modifier, taxonomy, specialty,
    revenue code), in two states and payers, some outside the code family."""
    rng = random.Random(5)
    records: list[dict[str, Any]] = []
    for k in range(n):
        evidence = rng.choice([
            {"modifier_1": "GP"}, {"modifier_2": "GO"}, {"modifier_1": "GN"},
            {"modifier_1": "GP", "modifier_2": "GO"}, {"rendering_taxonomy": "225100000X"},
            {"rendering_taxonomy": "225X00000X", "specialty": "occupational_therapy"},
            {"specialty": "speech_language_pathology"}, {"revenue_code": "0430"}, {},
        ])  # fmt: skip
        records.append(line(
            rng.choice(["97110", "97140", "97530", "97161", "97165", "92507", "99213"]),
            month=rng.choice(["2023-01", "2023-02", "2023-03"]), patient=k % 97 + 1,
            units=rng.choice([1, 2, 3]), state=rng.choice(["CA", "TX"]),
            payer_type=rng.choice(["medicare", "commercial"]), source_row=k, **evidence,
        ))  # fmt: skip
        if "specialty" not in evidence:
            records[-1]["specialty"] = rng.choice(["physical_therapy", "chiropractic"])
    return write_store(root, records)


@pytest.mark.parametrize("measure", ["services", "lines", "allowed"])
def test_atoms_sum_to_every_cohorts_and_tops_figures(tmp_path: Path, measure: str) -> None:
    store = mixed_store(tmp_path / "store")
    cohorts = resolve_cohorts(COHORTS, store, tmp_path)
    policy = PrivacyPolicy(min_cell_size=1, allow_small_cells=True)
    base = TopQuery(build_filters("pmr"), measure=measure, privacy=policy)
    with open_store(store, "duckdb", None) as connection:
        lines = effective_lines(connection.lines(**lines_scope(cohorts, base)))
        rankings = [_rank(lines, c, base, ci=False, seed=1, replicates=1) for c in cohorts]
        scopes = [c.filters(base.filters) for c in cohorts] + [base.filters]
        wanted = [c.disciplines for c in cohorts] + [()]
        atoms = _atoms(lines, scopes, wanted, rankings, base)
    tables = [r.full for r in rankings] + [run_top(store, base)]
    for bit, table in enumerate(tables):
        expected = {row.code: row.value for row in table.rows}
        summed: dict[str, float] = {}
        for atom in atoms:
            if int(atom["_mask"]) & (1 << bit):
                code = str(atom["hcpcs_code"])
                summed[code] = summed.get(code, 0.0) + float(atom["value"])
        assert summed == pytest.approx(expected), f"table {bit}"
        assert sum(summed.values()) == pytest.approx(table.total)
    assert len({int(a["_mask"]) for a in atoms}) > 4  # cohorts overlap in several ways


def test_top_is_taken_from_a_cohort_that_adds_nothing_to_the_filters(tmp_path: Path) -> None:
    store = mixed_store(tmp_path / "store")
    cohorts = resolve_cohorts(["pt", "rehab", "ot"], store, tmp_path)
    base = TopQuery(build_filters("pmr"))
    with open_store(store, "duckdb", None) as connection:
        lines = effective_lines(connection.lines(**lines_scope(cohorts, base)))
        rankings = [_rank(lines, c, base, ci=False, seed=1, replicates=1) for c in cohorts]
        reused = _top_table(lines, rankings, base)
        without = _top_table(lines, [rankings[0], rankings[2]], base)  # pt and ot only
    assert reused is rankings[1].alone
    published = run_top(store, base)
    for table in (reused, without):
        assert [(r.code, r.value, r.suppressed) for r in table.rows] == [
            (r.code, r.value, r.suppressed) for r in published.rows
        ]
        assert table.total == published.total
    assert TOP.startswith("\x00")
