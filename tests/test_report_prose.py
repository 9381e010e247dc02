"""The report's paragraphs for every shape of data, checked against hand-computed figures.

Each store is small enough to compute by hand: 97110 on 40 patients, 97140 on 30 and 97530
on 20 (one service each) give 40/90 = 44.4%, 33.3% and 22.2%. Every number a paragraph
states must also be in one of the report's tables.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.insight.report import Report, run_report
from claimscope.insight.report_data import ReportRequest
from claimscope.insight.run import resolve_cohorts
from tests.canonical import lines_for, write_store

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def three_codes(month: str = "2023-01", *, first: int = 1) -> list[dict[str, Any]]:
    return (
        lines_for("97110", 40, first_patient=first, month=month)
        + lines_for("97140", 30, first_patient=first + 100, month=month)
        + lines_for("97530", 20, first_patient=first + 200, month=month)
    )


def build(
    tmp_path: Path,
    records: list[dict[str, Any]],
    *,
    cohorts: tuple[str, ...] = (),
    period: tuple[str, str] = ("2023-01", "2023-01"),
    ci: bool = False,
    state: str | None = None,
) -> Report:
    store = write_store(tmp_path / "store", records)
    filters = build_filters(
        "pmr", period_from=period[0], period_to=period[1], state=[state] if state else None
    )
    request = ReportRequest(
        TopQuery(filters, limit=15),
        tuple(resolve_cohorts(list(cohorts), store, store)),
        ci=ci,
        replicates=200,
    )
    return run_report(store, request)


def numbers(text: str) -> set[str]:
    return {m.group().replace(",", "") for m in NUMBER.finditer(text)}


def assert_numbers_in_tables(report: Report) -> None:
    cells = " ".join(
        " ".join([*t.headers, *(c for r in t.rows for c in r)]) for t in report.tables()
    )
    missing = numbers(" ".join(report.prose())) - numbers(cells)
    assert not missing, f"prose figures not in any table: {sorted(missing)}"


def test_clear_leader_its_share_the_runner_up_and_the_gap(tmp_path: Path) -> None:
    report = build(tmp_path, three_codes())
    prose = report.prose()
    assert prose[:2] == [
        "Therapeutic exercise (97110) is the most common physical medicine and rehabilitation "
        "code, accounting for 44.4% of services (40 of 90).",
        "Next comes manual therapy (97140) at 33.3%, 11.1 points behind.",
    ]
    assert report.title == ("Physical medicine and rehabilitation: the top 3 codes, January 2023")
    assert_numbers_in_tables(report)


def test_a_tie_at_the_top_names_both_codes_and_no_single_leader(tmp_path: Path) -> None:
    records = (
        lines_for("97110", 30)
        + lines_for("97140", 30, first_patient=100)
        + lines_for("97530", 20, first_patient=200)
    )
    prose = build(tmp_path, records).prose()
    assert prose[0] == (
        "Therapeutic exercise (97110) and manual therapy (97140) are tied for first place, "
        "each with 37.5% of services."
    )
    assert prose[1] == "Next comes therapeutic activities (97530) at 25.0%, 12.5 points behind."
    assert not any("most common" in s for s in prose)


def test_a_statistical_tie_says_first_place_is_not_settled(tmp_path: Path) -> None:
    # 40 providers bill both codes in rotating amounts: 121 vs 120 services, a lead that a
    # resample of providers reverses often.
    records = []
    for i in range(40):
        npi = f"{1000000000 + i}"
        records += lines_for("97110", 1, first_patient=i, units=i % 5 + 1 + (i == 0),
                             rendering_npi=npi)  # fmt: skip
        records += lines_for("97140", 1, first_patient=100 + i, units=(i + 2) % 5 + 1,
                             rendering_npi=npi)  # fmt: skip
    report = build(tmp_path, records, ci=True)
    prose = report.prose()
    assert prose[0].startswith("Therapeutic exercise (97110) is the most common")
    assert "50.2% of services (121 of 241)" in prose[0]
    assert (
        "Therapeutic exercise (97110) and manual therapy (97140) are statistically tied: the 95% "
        "bootstrap interval of the difference between their shares includes zero, so first "
        "place is not settled."
    ) in prose
    assert_numbers_in_tables(report)


def test_a_code_that_changed_rank_and_the_biggest_movers(tmp_path: Path) -> None:
    earlier = (
        lines_for("97140", 40, first_patient=500, month="2022-12")
        + lines_for("97110", 30, first_patient=600, month="2022-12")
        + lines_for("97530", 20, first_patient=700, month="2022-12")
    )
    report = build(tmp_path, three_codes() + earlier)
    prose = report.prose()
    assert (
        "Against the previous month (2022-12), therapeutic exercise (97110) gained the most "
        "share, from 33.3% to 44.4% (+11.1 points); manual therapy (97140) lost the most, "
        "from 44.4% to 33.3% (-11.1 points)."
    ) in prose
    assert "Therapeutic exercise (97110) moved up from second to first." in prose
    assert "Manual therapy (97140) moved down from first to second." in prose
    assert (
        "The store holds no figures for the same months a year earlier, so no change against "
        "them is reported."
    ) in prose
    assert_numbers_in_tables(report)


def test_one_period_only_says_there_is_nothing_to_compare(tmp_path: Path) -> None:
    prose = build(tmp_path, three_codes()).prose()
    assert (
        "The store holds no figures for the previous month and the same months a year "
        "earlier, so no change against them is reported."
    ) in prose
    assert "The data cover a single period, so there is no trend within it." in prose
    assert not any(s.startswith("Against") for s in prose)


def test_movement_within_the_period(tmp_path: Path) -> None:
    later = (
        lines_for("97110", 20, first_patient=1000, month="2023-02")
        + lines_for("97140", 30, first_patient=1100, month="2023-02")
        + lines_for("97530", 50, first_patient=1200, month="2023-02")
    )
    report = build(tmp_path, three_codes() + later, period=("2023-01", "2023-02"))
    prose = report.prose()
    # 97530: 20/90 = 22.2% in January, 50/100 = 50.0% in February.
    assert (
        "Therapeutic activities (97530) rose from 22.2% in 2023-01 to 50.0% in 2023-02 "
        "(+27.8 points)."
    ) in prose
    assert "The largest gain: therapeutic activities (97530), +27.8 points." in prose
    assert_numbers_in_tables(report)


def test_an_empty_selection(tmp_path: Path) -> None:
    report = build(tmp_path, three_codes(), state="TX")
    assert report.prose() == ["No claim lines match this selection, so there is nothing to rank."]
    assert not [s for s in report.sections if s.explore]


def test_a_fully_suppressed_selection(tmp_path: Path) -> None:
    records = lines_for("97110", 5) + lines_for("97140", 4, first_patient=100)
    report = build(tmp_path, records)
    assert report.prose() == [
        "Every figure of this selection is suppressed under the cell-size rule, so nothing can "
        "be ranked."
    ]
    assert not report.charts()


def test_a_single_cohort_is_the_headline_without_a_comparison(tmp_path: Path) -> None:
    report = build(tmp_path, three_codes(), cohorts=("pt",))
    assert report.prose()[0].startswith(
        "Therapeutic exercise (97110) is the most common physical medicine and rehabilitation "
        "code for PT, accounting for 44.4%"
    )
    assert "compare" not in [s.id for s in report.sections]
    assert "for PT" in report.title


def test_empty_and_suppressed_cohorts_are_said_once_and_left_out_of_the_overlap(
    tmp_path: Path,
) -> None:
    medicaid = lines_for("97110", 5, first_patient=900, payer_type="medicaid")
    report = build(
        tmp_path, three_codes() + medicaid, cohorts=("rehab", "slp", "name=mcd;payer_type=medicaid")
    )
    prose = report.prose()
    assert "No claim lines match the SLP cohort, so it has no list." in prose
    assert "Every figure of the mcd list is suppressed under the cell-size rule." in prose
    assert not any("not ranked" in s or "share 0 of" in s for s in prose)
    # rehab has no restriction of its own: the headline is not "for rehab".
    assert "for rehab" not in prose[0]
    assert_numbers_in_tables(report)


@pytest.mark.parametrize("cohorts", [(), ("rehab", "pt", "ot")])
def test_every_ranked_row_links_to_its_explore_section(
    tmp_path: Path, cohorts: tuple[str, ...]
) -> None:
    records = three_codes() + lines_for("97530", 15, first_patient=300, modifier_1="GO")
    report = build(tmp_path, records, cohorts=cohorts)
    ranking = report.tables()[0]
    anchors = {s.id for s in report.sections if s.explore}
    assert [ranking.rows[i][1] for i in ranking.links] == ["97110", "97530", "97140"]
    assert set(ranking.links.values()) == anchors
    assert ranking.query["analysis"] == "top" and ranking.query["limit"] == 15
    assert_numbers_in_tables(report)
