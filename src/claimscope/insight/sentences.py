"""Plain sentences generated from the figures of a cohort comparison.

Every sentence is computed from the result it describes, never written by hand, so it cannot
drift from the table: "97110 ranks first in all three lists", "Manual therapy (97140) ranks
third for rehab and second for PT and OT", "97140 and 97112 are statistically tied for PT".
Suppressed rows have no rank and are never mentioned with a figure; a code a cohort does not
rank is said to be "not ranked" there, without saying why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Final

import ibis.expr.types as ir

from claimscope.analysis.bootstrap import Uncertainty
from claimscope.analysis.cohorts import Cohort
from claimscope.analysis.compare import CohortRanking, CompareResult, PairOverlap, compare_cohorts
from claimscope.analysis.query import TopQuery
from claimscope.analysis.result import CodeRow

DEPTH: Final = 5  # ranks a sentence is written about (the top of each list)
UNSTABLE: Final = 0.8  # rank stability below which a leading rank is called fragile
_ORDINALS: Final = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"
)  # fmt: skip
_NUMBERS: Final = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
UNITS: Final = {  # what a measure counts, in a sentence
    "services": "services",
    "lines": "claim lines",
    "claims": "claims",
    "patients": "patients",
    "allowed": "allowed dollars",
    "paid": "paid dollars",
}


def explain_comparison(
    lines: ir.Table,
    cohorts: list[Cohort],
    base: TopQuery,
    *,
    ci: bool = False,
    seed: int = 42,
    replicates: int = 200,
) -> CompareResult:
    """:func:`~claimscope.analysis.compare.compare_cohorts` with its sentences filled in."""
    result = compare_cohorts(lines, cohorts, base, ci=ci, seed=seed, replicates=replicates)
    result.sentences = comparison_sentences(result)
    return result


def comparison_sentences(result: CompareResult) -> list[str]:
    """Sentences about leaders, rank differences, shares, ties and overlap, in that order."""
    rankings = result.cohorts
    depth = min(DEPTH, result.limit or DEPTH)
    out: list[str] = []
    for code in _codes_to_describe(rankings, depth):
        out.append(_rank_sentence(code, rankings))
    out.extend(_share_sentences(result, depth))
    out.extend(_tie_sentences(rankings, depth))
    out.extend(_stability_sentences(rankings, depth))
    out.extend(_overlap_sentence(o, result) for o in result.overlaps)
    return out


def _codes_to_describe(rankings: Sequence[CohortRanking], depth: int) -> list[str]:
    """Codes in the top ``depth`` of any list, by their best rank, then code."""
    best: dict[str, tuple[int, str]] = {}
    for ranking in rankings:
        for row in ranking.ranked:
            if row.rank is not None and row.rank <= depth:
                best[row.code] = min(best.get(row.code, (row.rank, row.code)), (row.rank, row.code))
    return sorted(best, key=lambda c: best[c])


def _rank_sentence(code: str, rankings: Sequence[CohortRanking]) -> str:
    """``<code> ranks first in all three lists`` or ranks grouped by cohort."""
    rows = {r.cohort.label: r.row(code) for r in rankings}
    subject = code_phrase(code, _name(code, rankings))
    ranked = {label: row.rank for label, row in rows.items() if row is not None and row.rank}
    if len(set(ranked.values())) == 1 and len(ranked) == len(rankings):
        rank = next(iter(ranked.values()))
        return f"{capitalise(subject)} ranks {ordinal(rank)} in {_all(len(rankings))}."
    groups: dict[int, list[str]] = {}
    for label, rank in ranked.items():
        groups.setdefault(rank, []).append(label)
    parts = [f"{ordinal(rank)} for {join(labels)}" for rank, labels in sorted(groups.items())]
    missing = [label for label, row in rows.items() if row is None]
    text = f"{capitalise(subject)} ranks {join(parts, serial=True)}"
    if missing:
        text += f"; it is not ranked for {join(missing)}"
    return text + "."


def _share_sentences(result: CompareResult, depth: int) -> list[str]:
    """The leading code's share in each list (with its interval when computed)."""
    unit = UNITS.get(result.measure, result.measure)
    out = []
    leaders = _codes_to_describe(result.cohorts, 1)
    for code in leaders:
        parts: list[str] = []
        for ranking in result.cohorts:
            row = ranking.row(code)
            if row is None or row.share is None:
                continue
            figure = f"{percent(_exact_share(ranking, row))}{_interval(ranking, code)}"
            where = f"in the {ranking.cohort.label} list"
            parts.append(f"{figure} of {unit} {where}" if not parts else f"{figure} {where}")
        if parts:
            subject = capitalise(code_phrase(code, _name(code, result.cohorts)))
            out.append(f"{subject} accounts for {join(parts)}.")
    return out


def _exact_share(ranking: CohortRanking, row: CodeRow) -> float:
    """value / total, unrounded: the table's shares are rounded to 4 decimals already, and
    rounding twice would print 42.2% for 42.25...%."""
    total = ranking.full.total
    if row.value is None or not total:
        return row.share or 0.0
    return row.value / total


def _interval(ranking: CohortRanking, code: str) -> str:
    if ranking.uncertainty is None or code not in ranking.uncertainty.per_code:
        return ""
    low, high = ranking.uncertainty.per_code[code].ci
    return f" (95% CI {percent(low)} to {percent(high)})"


def tie_runs(ranking: CohortRanking, depth: int) -> list[tuple[str, ...]]:
    """Runs of neighbouring top-``depth`` codes, each statistically tied with the next."""
    return ranked_tie_runs(ranking.ranked, ranking.uncertainty, depth)


def ranked_tie_runs(
    ranked: Sequence[CodeRow], uncertainty: Uncertainty | None, depth: int
) -> list[tuple[str, ...]]:
    """:func:`tie_runs` of any ranking's shown rows and its bootstrap."""
    if uncertainty is None:
        return []
    per_code = uncertainty.per_code
    top = [r.code for r in ranked if r.rank is not None and r.rank <= depth]
    runs: list[tuple[str, ...]] = []
    current = top[:1]
    for previous, code in pairwise(top):
        if previous in per_code and code in per_code[previous].tied_with:
            current.append(code)
            continue
        if len(current) > 1:
            runs.append(tuple(current))
        current = [code]
    if len(current) > 1:
        runs.append(tuple(current))
    return runs


def _tie_sentences(rankings: Sequence[CohortRanking], depth: int) -> list[str]:
    """Neighbouring top codes whose order the bootstrap cannot establish, merged over cohorts."""
    where: dict[tuple[str, ...], list[str]] = {}
    for ranking in rankings:
        for run in tie_runs(ranking, depth):
            where.setdefault(run, []).append(ranking.cohort.label)
    out: list[str] = []
    for run, labels in where.items():
        scope = (
            f"in {_all(len(rankings))}" if len(labels) == len(rankings) else f"for {join(labels)}"
        )
        chain = ", each with the next" if len(run) > 2 else ""
        text = f"{join(run)} are statistically tied {scope}{chain}"
        if not out:
            text += (
                ": the 95% bootstrap interval of the difference between their shares includes "
                "zero, so their order may not hold"
            )
        out.append(text + ".")
    return out


def _stability_sentences(rankings: Sequence[CohortRanking], depth: int) -> list[str]:
    """Top ranks that a resample of providers often changes (ties already said are skipped)."""
    out = []
    for ranking in rankings:
        if ranking.uncertainty is None or not ranking.uncertainty.enough_clusters:
            continue
        tied = {code for run in tie_runs(ranking, depth) for code in run}
        for row in ranking.ranked:
            info = ranking.uncertainty.per_code.get(row.code)
            if not row.rank or row.rank > depth or info is None or row.code in tied:
                continue
            if info.rank_stability < UNSTABLE:
                out.append(
                    f"{row.code}'s {ordinal(row.rank)} place for {ranking.cohort.label} holds in "
                    f"{percent(info.rank_stability, 0)} of bootstrap resamples of providers."
                )
    return out


def _overlap_sentence(pair: PairOverlap, result: CompareResult) -> str:
    a, b = result.cohort(pair.a), result.cohort(pair.b)
    n_a, n_b = len(a.ranked), len(b.ranked)
    size = f"top-{n_a}" if n_a == n_b else "top"
    text = (
        f"The {a.cohort.label} and {b.cohort.label} {size} lists share {len(pair.shared)} of "
        f"{len(pair.shared) + len(pair.only_a) + len(pair.only_b)} codes"
    )
    if pair.jaccard_top_n is not None:
        text += f" (Jaccard {pair.jaccard_top_n:.2f})"
    if pair.rank_biased_overlap is not None:
        text += f"; rank-biased overlap {pair.rank_biased_overlap:.2f}"
    if pair.kendall_tau_b is not None:
        text += f"; Kendall tau-b {pair.kendall_tau_b:.2f} on the shared codes"
    return text + "."


def _name(code: str, rankings: Sequence[CohortRanking]) -> str | None:
    rows: list[CodeRow | None] = [r.row(code) for r in rankings]
    return next((row.name for row in rows if row is not None and row.name), None)


def code_phrase(code: str, name: str | None) -> str:
    """``manual therapy (97140)``: the name up to its first comma or parenthesis."""
    if not name:
        return code
    short = re.split(r",| \(", name, maxsplit=1)[0].strip()
    lowered = short if short[:2].isupper() else short[:1].lower() + short[1:]
    return f"{lowered} ({code})"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _all(n: int) -> str:
    if n == 2:
        return "both lists"
    return f"all {_NUMBERS[n] if n < len(_NUMBERS) else n} lists"


def ordinal(n: int) -> str:
    """``1`` -> ``first`` ... ``10`` -> ``tenth``, then ``11th``, ``21st``, ``22nd``."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join(items: Sequence[str], *, serial: bool = False) -> str:
    """``a``, ``a and b``, ``a, b and c``; with ``serial`` and items that contain "and"
    themselves, ``a and b, and c`` so the groups stay readable."""
    if len(items) <= 1:
        return "".join(items)
    if serial and any(" and " in item for item in items):
        return f"{', '.join(items[:-1])}, and {items[-1]}"
    return f"{', '.join(items[:-1])} and {items[-1]}"


def percent(share: float, decimals: int = 1) -> str:
    """``0.2874`` -> ``28.7%``."""
    return f"{share * 100:.{decimals}f}%"
