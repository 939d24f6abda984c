"""Tests for reclib.evaluation.ranking (the top-K harness) and the
top_k_lists helper it is built on."""
import numpy as np
import pandas as pd
import pytest

from reclib.checks import NotFittedError
from reclib.data.splits import leave_last_out
from reclib.evaluation.ranking import evaluate_ranking, relevant_items
from reclib.metrics.ranking import ranking_report
from reclib.models.baselines import Biases, Popularity
from reclib.protocol import top_k_lists


@pytest.fixture(scope="module")
def world(world_400x120):
    return world_400x120


@pytest.fixture(scope="module")
def split(world):
    return leave_last_out(world.ratings, n=1)


@pytest.fixture(scope="module")
def biases(world, split):
    return Biases().fit(split[0], users=world.n_users, items=world.n_items)


def test_top_k_lists_exclude_candidates_and_order():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [4.0, 3.0, 2.0, 1.0]])
    assert top_k_lists(scores, [7, 8], k=2, exclude={7: [1]}) == {7: [3, 2], 8: [0, 1]}
    # shorter than k: only 2 allowed
    assert top_k_lists(scores, [7, 8], k=3, candidates=[2, 3]) == {7: [3, 2], 8: [2, 3]}
    with pytest.raises(ValueError, match="one row per user"):
        top_k_lists(scores, [7], k=2)
    with pytest.raises(ValueError, match="k must"):
        top_k_lists(scores, [7, 8], k=0)
    with pytest.raises(ValueError, match="unknown candidate item"):
        top_k_lists(scores, [7, 8], k=2, candidates=[4])


def test_relevant_items():
    test = pd.DataFrame({"user_id": [0, 0, 2], "item_id": [5, 6, 5], "rating": [5, 2, 4]})
    assert relevant_items(test) == {0: {5, 6}, 2: {5}}
    assert relevant_items(test, min_rating=4) == {0: {5}, 2: {5}}
    with pytest.raises(ValueError, match="missing column"):
        relevant_items(test.drop(columns="rating"), min_rating=4)


def test_evaluate_ranking_is_recommend_all_plus_the_report(world, split, biases):
    train, test = split
    report = evaluate_ranking(biases, test, k=10)
    users = sorted(test["user_id"].unique())
    lists = biases.recommend_all(k=10, users=users)
    relevant = {int(u): set(g) for u, g in test.groupby("user_id")["item_id"]}
    assert report == pytest.approx(ranking_report(lists, relevant, 10, world.n_items))
    assert set(report) == {"precision@10", "recall@10", "ndcg@10", "coverage@10", "n_users"}
    assert report["n_users"] == len(users)


def test_exclusions_and_candidates(world, split, biases):
    train, test = split
    default = evaluate_ranking(biases, test, k=5)
    assert evaluate_ranking(biases, test, k=5, exclude=train) == pytest.approx(default)
    # recommending already-rated items can only crowd the held-out item out
    assert evaluate_ranking(biases, test, k=5, exclude=None)["recall@5"] <= default["recall@5"]
    # among two candidates, every user with a held-out item there finds it
    pair = test["item_id"].value_counts().index[:2].to_numpy()
    inside = test[test["item_id"].isin(pair)]
    report = evaluate_ranking(biases, inside, k=2, candidates=pair, exclude=None)
    assert report["recall@2"] == 1.0 and report["coverage@2"] == pytest.approx(2 / world.n_items)


def test_popularity_is_scored_like_any_model(world, split):
    train, test = split
    pop = Popularity().fit(train, users=world.n_users, items=world.n_items)
    report = evaluate_ranking(pop, test, k=10)
    assert 0 < report["recall@10"] < 1
    # without exclusions everyone gets the same ten items
    same = evaluate_ranking(pop, test, k=10, exclude=None)
    assert same["coverage@10"] == pytest.approx(10 / world.n_items)


@pytest.mark.parametrize("call, msg", [
    (lambda m, t: evaluate_ranking(m, t, k=0), "k must be an integer >= 1"),
    (lambda m, t: evaluate_ranking(m, t.iloc[:0]), "empty"),
    (lambda m, t: evaluate_ranking(m, t.drop(columns="item_id")), "missing column"),
    (lambda m, t: evaluate_ranking(m, t.assign(user_id=t["user_id"] + 1000)), "unknown user id"),
    (lambda m, t: evaluate_ranking(m, t.assign(item_id=t["item_id"] + 1000)), "unknown item id"),
    (lambda m, t: evaluate_ranking(m, t, exclude="train"), "exclude must be"),
    (lambda m, t: evaluate_ranking(m, t, min_rating=9), "nothing is relevant"),
    (lambda m, t: evaluate_ranking(m, t, batch_size=0), "batch_size must be"),
    (lambda m, t: evaluate_ranking(Biases(), t), "not fitted yet"),
])
def test_bad_input(call, msg, split, biases):
    with pytest.raises(ValueError, match=msg):
        call(biases, split[1])
    assert issubclass(NotFittedError, ValueError)
