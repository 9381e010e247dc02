"""Plain sentences about how shares moved, generated from a trend's shown figures only.

"Therapeutic activities (97530) rose from 18.0% in 2021 to 19.9% in 2023 (+1.9 points)."
Suppressed periods are skipped: a sentence never states or implies a hidden figure.
"""

from __future__ import annotations

from typing import Final

from claimscope.analysis.trend import OTHER, TrendResult, TrendSeries
from claimscope.insight.sentences import capitalise, code_phrase

STEADY_PP: Final = 0.5  # a change smaller than this, in percentage points, is "held steady"


def trend_sentences(result: TrendResult, *, describe: int | None = None) -> list[str]:
    """Leader, per-code movement and biggest movers, in that order.

    ``describe`` limits the per-code movement sentences to the first codes (a report follows
    fifteen codes but tells the movement of its leaders only).
    """
    codes = [s for s in result.series if s.code != OTHER]
    out: list[str] = []
    leader = _steady_leader(result, codes)
    if leader:
        out.append(leader)
    described = codes if describe is None else codes[:describe]
    out.extend(s for s in (_movement(result, series) for series in described) if s)
    out.extend(_movers(codes))
    return out


def _shown(result: TrendResult, series: TrendSeries) -> list[tuple[str, float]]:
    return [(p, s) for p, s in zip(result.periods, series.shares, strict=True) if s is not None]


def _movement(result: TrendResult, series: TrendSeries) -> str | None:
    shown = _shown(result, series)
    if len(shown) < 2 or series.change_pp is None:
        return None
    (first_period, first), (last_period, last) = shown[0], shown[-1]
    subject = capitalise(code_phrase(series.code, series.name))
    if abs(series.change_pp) < STEADY_PP:
        return (
            f"{subject} held steady at about {last * 100:.1f}% "
            f"({first * 100:.1f}% in {first_period}, {last * 100:.1f}% in {last_period})."
        )
    verb = "rose" if series.change_pp > 0 else "fell"
    text = (
        f"{subject} {verb} from {first * 100:.1f}% in {first_period} to {last * 100:.1f}% "
        f"in {last_period} ({series.change_pp:+.1f} points"
    )
    if series.slope_pp_per_year is not None and len(shown) > 2:
        text += f"; fitted trend {series.slope_pp_per_year:+.1f} points a year"
    return text + ")."


def _steady_leader(result: TrendResult, codes: list[TrendSeries]) -> str | None:
    if not codes or len(result.periods) < 2:
        return None
    leaders = set()
    for j in range(len(result.periods)):
        column = [(s.shares[j], s) for s in codes]
        if any(share is None for share, _ in column):
            return None  # a hidden cell could be the leader: say nothing
        leaders.add(max(column, key=lambda item: item[0] or 0.0)[1].code)
    if len(leaders) != 1:
        return None
    series = next(s for s in codes if s.code in leaders)
    grain = result.query.get("grain", "period")
    subject = capitalise(code_phrase(series.code, series.name))
    return f"{subject} had the largest share in every {grain}."


def _movers(codes: list[TrendSeries]) -> list[str]:
    moved = [s for s in codes if s.change_pp is not None and abs(s.change_pp) >= STEADY_PP]
    if len(moved) < 2:
        return []
    gain = max(moved, key=lambda s: s.change_pp or 0.0)
    loss = min(moved, key=lambda s: s.change_pp or 0.0)
    out = []
    if (gain.change_pp or 0) > 0:
        out.append(
            f"The largest gain: {code_phrase(gain.code, gain.name)}, {gain.change_pp:+.1f} points."
        )
    if (loss.change_pp or 0) < 0:
        phrase = code_phrase(loss.code, loss.name)
        out.append(f"The largest decline: {phrase}, {loss.change_pp:+.1f} points.")
    return out
