import numpy as np
import pandas as pd
import pytest

from reclib.data import shopsim
from reclib.data.splits import random_split
from reclib.reasons.templates import (TemplateReasons, behavioural_reason, fit_evidence,
                                      social_reason)


@pytest.fixture(scope="module")
def setup():
    w = shopsim.generate(n_users=400, n_items=100, seed=5)
    train, test = random_split(w.ratings, 0.2, seed=0)
    t = TemplateReasons(seed=0).fit(train, w.items, w.users)
    return w, train, test, t


def test_reasons_name_only_item_aspects_with_supported_sentiment(setup):
    w, train, test, t = setup
    ev = t.evidence_
    for u, i in test[["user_id", "item_id"]].values[:300]:
        r = t.generate(u, i)
        for a, s in r.aspects:
            assert a in w.item_aspect_set(i)
            assert a in r.text
            j = shopsim.ASPECTS.index(a)
            assert (ev.item_sentiment[i, j] > 0) == (s == "positive")


def test_reasons_are_mostly_true(setup):
    # uses the hidden truth only to grade: the first aspect named is usually
    # among the two largest true contributions, with the right sign
    w, train, test, t = setup
    hits = n = 0
    for u, i in test[["user_id", "item_id"]].values[:400]:
        r = t.generate(u, i)
        if r.aspects:
            top = w.true_reasons(u, i).head(2)
            n += 1
            hits += (r.aspects[0][0], r.aspects[0][1]) in set(map(tuple, top[["aspect", "sentiment"]].values))
    assert n > 200 and hits / n > 0.6


def test_evidence_uses_training_data_only(setup):
    w, train, test, t = setup
    ev = fit_evidence(train, w.items)
    flipped = train.copy()
    flipped["sentiment"] = flipped["sentiment"].map({"positive": "negative", "negative": "positive"})
    ev2 = fit_evidence(flipped, w.items)
    np.testing.assert_allclose(ev.item_sentiment, -ev2.item_sentiment)
    np.testing.assert_allclose(ev.user_pref.sum(1), 1.0)


def test_user_preference_follows_reviews():
    items = pd.DataFrame({"item_id": [0, 1], "aspects": ["battery;screen", "battery;screen"],
                          "category": ["phone", "phone"], "brand": ["A", "B"]})
    train = pd.DataFrame({"user_id": [0, 0, 0, 1], "item_id": [0, 1, 0, 1],
                          "aspect": ["screen", "screen", "screen", "battery"],
                          "sentiment": ["positive"] * 4, "rating": 5, "timestamp": 0})
    t = TemplateReasons().fit(train, items)
    assert t.predicted_aspect(0, 1)[0] == "screen"
    assert t.generate(1, 1).aspects[0][0] == "battery"


def test_fallback_names_no_aspect():
    items = pd.DataFrame({"item_id": [0], "aspects": ["battery;screen"], "category": ["phone"],
                          "brand": ["A"]})
    train = pd.DataFrame({"user_id": [0], "item_id": [0], "aspect": ["battery"],
                          "sentiment": ["negative"], "rating": 2, "timestamp": 0})
    r = TemplateReasons().fit(train, items).generate(0, 0)
    assert r.aspects == [] and r.kind == "popularity" and "battery" not in r.text


def test_behavioural_and_social(setup):
    w, train, test, t = setup
    u = int(train.user_id.iloc[0])
    r = behavioural_reason(train, w.items, u, 3)
    liked = train[(train.user_id == u) & (train.rating >= 4)].item_id
    assert any(w.items.title[j] in r.text for j in liked)
    s = social_reason(train, t.evidence_, u, int(train.item_id.iloc[5]))
    assert "out of 5" in s.text


def test_errors(setup):
    w, train, test, t = setup
    with pytest.raises(ValueError, match="unknown item id"):
        t.generate(0, w.n_items)
    with pytest.raises(ValueError, match="unknown user id"):
        t.generate(10_000, 0)
    bad = train.copy()
    bad.loc[bad.index[0], "aspect"] = "teleportation"
    with pytest.raises(ValueError, match="unknown aspect"):
        fit_evidence(bad, w.items)
    bad = train.copy()
    bad.loc[bad.index[0], "sentiment"] = "meh"
    with pytest.raises(ValueError, match="sentiment must be"):
        fit_evidence(bad, w.items)
    with pytest.raises(ValueError, match="missing column"):
        fit_evidence(train.drop(columns="aspect"), w.items)
    with pytest.raises(ValueError, match="no liked"):
        behavioural_reason(train[train.rating < 4], w.items, int(train.user_id.iloc[0]), 0)
