"""The synthetic claims reproduce the published figures they are calibrated to.

Shares are computed here with DuckDB directly on the generated Arrow tables (units of each
97010-97799 code among all 97010-97799 units, denied lines included), independently of
claimscope's analysis layer.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import pyarrow as pa
import pytest

from claimscope.synth import generate_claims, published_shares
from claimscope.synth.calibrate import CalibrationError, solve, solve_params
from claimscope.synth.params import load

PUBLISHED_TOP15 = [
    ("97110", 28.7), ("97530", 19.8), ("97140", 16.3), ("97112", 15.1), ("97116", 2.7),
    ("97535", 2.5), ("97014", 2.0), ("97010", 2.0), ("97161", 1.6), ("97012", 1.3),
    ("97162", 1.2), ("97150", 1.0), ("97035", 0.9), ("97016", 0.6), ("97032", 0.5),
]  # fmt: skip
PMR = "hcpcs_code BETWEEN '97010' AND '97799'"


def shares(table: pa.Table, where: str = "TRUE") -> list[tuple[str, float]]:
    """(code, percent of 97010-97799 units) for the rows matching ``where``, largest first."""
    con = duckdb.connect()
    con.register("t", table)
    rows = con.execute(
        f"""WITH w AS (SELECT hcpcs_code, units FROM t WHERE {PMR} AND {where})
            SELECT hcpcs_code, sum(units) * 100.0 / (SELECT sum(units) FROM w) AS pct
            FROM w GROUP BY 1 ORDER BY pct DESC, hcpcs_code"""
    ).fetchall()
    con.close()
    return [(code, float(pct)) for code, pct in rows]


def check_top15(got: list[tuple[str, float]], tolerance: float) -> None:
    assert [c for c, _ in got[:15]] == [c for c, _ in PUBLISHED_TOP15]
    measured = dict(got)
    for code, published in PUBLISHED_TOP15:
        assert measured[code] == pytest.approx(published, abs=tolerance), code
    rest = sum(p for c, p in got[15:])
    assert rest == pytest.approx(100 - 96.2, abs=tolerance)


@pytest.fixture(scope="module")
def window() -> pa.Table:
    """250,000 lines, all in the published period (2023 January-September)."""
    return pa.concat_tables(
        generate_claims(250_000, 3, start=date(2023, 1, 1), end=date(2023, 9, 30))
    )


@pytest.fixture(scope="module")
def three_years() -> pa.Table:
    return pa.concat_tables(generate_claims(400_000, 5))


def test_top15_shares_and_order_in_the_published_period(window: pa.Table) -> None:
    # 250k lines carry ~0.1 pp of sampling noise; the slow test holds 2M lines to 0.3 pp.
    check_top15(shares(window), tolerance=0.4)


def test_physical_therapist_order(three_years: pa.Table) -> None:
    for year in (2021, 2022, 2023):
        got = shares(three_years, f"specialty = 'physical_therapy' AND year(service_from) = {year}")
        assert [c for c, _ in got[:4]] == ["97110", "97140", "97530", "97112"], year


def test_occupational_therapist_list_2022(three_years: pa.Table) -> None:
    got = dict(
        shares(three_years, "specialty = 'occupational_therapy' AND year(service_from) = 2022")
    )
    assert got["97110"] == pytest.approx(34.0, abs=1.5)
    assert got["97140"] == pytest.approx(22.0, abs=1.5)
    assert got["97530"] == pytest.approx(17.0, abs=1.5)


def test_trends_are_visible(three_years: pa.Table) -> None:
    by_year = {y: dict(shares(three_years, f"year(service_from) = {y}")) for y in (2021, 2023)}
    assert by_year[2023]["97530"] > by_year[2021]["97530"] + 1.0  # growing
    assert by_year[2023]["97140"] < by_year[2021]["97140"] - 0.5  # slowly declining


def test_codes_outside_the_family_exist(three_years: pa.Table) -> None:
    con = duckdb.connect()
    con.register("t", three_years)
    other = dict(
        con.execute(f"SELECT hcpcs_code, count(*) FROM t WHERE NOT ({PMR}) GROUP BY 1").fetchall()
    )
    for code in ("G0283", "98940", "98941", "99213", "92507"):
        assert other.get(code, 0) > 100, code
    share = sum(other.values()) / three_years.num_rows
    assert 0.1 < share < 0.35


@pytest.mark.slow
def test_two_million_lines_match_within_0_3_points() -> None:
    table = pa.concat_tables(generate_claims(2_000_000, 42))
    got = shares(table, "service_from BETWEEN DATE '2023-01-01' AND DATE '2023-09-30'")
    check_top15(got, tolerance=0.3)


def test_solver_meets_every_target_exactly() -> None:
    plan = solve()
    targets = load().targets.rehab
    columns = plan.matrix.sum(axis=0)
    for j, code in enumerate(plan.matrix_codes):
        assert columns[j] == pytest.approx(targets[code], abs=1e-9)
    assert sum(targets.values()) == pytest.approx(1.0)
    for group in plan.groups.values():
        assert 1.0 <= group.episode_visits < 30
        assert all(0 <= p <= 0.95 for p in group.untimed.values())


def test_solver_refuses_a_prior_that_breaks_the_physical_therapist_order() -> None:
    params = load()
    pt = params.groups["pt"]
    prior = dict(pt.prior) | {"97530": 30.0, "97140": 8.0}
    groups = dict(params.groups) | {"pt": dataclasses.replace(pt, prior=prior)}
    with pytest.raises(CalibrationError, match="physical-therapist order"):
        solve_params(dataclasses.replace(params, groups=groups))


def test_published_shares_are_the_printed_figures() -> None:
    published = published_shares()
    assert published["rehab"] == pytest.approx({c: p / 100 for c, p in PUBLISHED_TOP15})
    assert published["ot"] == pytest.approx({"97110": 0.34, "97140": 0.22, "97530": 0.17})
