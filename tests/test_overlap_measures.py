"""Overlap statistics against values computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimscope.analysis.overlap import jaccard, kendall_tau_b, rank_biased_overlap


def test_jaccard_by_hand() -> None:
    # {a,b,c,d} and {b,a,c,e}: 3 shared of 5 distinct codes -> 0.6
    assert jaccard(["a", "b", "c", "d"], ["b", "a", "c", "e"]) == pytest.approx(0.6)
    assert jaccard(["a"], ["b"]) == 0.0
    assert jaccard([], []) is None


def test_rbo_equal_lengths_by_hand() -> None:
    # A = a b c d, B = b a c e, p = 0.9
    # X_1 = 0 ({a} vs {b}), X_2 = 2, X_3 = 3, X_4 = 3
    # sum X_d/d p^d = 0 + 1*0.81 + 1*0.729 + 0.75*0.6561 = 2.031075
    # (1-p)/p * 2.031075 = 0.225675; plus X_4/4 * p^4 = 0.75 * 0.6561 = 0.492075
    # RBO_ext = 0.71775
    got = rank_biased_overlap(["a", "b", "c", "d"], ["b", "a", "c", "e"])
    assert got == pytest.approx(0.71775, abs=1e-12)


def test_rbo_uneven_lengths_by_hand() -> None:
    # S = a b (s = 2), L = b c a (l = 3), p = 0.9
    # X_1 = 0, X_2 = |{a,b} & {b,c}| = 1, X_3 = |{a,b} & {b,c,a}| = 2
    # first sum: 0 + 1/2*0.81 + 2/3*0.729 = 0.405 + 0.486 = 0.891
    # second sum (d = 3): X_s*(d-s)/(s*d) p^d = 1*1/6*0.729 = 0.1215
    # (1-p)/p * (0.891 + 0.1215) = 0.1125
    # ((X_l - X_s)/l + X_s/s) p^l = (1/3 + 1/2) * 0.729 = 0.6075
    # RBO_ext = 0.72, whichever list is given first
    assert rank_biased_overlap(["a", "b"], ["b", "c", "a"]) == pytest.approx(0.72, abs=1e-12)
    assert rank_biased_overlap(["b", "c", "a"], ["a", "b"]) == pytest.approx(0.72, abs=1e-12)


def test_rbo_other_persistence_by_hand() -> None:
    # A = a b, B = b a, p = 0.5: X_1 = 0, X_2 = 2
    # (1-p)/p * (0 + 2/2 * 0.25) + X_2/2 * 0.25 = 1 * 0.25 + 0.25 = 0.5
    assert rank_biased_overlap(["a", "b"], ["b", "a"], p=0.5) == pytest.approx(0.5)


def test_rbo_edges() -> None:
    assert rank_biased_overlap(["a", "b", "c"], ["a", "b", "c"]) == pytest.approx(1.0)
    assert rank_biased_overlap(["a", "b"], ["c", "d"]) == 0.0
    assert rank_biased_overlap([], ["a"]) == 0.0
    assert rank_biased_overlap([], []) is None
    with pytest.raises(ValueError, match="repeated"):
        rank_biased_overlap(["a", "a"], ["a"])
    with pytest.raises(ValueError, match="0 < p < 1"):
        rank_biased_overlap(["a"], ["a"], p=1.0)


def test_kendall_tau_b_by_hand() -> None:
    # shared a b c d; A ranks 1 2 3 4, B ranks 2 1 3 3 (c and d tied in B)
    # pairs: (a,b) discordant; (a,c) (a,d) (b,c) (b,d) concordant; (c,d) tied in B only
    # n0 = 6, ties_a = 0, ties_b = 1: tau_b = (4 - 1) / sqrt(6 * 5) = 0.5477225575
    a = {"a": 1, "b": 2, "c": 3, "d": 4, "only_a": 5}
    b = {"a": 2, "b": 1, "c": 3, "d": 3, "only_b": 5}
    assert kendall_tau_b(a, b) == pytest.approx(3 / 30**0.5)
    assert kendall_tau_b(a, b) == pytest.approx(0.5477225575)


def test_kendall_tau_b_edges() -> None:
    assert kendall_tau_b({"a": 1, "b": 2}, {"a": 2, "b": 1}) == -1.0
    assert kendall_tau_b({"a": 1}, {"a": 1}) is None  # one shared code: no pair
    assert kendall_tau_b({"a": 1, "b": 1}, {"a": 1, "b": 2}) is None  # all tied on one side


codes = st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10)


@given(codes, codes)
def test_rbo_is_a_symmetric_similarity(a: list[str], b: list[str]) -> None:
    value = rank_biased_overlap(a, b)
    if not a and not b:
        assert value is None
        return
    assert value is not None and -1e-12 <= value <= 1 + 1e-12
    assert value == pytest.approx(rank_biased_overlap(b, a))
    assert rank_biased_overlap(a, a) == pytest.approx(1.0 if a else None)  # type: ignore[arg-type]


@given(codes)
def test_tau_b_of_a_list_with_itself_and_reversed(a: list[str]) -> None:
    ranks = {c: i for i, c in enumerate(a)}
    reverse = {c: -i for i, c in enumerate(a)}
    if len(a) < 2:
        assert kendall_tau_b(ranks, ranks) is None
    else:
        assert kendall_tau_b(ranks, ranks) == pytest.approx(1.0)
        assert kendall_tau_b(ranks, reverse) == pytest.approx(-1.0)
