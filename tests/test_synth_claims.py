"""Claim-level realism of the synthetic claims: identifiers, units, modifiers, money, time."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from claimscope.schema import STAGING_COLUMNS
from claimscope.synth import generate_claims
from claimscope.synth.calibrate import units_8_minute
from claimscope.synth.generator import AUDIT_COLUMNS
from claimscope.synth.params import load
from claimscope.terminology.npi import is_valid

LINES = 200_000
PMR = "hcpcs_code BETWEEN '97010' AND '97799'"


@pytest.fixture(scope="module")
def claims() -> pa.Table:
    return pa.concat_tables(generate_claims(LINES, 7, audit=True))


@pytest.fixture(scope="module")
def con(claims: pa.Table) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.register("t", claims)
    return connection


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_exact_line_count_and_layout(claims: pa.Table) -> None:
    assert claims.num_rows == LINES
    layout = [c for c in claims.column_names if c not in AUDIT_COLUMNS]
    assert set(layout) <= set(STAGING_COLUMNS)
    assert layout == [c for c in STAGING_COLUMNS if c in layout]  # staging order
    assert pc.all(pc.equal(claims["record_kind"], "line")).as_py()


def test_npi_check_digit_rule() -> None:
    assert is_valid("1234567893")  # the CMS worked example
    assert not is_valid("1234567890") and not is_valid("123456789") and not is_valid("12345678a3")


def test_every_generated_npi_passes_the_luhn_check(claims: pa.Table) -> None:
    for column in ("rendering_npi", "billing_npi"):
        values = pc.unique(claims[column]).to_pylist()
        assert None not in values
        assert all(is_valid(v) and v[0] in "12" for v in values), column


def test_timed_units_follow_the_8_minute_rule(con: duckdb.DuckDBPyConnection) -> None:
    timed = [c for c, code in load().codes.items() if code.kind == "timed"]
    rows = con.execute(
        """SELECT visit_id, any_value(visit_timed_minutes), sum(units)
           FROM t WHERE visit_timed_minutes IS NOT NULL AND list_contains(?, hcpcs_code)
           GROUP BY 1""",
        [timed],
    ).fetchall()
    minutes = np.array([r[1] for r in rows])
    units = np.array([r[2] for r in rows])
    assert len(rows) > 20_000
    assert (units == units_8_minute(minutes)).all()
    # Boundaries of the rule: 7 minutes bill nothing, 8 one unit, 22 one, 23 two, 38 three.
    assert units_8_minute(np.array([7, 8, 22, 23, 37, 38, 53])).tolist() == [0, 1, 1, 2, 2, 3, 4]
    # Untimed codes (evaluations, supervised modalities, group therapy) are always one unit.
    untimed = one(
        con,
        "SELECT max(units) FROM t WHERE hcpcs_code BETWEEN '97161' AND '97172' "
        "OR hcpcs_code BETWEEN '97010' AND '97028' OR hcpcs_code = '97150'",
    )
    assert untimed == 1


def test_plan_of_care_modifiers(con: duckdb.DuckDBPyConnection) -> None:
    mods = "[modifier_1, modifier_2, modifier_3, modifier_4]"
    therapy = f"(list_contains({mods}, 'GP') OR list_contains({mods}, 'GO'))"
    for specialty, other in (("physical_therapy", "GO"), ("occupational_therapy", "GP")):
        where = f"FROM t WHERE specialty = '{specialty}' AND {PMR}"
        assert one(con, f"SELECT count(*) {where} AND NOT {therapy}") == 0, specialty
        lines = one(con, f"SELECT count(*) {where}")
        crossed = one(con, f"SELECT count(*) {where} AND list_contains({mods}, '{other}')")
        # calendar.toml cross_plan_rate = 0.02 of visits billed under the other plan of care
        assert 0.01 < crossed / lines < 0.035, (specialty, crossed / lines)
    where = f"FROM t WHERE specialty = 'speech_language_pathology' AND {PMR}"
    assert one(con, f"SELECT count(*) {where} AND NOT list_contains({mods}, 'GN')") == 0
    # Institutional lines: the revenue code family matches the plan of care, but for the
    # crossed visits (the conflict `claimscope attribution` reports).
    institutional = one(con, "SELECT count(*) FROM t WHERE claim_type = 'institutional'")
    mismatched = one(
        con,
        f"""SELECT count(*) FROM t WHERE claim_type = 'institutional' AND NOT (
              (revenue_code LIKE '042_' AND list_contains({mods}, 'GP')) OR
              (revenue_code LIKE '043_' AND list_contains({mods}, 'GO')) OR
              (revenue_code LIKE '044_' AND list_contains({mods}, 'GN')))""",
    )
    assert 0 < mismatched / institutional < 0.035


def test_ncci_kx_assistant_and_telehealth_modifiers(con: duckdb.DuckDBPyConnection) -> None:
    mods = "[modifier_1, modifier_2, modifier_3, modifier_4]"

    def count(where: str) -> int:
        return int(one(con, f"SELECT count(*) FROM t WHERE {where}"))

    assert count(f"list_contains({mods}, '59') OR list_contains({mods}, 'XU')") > 1000
    assert (
        count(
            f"(list_contains({mods}, '59') OR list_contains({mods}, 'XU')) "
            "AND hcpcs_code NOT IN ('97140', '97530')"
        )
        == 0
    )
    assert count(f"list_contains({mods}, 'KX')") > 50
    assert count(f"list_contains({mods}, 'KX') AND payer_type <> 'medicare'") == 0
    assert count(f"list_contains({mods}, 'CQ') OR list_contains({mods}, 'CO')") > 1000
    assert (
        count(
            f"(list_contains({mods}, 'CQ') OR list_contains({mods}, 'CO')) "
            "AND payer_type NOT IN ('medicare', 'medicare_advantage')"
        )
        == 0
    )
    assert count("place_of_service IN ('02', '10')") > 200
    assert count(f"place_of_service IN ('02', '10') AND NOT list_contains({mods}, '95')") == 0
    assert count("place_of_service = '10' AND service_from < DATE '2022-01-01'") == 0
    assert (
        count("hcpcs_code = 'G0283' AND payer_type NOT IN ('medicare', 'medicare_advantage')") == 0
    )
    assert count("hcpcs_code = '97014' AND payer_type = 'medicare'") == 0


def test_amounts_and_denials(con: duckdb.DuckDBPyConnection) -> None:
    bad = one(
        con,
        "SELECT count(*) FROM t WHERE NOT (charge_amount > allowed_amount "
        "AND allowed_amount >= paid_amount AND paid_amount >= 0)",
    )
    assert bad == 0
    assert one(con, "SELECT count(*) FROM t WHERE line_status = 'denied' AND paid_amount <> 0") == 0
    assert one(con, "SELECT count(*) FROM t WHERE line_status = 'paid' AND paid_amount <= 0") == 0
    denied = one(con, "SELECT avg((line_status = 'denied')::INT) FROM t")
    assert 0.05 <= denied <= 0.10
    # Medicare allowed = 2023 non-facility RVUs x 33.8872 (97110: 0.88 RVU) unless CQ-reduced.
    fee = one(
        con,
        "SELECT min(allowed_amount / units) FROM t WHERE hcpcs_code = '97110' "
        "AND payer_type = 'medicare' AND year(service_from) = 2023 AND line_status = 'paid' "
        "AND modifier_2 IS NULL AND modifier_1 = 'GP'",
    )
    assert fee == pytest.approx(0.88 * 33.8872, abs=0.01)


def test_claim_structure(con: duckdb.DuckDBPyConnection) -> None:
    per_claim = con.execute(
        """SELECT claim_id, count(*) AS n, max(line_number) AS hi, min(line_number) AS lo,
                  count(DISTINCT service_from) AS n_days, any_value(claim_type) AS kind,
                  count(DISTINCT patient_id) AS pats, count(DISTINCT billing_npi) AS bills
           FROM t GROUP BY 1"""
    ).fetchall()
    assert all(r[1] == r[2] and r[3] == 1 for r in per_claim)  # lines numbered 1..n
    assert all(r[4] == 1 for r in per_claim if r[5] == "professional")  # one date of service
    assert all(r[6] == 1 and r[7] == 1 for r in per_claim)
    assert any(r[4] > 1 for r in per_claim if r[5] == "institutional")  # monthly facility bills
    # Lines of a claim are contiguous, as the X12/FHIR writers expect.
    runs = one(
        con,
        "SELECT count(*) FROM (SELECT claim_id, lag(claim_id) OVER () prev FROM t) "
        "WHERE prev IS DISTINCT FROM claim_id",
    )
    assert runs == len(per_claim)
    lines_per_claim = LINES / len(per_claim)
    assert 1.8 < lines_per_claim < 3.5
    institutional_pos = one(
        con,
        "SELECT count(*) FROM t WHERE (claim_type = 'institutional') "
        "<> (place_of_service IN ('22', '31', '32'))",
    )
    assert institutional_pos == 0


def test_episodes_of_care(con: duckdb.DuckDBPyConnection) -> None:
    visits = con.execute(
        """SELECT patient_id, count(DISTINCT service_from) FROM t
           WHERE specialty = 'physical_therapy' GROUP BY 1"""
    ).fetchall()
    mean = np.mean([v[1] for v in visits])
    assert 5 < mean < 15  # several visits over weeks, not one-off claims
    evals = one(
        con,
        "SELECT count(*) FROM t WHERE specialty = 'physical_therapy' "
        "AND hcpcs_code IN ('97161', '97162', '97163')",
    )
    assert 0.8 < evals / len(visits) < 2.0  # about one evaluation per patient (some return)


def test_providers_are_skewed_and_states_spread(con: duckdb.DuckDBPyConnection) -> None:
    volumes = sorted(
        (r[1] for r in con.execute("SELECT billing_npi, count(*) FROM t GROUP BY 1").fetchall()),
        reverse=True,
    )
    top_decile = sum(volumes[: max(1, len(volumes) // 10)]) / sum(volumes)
    assert top_decile > 0.3
    assert one(con, "SELECT count(DISTINCT state) FROM t") >= 25
    payers = dict(con.execute("SELECT payer_type, count(*) FROM t GROUP BY 1").fetchall())
    assert set(payers) == {"medicare", "medicare_advantage", "medicaid", "commercial", "other"}
    assert max(payers, key=lambda p: payers[p]) == "commercial"


def test_every_month_is_present(con: duckdb.DuckDBPyConnection) -> None:
    months = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT strftime(service_from, '%Y-%m') FROM t ORDER BY 1"
        ).fetchall()
    ]
    assert months == [f"{y}-{m:02d}" for y in (2021, 2022, 2023) for m in range(1, 13)]
    first = one(con, "SELECT min(service_from) FROM t")
    last = one(con, "SELECT max(service_from) FROM t")
    assert first >= date(2021, 1, 1) and last <= date(2023, 12, 31)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = pa.concat_tables(generate_claims(30_000, 9))
    b = pa.concat_tables(generate_claims(30_000, 9))
    c = pa.concat_tables(generate_claims(30_000, 10))
    assert a.equals(b)
    assert not a.equals(c)
    assert a["hcpcs_code"].to_pylist() != c["hcpcs_code"].to_pylist()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        next(generate_claims(0))
    with pytest.raises(ValueError, match="after"):
        next(generate_claims(10, start=date(2023, 1, 1), end=date(2022, 1, 1)))
    with pytest.raises(ValueError, match="no business day"):  # a weekend
        next(generate_claims(10, start=date(2023, 12, 30), end=date(2023, 12, 31)))


def test_a_single_business_day_still_gives_the_requested_lines() -> None:
    (table,) = generate_claims(2_000, 1, start=date(2023, 12, 29), end=date(2023, 12, 29))
    assert table.num_rows == 2_000
    assert set(table["service_from"].to_pylist()) == {date(2023, 12, 29)}


def test_every_specialty_is_a_terminology_slug() -> None:
    from claimscope.synth import generate_claims
    from claimscope.terminology.specialty import specialties

    known = set(specialties())
    used = set()
    for table in generate_claims(20_000, seed=3):
        used |= set(table["specialty"].to_pylist())
    assert used - {None} <= known, sorted(used - known)
