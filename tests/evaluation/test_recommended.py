"""Tests for reclib.evaluation.recommended: reasons graded on each user's
top-k recommended items. Recommenders are the NumPy baselines and generators
small stand-ins, so the file runs in a few seconds."""
import math

import numpy as np
import pandas as pd
import pytest

from echo_generator import Echo
from reclib.data import shopsim
from reclib.evaluation.reasons import evaluate_reasons, ground_truth, head_to_head
from reclib.evaluation.recommended import (RECOMMENDED_METRICS, evaluate_recommended,
                                           recommended_pairs, truth_each)
from reclib.metrics import text as mt
from reclib.metrics.claims import personal_claim_scores
from reclib.models.baselines import Biases
from reclib.protocol import Recommender
from reclib.reasons.templates import TemplateReasons

K = 5


@pytest.fixture(scope="module")
def world(world_60x25):
    return world_60x25


@pytest.fixture(scope="module")
def train(world):
    """Half of each user's ratings, so every user has unrated items to recommend."""
    r = world.ratings
    return r[r.groupby("user_id").cumcount() % 2 == 0].reset_index(drop=True)


@pytest.fixture(scope="module")
def rec(world, train):
    return Biases().fit(train, items=world.items, users=world.users)


@pytest.fixture(scope="module")
def template(world, train):
    return TemplateReasons(seed=0).fit(train, items=world.items, users=world.users)




@pytest.fixture(scope="module")
def gens(train, template):
    return {"template": template, "fixed": Echo().fit(train),
            "grounded": dict(model=Echo(grounded=True).fit(train), fit_time=3.0, temperature=0.2)}


USERS = [3, 0, 17, 42, 59, 8]


# ------------------------------------------------------------------ pairs
def test_pairs_are_the_top_k_without_rated_items(rec, train):
    pairs = recommended_pairs(rec, USERS, k=K)
    assert list(pairs.columns) == ["user_id", "item_id", "rank"]
    assert list(pairs["user_id"].unique()) == USERS  # in the order given
    scores = rec.score_matrix(USERS)
    for row, u in enumerate(USERS):
        mine = pairs[pairs.user_id == u]
        assert list(mine["rank"]) == list(range(1, K + 1))
        assert list(mine["item_id"]) == list(rec.recommend(u, k=K))
        rated = set(train.loc[train.user_id == u, "item_id"])
        assert not rated & set(mine["item_id"])
        # nothing unrated scores above the k-th recommended item
        unrated = np.setdiff1d(np.arange(scores.shape[1]), list(rated))
        kth = scores[row, mine["item_id"].iloc[-1]]
        assert np.sort(scores[row, unrated])[::-1][K - 1] == pytest.approx(kth)


def test_drawn_users_are_distinct_and_seeded(rec):
    a = recommended_pairs(rec, 10, k=3, seed=1)
    b = recommended_pairs(rec, 10, k=3, seed=1)
    c = recommended_pairs(rec, 10, k=3, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert a["user_id"].nunique() == 10 and len(a) == 30
    assert set(a["user_id"]) != set(c["user_id"])
    state = np.random.get_state()[1].copy()
    recommended_pairs(rec, 10, k=3, seed=3)
    assert (np.random.get_state()[1] == state).all()  # the global state is not touched


# ------------------------------------------------------------------ the table
def test_columns_and_rows(world, rec, template, gens, train):
    table = evaluate_recommended(rec, USERS, gens, world=world, template=template, k=K,
                                 train=train)
    assert list(table.columns) == list(RECOMMENDED_METRICS)
    assert list(table.index) == list(gens)
    assert (table.dtypes == float).all()
    for c in ("faithfulness", "hallucination", "USR", "rejected", "faithfulness+guard"):
        assert table[c].between(0, 1).all()
    # a constant text: one distinct reason, never personal
    assert table.loc["fixed", "USR"] == pytest.approx(1 / (len(USERS) * K))
    assert table.loc["fixed", "personal claims"] == 0 and math.isnan(
        table.loc["fixed", "personal: truth"])
    assert gens["grounded"]["model"].last_kw == {"temperature": 0.2}  # entry options reach it


def test_agrees_with_evaluate_reasons_and_head_to_head_on_the_same_pairs(world, rec, template,
                                                                           gens, train):
    table, details = evaluate_recommended(rec, USERS, gens, world=world, template=template,
                                          k=K, train=train, return_details=True)
    pairs, texts = details["pairs"], details["texts"]
    pd.testing.assert_frame_equal(pairs, recommended_pairs(rec, USERS, k=K))
    # give the same pairs a stand-in review, so that the held-out harness accepts them
    with_refs = pairs.assign(text="A fine product.", aspect=template.aspects_[0])
    truth = ground_truth(world, pairs)
    for mine, theirs in zip(details["truth"]["true_reasons"], truth["true_reasons"]):
        pd.testing.assert_frame_equal(mine, theirs)
    h2h, h2h_texts = head_to_head(gens, with_refs, world=world, template=template,
                                  return_texts=True)
    for name in gens:
        raw = texts[name]["raw"]
        assert texts[name] == h2h_texts[name]  # the same reasons, raw and guarded
        held = evaluate_reasons(with_refs, raw, aspects=template.aspects_, truth=truth)
        for c in ("USR", "FCR", "DIV", "faithfulness", "hallucination", "personalization",
                  "names aspect"):
            assert table.loc[name, c] == pytest.approx(held[c], nan_ok=True), (name, c)
        for c in ("faithfulness+guard", "hallucination+guard", "USR+guard", "rejected"):
            assert table.loc[name, c] == pytest.approx(h2h.loc[name, c]), (name, c)
        claims = personal_claim_scores(raw, pairs["user_id"], train, aspects=template.aspects_,
                                       user_contexts=world.users["context"],
                                       user_weights=pd.DataFrame(world.user_weights,
                                                                 columns=shopsim.ASPECTS))
        for c in ("personal claims", "personal: train", "personal: truth"):
            assert table.loc[name, c] == pytest.approx(claims[c], nan_ok=True), (name, c)
        each = truth_each(raw, pairs, aspects=template.aspects_, truth=details["truth"])
        assert each["faithful"].mean() == pytest.approx(table.loc[name, "faithfulness"])
        assert each["hallucinated"].mean() == pytest.approx(table.loc[name, "hallucination"])
        assert each["names aspect"].mean() == pytest.approx(table.loc[name, "names aspect"])
        assert set(each["faithful"]) <= {0.0, 1.0}
    # the grounded stand-in praises the predicted aspect: as faithful as "that aspect, positive"
    grounding = [[(template.predicted_aspect(u, i)[0], "positive")]
                 for u, i in zip(pairs.user_id, pairs.item_id)]
    assert table.loc["grounded", "faithfulness"] == pytest.approx(
        mt.faithfulness(grounding, truth["true_reasons"], m=2))


def test_without_train_the_personal_grade_is_nan(world, rec, template, gens):
    table = evaluate_recommended(rec, USERS, {"template": template}, world=world,
                                 template=template, k=K)
    assert table[["personal claims", "personal: train", "personal: truth",
                  "personal: truth+guard"]].isna().all(axis=None)
    assert not table[["faithfulness", "USR", "DIV"]].isna().any(axis=None)


# ------------------------------------------------------------------ errors
class NotFitted(Recommender):
    def _fit(self, train):
        pass


def test_errors(world, rec, template, gens, train):
    def call(rec=rec, users=USERS, generators=gens, **kw):
        kw = {"world": world, "template": template, "k": K, **kw}
        return evaluate_recommended(rec, users, generators, **kw)

    with pytest.raises(TypeError, match="recommender must be"):
        call(rec=object())
    with pytest.raises(ValueError, match="not fitted"):
        call(rec=NotFitted())
    with pytest.raises(ValueError, match="unknown user id 60"):
        call(users=[1, 60])
    with pytest.raises(ValueError, match="must not repeat"):
        call(users=[1, 1])
    with pytest.raises(ValueError, match="users is empty"):
        call(users=[])
    with pytest.raises(ValueError, match="users must be"):
        call(users="all")
    with pytest.raises(ValueError, match="users"):
        call(users=61)  # more users than there are
    with pytest.raises(ValueError, match="k must be"):
        call(k=0)
    with pytest.raises(ValueError, match="at least 2"):
        call(users=[0], k=1)
    with pytest.raises(ValueError, match="non-empty dict"):
        call(generators={})
    with pytest.raises(ValueError, match="must be a reason generator"):
        call(generators={"x": rec})
    with pytest.raises(ValueError, match="not fitted"):
        call(generators={"x": Echo()})
    with pytest.raises(TypeError, match="known truth"):
        call(world=None)
    with pytest.raises(ValueError, match="fitted TemplateReasons"):
        call(template=TemplateReasons())
    with pytest.raises(ValueError, match="generate_kw must be a dict"):
        call(generate_kw="sample")
    with pytest.raises(ValueError, match="train must be"):
        call(train=[1, 2])
    with pytest.raises(ValueError, match="claim_truth must be"):
        call(train=train, claim_truth=[1])
    with pytest.raises(ValueError, match="m must be"):
        call(m=0)
    pairs = recommended_pairs(rec, USERS, k=K)
    texts = ["The battery is excellent."] * len(pairs)
    with pytest.raises(ValueError, match="mismatched lengths"):
        truth_each(texts[:-1], pairs, aspects=template.aspects_, world=world)
    with pytest.raises(ValueError, match="give world="):
        truth_each(texts, pairs, aspects=template.aspects_)
    with pytest.raises(ValueError, match="user_id"):
        truth_each(texts, pairs.drop(columns="user_id"), aspects=template.aspects_, world=world)
    with pytest.raises(ValueError, match="truth does not match"):
        truth_each(texts, pairs, aspects=template.aspects_,
                   truth=ground_truth(world, pairs.iloc[:3]))


def test_truth_each_of_several_lists_and_the_fast_reader(world, rec, template):
    from reclib.data.aspects import extract_aspects
    from reclib.evaluation.reasons import read_all, reader_for
    pairs = recommended_pairs(rec, USERS, k=K)
    lists = {"a": ["The battery is excellent, but the sound is poor."] * len(pairs),
             "b": [f"The {a} is great." for a in template.aspects_[:1]] * len(pairs)}
    both = truth_each(lists, pairs, aspects=template.aspects_, world=world)
    assert set(both) == {"a", "b"}
    for key, reasons in lists.items():
        pd.testing.assert_frame_equal(both[key], truth_each(reasons, pairs,
                                                            aspects=template.aspects_,
                                                            world=world))
        assert read_all(reader_for(None, template.aspects_), reasons) == [
            extract_aspects(t, template.aspects_) for t in reasons]
    with pytest.raises(ValueError, match="empty dict"):
        truth_each({}, pairs, aspects=template.aspects_, world=world)


class SaysBattery:
    """A stand-in second reader: reads every reason as praising the battery."""

    def read(self, texts):
        return [[("battery", "positive")] for _ in texts]


def test_a_given_reader_grades_the_truth_columns(world, rec, template, gens, train):
    table, details = evaluate_recommended(rec, USERS, gens, world=world, template=template,
                                          k=K, reader=SaysBattery(), return_details=True)
    pairs = details["pairs"]
    tops = [[("battery", "positive")]] * len(pairs)
    expected = mt.faithfulness(tops, details["truth"]["true_reasons"], m=2)
    assert (table["faithfulness"] == expected).all()  # every generator read the same way
    assert (table["faithfulness+guard"] == expected).all()
    assert (table["names aspect"] == 1.0).all()
    each = truth_each(details["texts"]["fixed"]["raw"], pairs, aspects=template.aspects_,
                      truth=details["truth"], reader=SaysBattery())
    assert each["faithful"].mean() == pytest.approx(expected)
    # the rule reader (the default) grades otherwise; USR and the guard do not depend on it
    rules = evaluate_recommended(rec, USERS, gens, world=world, template=template, k=K)
    assert (rules["USR"] == table["USR"]).all() and (rules["rejected"] == table["rejected"]).all()
    with pytest.raises(TypeError, match="read\\(texts\\)"):
        evaluate_recommended(rec, USERS, gens, world=world, template=template, k=K,
                             reader=lambda t: t)

    class Short:
        def read(self, texts):
            return [[]]

    with pytest.raises(ValueError, match="readings for"):
        truth_each(["x", "y"], pairs.iloc[:2], aspects=template.aspects_, world=world,
                   reader=Short())
