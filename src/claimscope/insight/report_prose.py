"""The paragraphs of a report, written from its figures.

Each sentence is chosen by the shape of the data (one leader or a tie at the top, a
statistical tie, an empty or fully suppressed selection, codes that changed rank, one period
only), never by a template that assumes an order. Every figure a sentence states is formatted
by :mod:`claimscope.insight.report_figures`, the module the report's tables use, so each one
can be found in a table of the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from claimscope.analysis.compare import CohortRanking
from claimscope.analysis.result import CodeRow, TopResult
from claimscope.insight.report_data import EarlierWindow, ReportData
from claimscope.insight.report_figures import (
    MONEY,
    RankedFigures,
    count_words,
    exact_share,
    family_name,
    points_text,
    ranked_figures,
    share_text,
    unit_of,
    value_text,
)
from claimscope.insight.sentences import (
    DEPTH,
    capitalise,
    code_phrase,
    join,
    ordinal,
    ranked_tie_runs,
)
from claimscope.insight.sentences import comparison_sentences as sentences_for
from claimscope.insight.trend_sentences import trend_sentences

TREND_CODES = 3  # codes whose month-by-month movement the change paragraph describes


def headline_sentences(data: ReportData) -> list[str]:
    """Who leads, by how much, how concentrated the list is, and what is hidden."""
    result = data.headline
    who = f" for {data.headline_label}" if data.headline_label else ""
    if result.coverage.empty:
        return [f"No claim lines match this selection{who}, so there is nothing to rank."]
    figures = ranked_figures(result)
    if not figures:
        return [
            f"Every figure of this selection{who} is suppressed under the cell-size rule, "
            "so nothing can be ranked."
        ]
    out = [_leader_sentence(result, figures, data)]
    out.extend(_runner_up_sentence(figures))
    out.extend(_concentration_sentence(result, figures))
    out.extend(_headline_ties(data))
    hidden = sum(1 for r in result.rows if r.suppressed)
    if hidden:
        codes = "code is" if hidden == 1 else "codes are"
        out.append(
            f"{capitalise(count_words(hidden))} further {codes} suppressed under the cell-size "
            "rule and not ranked."
        )
    return out


def _leader_sentence(result: TopResult, figures: list[RankedFigures], data: ReportData) -> str:
    unit = unit_of(result.measure)
    family = family_name(str(result.query.get("codes"))).lower()
    who = f" for {data.headline_label}" if data.headline_label else ""
    leaders = [f for f in figures if f.row.rank == 1]
    if len(leaders) > 1:
        names = [code_phrase(f.row.code, f.row.name) for f in leaders]
        return (
            f"{capitalise(join(names))} are tied for first place{who}, each with "
            f"{share_text(leaders[0].share)} of {unit}."
        )
    top = leaders[0]
    subject = capitalise(code_phrase(top.row.code, top.row.name))
    amount = (
        f"({value_text(top.row.value, result.measure)} of "
        f"{value_text(result.total, result.measure)})"
    )
    if result.measure in MONEY:
        return (
            f"{subject} takes the largest share of {unit}{who}: {share_text(top.share)} {amount}."
        )
    return (
        f"{subject} is the most common {family} code{who}, accounting for "
        f"{share_text(top.share)} of {unit} {amount}."
    )


def _runner_up_sentence(figures: list[RankedFigures]) -> list[str]:
    leader = figures[0]
    following = [f for f in figures if f.row.rank == _next_rank(figures, leader.row.rank)]
    if not following or leader.points_ahead is None:
        return []
    names = join([code_phrase(f.row.code, f.row.name) for f in following])
    gap = points_text(leader.points_ahead, sign=False)
    if len(following) > 1:
        return [
            f"Next come {names}, tied at {share_text(following[0].share)}, {gap} points behind."
        ]
    return [f"Next comes {names} at {share_text(following[0].share)}, {gap} points behind."]


def _next_rank(figures: list[RankedFigures], rank: int | None) -> int | None:
    return next((f.row.rank for f in figures if f.row.rank != rank), None)


def _concentration_sentence(result: TopResult, figures: list[RankedFigures]) -> list[str]:
    """How much of the family the first three and the whole list account for."""
    if len(figures) < 4 or figures[3].row.rank == figures[2].row.rank:
        return []  # a tie across third place has no "top three"
    unit = unit_of(result.measure)
    text = f"The top three codes account for {share_text(figures[2].cumulative)} of {unit}"
    if len(figures) > 3:
        text += f", and the whole list for {share_text(figures[-1].cumulative)}"
    return [text + "."]


def _headline_ties(data: ReportData) -> list[str]:
    """The headline's statistical ties (from the bootstrap, when intervals were asked for)."""
    rows = [r for r in data.headline.rows if r.rank is not None]
    by_code = {r.code: r for r in rows}
    out = []
    for run in ranked_tie_runs(rows, data.uncertainty, DEPTH):
        names = join([code_phrase(c, by_code[c].name) for c in run])
        place = "first place" if by_code[run[0]].rank == 1 else "their order"
        out.append(
            f"{capitalise(names)} are statistically tied: the 95% bootstrap interval of the "
            f"difference between their shares includes zero, so {place} is not settled."
        )
    return out


def comparison_sentences(data: ReportData) -> list[str]:
    """How the cohorts' lists differ (ranks, leaders' shares, ties, overlap)."""
    result = data.comparison
    if result is None:
        return []
    # A cohort with nothing shown (no lines, all suppressed, withheld) is said so once, and
    # left out of the rank and overlap sentences, where "not ranked" and "share 0 codes"
    # would read as findings.
    shown = [c for c in result.cohorts if c.ranked]
    names = {c.cohort.name for c in shown}
    out = []
    if len(shown) >= 2:
        overlaps = [o for o in result.overlaps if o.a in names and o.b in names]
        out = sentences_for(dataclasses.replace(result, cohorts=shown, overlaps=overlaps))
    out.extend(_empty_cohort_sentence(c) for c in result.cohorts if not c.ranked)
    return out


def _empty_cohort_sentence(ranking: CohortRanking) -> str:
    label = ranking.cohort.label
    if ranking.full.coverage.empty:
        return f"No claim lines match the {label} cohort, so it has no list."
    if any(note.startswith("withheld") for note in ranking.full.notes):
        return (
            f"The {label} list is withheld: taken with a larger list it would reveal a count "
            "below the cell-size threshold."
        )
    return f"Every figure of the {label} list is suppressed under the cell-size rule."


@dataclass(frozen=True)
class Move:
    """One headline code now and in an earlier window."""

    row: CodeRow
    share: float
    rank_then: int | None
    share_then: float | None

    @property
    def points(self) -> float | None:
        return None if self.share_then is None else (self.share - self.share_then) * 100


def moves(data: ReportData, window: EarlierWindow) -> list[Move]:
    """Each ranked headline code with its rank and share in ``window`` (None when hidden)."""
    if window.result is None:
        return []
    total = window.result.total
    then = {r.code: r for r in window.result.rows if r.rank is not None}
    out = []
    for figures in ranked_figures(data.headline):
        earlier = then.get(figures.row.code)
        share_then = exact_share(earlier, total) if earlier else None
        out.append(Move(figures.row, figures.share, earlier.rank if earlier else None, share_then))
    return out


def change_sentences(data: ReportData) -> list[str]:
    """Movers against the previous period and a year earlier, then movement within the period."""
    if not ranked_figures(data.headline):
        return []  # nothing ranked, nothing moved
    out: list[str] = []
    missing = [w for w in data.earlier if not w.has_data]
    for window in data.earlier:
        if window.has_data:
            out.extend(_window_sentences(data, window))
    if missing:
        out.append(
            f"The store holds no figures for {join([w.label for w in missing], serial=True)}, "
            "so no change against them is reported."
        )
    if data.trend is not None and len(data.trend.periods) >= 2:
        out.extend(trend_sentences(data.trend, describe=TREND_CODES))
    elif data.trend is not None and data.trend.periods:
        out.append("The data cover a single period, so there is no trend within it.")
    return out


def _window_sentences(data: ReportData, window: EarlierWindow) -> list[str]:
    items = moves(data, window)
    known = [m for m in items if m.points is not None]
    where = f"Against {window.label} ({window.span})"
    out = []
    gain = max(known, key=lambda m: m.points or 0.0, default=None)
    loss = min(known, key=lambda m: m.points or 0.0, default=None)
    parts = []
    if gain is not None and (gain.points or 0) >= 0.05:
        parts.append(f"{_phrase(gain)} gained the most share, {_from_to(gain)}")
    if loss is not None and (loss.points or 0) <= -0.05:
        parts.append(f"{_phrase(loss)} lost the most, {_from_to(loss)}")
    if parts:
        out.append(f"{where}, {'; '.join(parts)}.")
    else:
        out.append(f"{where}, no ranked code's share moved by a tenth of a point or more.")
    out.extend(_rank_changes(items, window))
    return out


def _phrase(move: Move) -> str:
    return code_phrase(move.row.code, move.row.name)


def _from_to(move: Move) -> str:
    return (
        f"from {share_text(move.share_then)} to {share_text(move.share)} "
        f"({points_text(move.points)} points)"
    )


def _rank_changes(items: Sequence[Move], window: EarlierWindow) -> list[str]:
    """Codes whose rank differs from the earlier window's, biggest moves first (at most three)."""
    changed = [m for m in items if m.rank_then != m.row.rank]
    changed.sort(key=lambda m: (-abs((m.rank_then or 999) - (m.row.rank or 0)), m.row.rank or 0))
    out = []
    for move in changed[:3]:
        subject = capitalise(_phrase(move))
        now = ordinal(move.row.rank or 0)
        if move.rank_then is None:
            out.append(f"{subject} ranks {now} and was not ranked in {window.label}.")
            continue
        direction = "up" if move.rank_then > (move.row.rank or 0) else "down"
        out.append(f"{subject} moved {direction} from {ordinal(move.rank_then)} to {now}.")
    return out
