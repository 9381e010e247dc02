"""Sentences about a trend are computed from its shown figures, and only from them."""

from __future__ import annotations

from claimscope.analysis.result import Coverage
from claimscope.analysis.trend import TrendResult, TrendSeries
from claimscope.insight.trend_sentences import trend_sentences


def series(code: str, name: str, shares: list[float | None], change: float | None,
           slope: float | None = None) -> TrendSeries:  # fmt: skip
    hidden = [s is None for s in shares]
    return TrendSeries(code, name, [1.0] * len(shares), shares, hidden, change, slope)


def result(*rows: TrendSeries) -> TrendResult:
    return TrendResult(
        query={"grain": "year"},
        measure="services",
        periods=["2021", "2022", "2023"],
        totals=[100.0, 100.0, 100.0],
        series=list(rows),
        coverage=Coverage([], [], set()),
    )


def test_movement_leader_and_movers() -> None:
    trend = result(
        series("97110", "Therapeutic exercise, each 15 min", [0.29, 0.29, 0.286], -0.4, -0.2),
        series(
            "97530", "Therapeutic activities (dynamic), each 15 min", [0.18, 0.19, 0.199], 1.9, 0.95
        ),
        series("97140", "Manual therapy, each 15 min", [0.179, 0.17, 0.162], -1.7, -0.85),
        series("other", "All other codes in the set", [0.351, 0.35, 0.353], 0.2),
    )
    assert trend_sentences(trend) == [
        "Therapeutic exercise (97110) had the largest share in every year.",
        "Therapeutic exercise (97110) held steady at about 28.6% (29.0% in 2021, 28.6% in 2023).",
        "Therapeutic activities (97530) rose from 18.0% in 2021 to 19.9% in 2023 "
        "(+1.9 points; fitted trend +0.9 points a year).",
        "Manual therapy (97140) fell from 17.9% in 2021 to 16.2% in 2023 "
        "(-1.7 points; fitted trend -0.8 points a year).",
        "The largest gain: therapeutic activities (97530), +1.9 points.",
        "The largest decline: manual therapy (97140), -1.7 points.",
    ]


def test_hidden_periods_are_never_described() -> None:
    trend = result(
        series("97110", "Therapeutic exercise", [0.5, None, 0.5], 0.0),
        series("97750", "Physical performance test", [None, 0.01, None], None),
    )
    sentences = trend_sentences(trend)
    # No leader claim (a hidden cell could lead) and nothing about the hidden code.
    assert sentences == [
        "Therapeutic exercise (97110) held steady at about 50.0% (50.0% in 2021, 50.0% in 2023)."
    ]
