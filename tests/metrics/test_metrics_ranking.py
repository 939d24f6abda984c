"""Tests for reclib.metrics.ranking, including agreement with keras-rs."""
import math

import numpy as np
import pytest

import reclib  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from reclib.metrics.ranking import (catalogue_coverage, ndcg_at_k, precision_at_k,
                                    ranking_report, recall_at_k)

D = lambda i: 1 / math.log2(i + 1)  # noqa: E731  discount of (1-based) position i


# ------------------------------------------------------------------ known answers
def test_hand_made_single_user():
    rec = {"u": ["a", "b", "c", "d"]}
    rel = {"u": {"b", "d", "z"}}
    assert precision_at_k(rec, rel, 3) == pytest.approx(1 / 3)
    assert recall_at_k(rec, rel, 3) == pytest.approx(1 / 3)
    assert ndcg_at_k(rec, rel, 3) == pytest.approx(D(2) / (D(1) + D(2) + D(3)))
    assert precision_at_k(rec, rel, 4) == pytest.approx(2 / 4)
    assert recall_at_k(rec, rel, 4) == pytest.approx(2 / 3)
    assert ndcg_at_k(rec, rel, 4) == pytest.approx((D(2) + D(4)) / (D(1) + D(2) + D(3)))


def test_ideal_dcg_uses_min_k_relevant():
    # one relevant item at rank 1: perfect NDCG although K = 5
    assert ndcg_at_k({1: [7, 8, 9, 10, 11]}, {1: {7}}, 5) == pytest.approx(1.0)
    # the same item at rank 2
    assert ndcg_at_k({1: [8, 7, 9]}, {1: {7}}, 5) == pytest.approx(D(2))


def test_mean_over_users_with_relevant_items_only():
    rec = {1: [1, 2], 2: [3, 4], 3: [5, 6]}
    rel = {1: {1}, 2: {9}, 3: set()}  # user 3 has nothing relevant: skipped
    assert precision_at_k(rec, rel, 2) == pytest.approx((1 / 2 + 0) / 2)
    assert recall_at_k(rec, rel, 2) == pytest.approx((1 + 0) / 2)
    assert ndcg_at_k(rec, rel, 2) == pytest.approx(0.5)


def test_only_first_k_count_and_short_lists_penalized():
    rec = {1: [1, 2, 3, 4, 5]}
    assert precision_at_k(rec, {1: {5}}, 4) == 0.0
    assert recall_at_k(rec, {1: {5}}, 5) == 1.0
    # a list shorter than K still divides by K
    assert precision_at_k({1: [1]}, {1: {1}}, 4) == pytest.approx(0.25)


def test_perfect_and_worst():
    rec = {u: list(range(u * 10, u * 10 + 5)) for u in range(4)}
    rel = {u: set(rec[u][:3]) for u in range(4)}
    assert ndcg_at_k(rec, rel, 3) == pytest.approx(1.0)
    assert precision_at_k(rec, rel, 3) == pytest.approx(1.0)
    rel_none = {u: {999} for u in range(4)}
    assert ndcg_at_k(rec, rel_none, 3) == 0.0


def test_coverage_and_report():
    rec = {1: [0, 1, 2], 2: [0, 3, 4]}
    assert catalogue_coverage(rec, 10) == pytest.approx(5 / 10)
    assert catalogue_coverage(rec, 10, k=1) == pytest.approx(1 / 10)
    rep = ranking_report(rec, {1: {2}, 2: {4, 9}}, 3, 10)
    assert rep == pytest.approx({"precision@3": (1 / 3 + 1 / 3) / 2,
                                 "recall@3": (1 + 1 / 2) / 2,
                                 "ndcg@3": (D(3) / D(1) + D(3) / (D(1) + D(2))) / 2,
                                 "coverage@3": 0.5, "n_users": 2})


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("fn", [precision_at_k, recall_at_k, ndcg_at_k])
@pytest.mark.parametrize("rec,rel,k,msg", [
    ({1: [1]}, {1: {1}}, 0, "k must be an integer >= 1, got 0"),
    ({1: [1]}, {1: {1}}, 1.5, "k must be an integer, got 1.5"),
    ({1: [1]}, {1: {1}}, True, "k must be an integer, got True"),
    ({}, {1: {1}}, 1, "empty input"),
    ({1: [1]}, {1: set()}, 1, "no user has a relevant item"),
    ({1: [1]}, {2: {1}}, 1, "no recommendation list"),
    ({1: [1, 1]}, {1: {1}}, 1, "more than once"),
    ({1: "ab"}, {1: {1}}, 1, "ranked list"),
    ([[1]], {1: {1}}, 1, "must be a dict"),
    ({1: [1]}, [{1}], 1, "must be a dict"),
])
def test_bad_input(fn, rec, rel, k, msg):
    with pytest.raises(ValueError, match=msg):
        fn(rec, rel, k)


@pytest.mark.parametrize("n_items,k,msg", [(0, None, "n_items must be an integer >= 1"),
                                           (2.0, None, "n_items must be an integer"),
                                           (2, None, "n_items=2"), (10, 0, "k must be")])
def test_coverage_errors(n_items, k, msg):
    with pytest.raises(ValueError, match=msg):
        catalogue_coverage({1: [0, 1, 2]}, n_items, k=k)


# ------------------------------------------------------------------ keras-rs
def _keras_rs(metric_cls, rec, rel, k, n_items, users):
    """Score matrices for keras-rs: one row per user over the whole catalogue."""
    labels = np.zeros((len(users), n_items), dtype="float32")
    scores = np.zeros((len(users), n_items), dtype="float32")
    for r, u in enumerate(users):
        for i in rel.get(u, ()):
            labels[r, i] = 1
        for rank, i in enumerate(rec[u]):
            scores[r, i] = len(rec[u]) - rank  # > 0, decreasing along the list
    m = metric_cls(k=k, shuffle_ties=False)
    m.update_state(labels, scores)
    return float(m.result())


def _random_case(seed, n_users=30, n_items=40, list_len=12):
    rng = np.random.default_rng(seed)
    rec = {u: list(rng.permutation(n_items)[:list_len]) for u in range(n_users)}
    rel = {u: set(rng.choice(n_items, rng.integers(1, 8), replace=False).tolist())
           for u in range(n_users)}
    return rec, rel


CASES = [
    ({0: [3, 1, 4, 0, 2], 1: [0, 1, 2, 3, 4]}, {0: {1, 2}, 1: {4, 0, 3}}, 3, 5),
    ({0: [5, 4, 3, 2, 1, 0]}, {0: {0, 1, 2, 3, 4, 5}}, 4, 6),  # more relevant than K
    ({0: [2, 0, 1]}, {0: {2}}, 1, 3),
] + [_random_case(s) + (k, 40) for s, k in [(0, 5), (1, 10), (2, 1)]]


@pytest.mark.parametrize("rec,rel,k,n_items", CASES)
def test_agrees_with_keras_rs(rec, rel, k, n_items):
    keras_rs = pytest.importorskip("keras_rs")
    users = [u for u in rec if rel.get(u)]
    ours = [precision_at_k(rec, rel, k), recall_at_k(rec, rel, k), ndcg_at_k(rec, rel, k)]
    theirs = [_keras_rs(c, rec, rel, k, n_items, users) for c in
              (keras_rs.metrics.PrecisionAtK, keras_rs.metrics.RecallAtK, keras_rs.metrics.NDCG)]
    assert ours == pytest.approx(theirs, abs=1e-5)


def test_keras_rs_averages_over_all_rows():
    """Documented difference: keras-rs counts rows without relevant items as 0."""
    keras_rs = pytest.importorskip("keras_rs")
    rec, rel = _random_case(3, n_users=20)
    for u in range(0, 20, 4):
        rel[u] = set()  # 5 of 20 users have nothing relevant
    users = list(rec)
    for ours_fn, cls in [(ndcg_at_k, keras_rs.metrics.NDCG),
                         (recall_at_k, keras_rs.metrics.RecallAtK)]:
        theirs = _keras_rs(cls, rec, rel, 5, 40, users)
        assert ours_fn(rec, rel, 5) * 15 / 20 == pytest.approx(theirs, abs=1e-5)
        assert ours_fn(rec, rel, 5) != pytest.approx(theirs, abs=1e-3)


def test_keras_rs_precision_denominator_differs_for_short_rows():
    """Documented difference: keras-rs divides by min(K, valid items), we by K."""
    keras_rs = pytest.importorskip("keras_rs")
    m = keras_rs.metrics.PrecisionAtK(k=5, shuffle_ties=False)
    m.update_state(np.array([[1.0, 0.0]]), np.array([[0.9, 0.1]]))
    assert float(m.result()) == pytest.approx(1 / 2)
    assert precision_at_k({0: [0, 1]}, {0: {0}}, 5) == pytest.approx(1 / 5)
