"""Tests for reclib.reasons.templates: evidence, template reasons (the
generator protocol and the richer generate_one), behavioural and social
reasons, on ShopSim and on data without ShopSim's item columns."""
import numpy as np
import pandas as pd
import pytest

from reclib.checks import NotFittedError
from reclib.data import shopsim
from reclib.data.splits import random_split
from reclib.protocol import Reason
from reclib.reasons.templates import (GENERIC_UNRATED, TemplateReasons, behavioural_reason,
                                      fit_evidence, second_person, social_reason)


@pytest.fixture(scope="module")
def setup():
    w = shopsim.generate(n_users=400, n_items=100, seed=5)
    train, test = random_split(w.ratings, 0.2, seed=0)
    t = TemplateReasons(seed=0).fit(train, items=w.items, users=w.users)
    return w, train, test, t


def test_generate_has_the_protocol_shape(setup):
    w, train, test, t = setup
    pairs = test[["user_id", "item_id"]].head(20)
    texts = t.generate(pairs["user_id"], pairs["item_id"])
    assert isinstance(texts, list) and len(texts) == 20 and all(isinstance(x, str) for x in texts)
    assert texts == [t.generate_one(u, i).text for u, i in pairs.values]
    assert t.count_params() == t.evidence_.user_pref.size + t.evidence_.item_sentiment.size
    assert t.aspects_ == tuple(sorted(set(train["aspect"])))
    with pytest.raises(ValueError, match="not grounded"):
        t.generate([0], [0], aspects=["battery"])
    with pytest.raises(ValueError, match="unknown decoding option"):
        t.generate([0], [0], temprature=0.5)
    assert t.generate([0], [0], method="sample", temperature=0.5) == t.generate([0], [0])


def test_reasons_name_only_item_aspects_with_supported_sentiment(setup):
    w, train, test, t = setup
    ev = t.evidence_
    for u, i in test[["user_id", "item_id"]].values[:300]:
        r = t.generate_one(u, i)
        assert isinstance(r, Reason)
        for a, s in r.aspects:
            assert a in w.item_aspect_set(i)
            assert a in r.text
            assert (ev.item_sentiment[i, ev.index(a)] > 0) == (s == "positive")


def test_reasons_are_mostly_true(setup):
    # uses the hidden truth only to grade: the first aspect named is usually
    # among the two largest true contributions, with the right sign
    w, train, test, t = setup
    hits = n = 0
    for u, i in test[["user_id", "item_id"]].values[:400]:
        r = t.generate_one(u, i)
        if r.aspects:
            top = w.true_reasons(u, i).head(2)
            n += 1
            hits += (r.aspects[0][0], r.aspects[0][1]) in set(map(tuple, top[["aspect", "sentiment"]].values))
    assert n > 200 and hits / n > 0.6


def test_evidence_uses_training_data_only(setup):
    w, train, test, t = setup
    ev = fit_evidence(train, items=w.items)
    flipped = train.copy()
    flipped["sentiment"] = flipped["sentiment"].map({"positive": "negative", "negative": "positive"})
    ev2 = fit_evidence(flipped, items=w.items)
    np.testing.assert_allclose(ev.item_sentiment, -ev2.item_sentiment)
    np.testing.assert_allclose(ev.user_pref.sum(1), 1.0)
    assert ev.user_context is None  # no users table given


def test_context_suffix_follows_the_users_own_reviews(setup):
    w, train, test, _ = setup
    assert not any("especially for" in x for x in _.generate(test.user_id[:300], test.item_id[:300]))
    t = TemplateReasons(seed=0, context_aspects="auto").fit(train, items=w.items, users=w.users)
    ev = t.evidence_
    with_ctx = [r for r in (t.generate_one(u, i) for u, i in test[["user_id", "item_id"]].values[:300])
                if "especially for" in r.text]
    assert with_ctx  # some reasons carry the user's context
    for u, i in test[["user_id", "item_id"]].values[:300]:
        r = t.generate_one(u, i)
        if r.aspects:
            a = r.aspects[0][0]
            said = ev.user_context[u, ev.index(a)] and t.personal_claim(u, a) != "item"
            phrase = "especially for " + second_person(w.users.at[u, "context"])
            assert (phrase in r.text) == bool(said)
            assert " my " not in r.text  # the reader is addressed in the second person
    # an explicit list of context aspects restricts the evidence, never replaces it
    fixed = TemplateReasons(context_aspects={"battery"}).fit(train, items=w.items, users=w.users)
    for u, i in test[["user_id", "item_id"]].values[:200]:
        r = fixed.generate_one(u, i)
        if r.aspects and "especially for" in r.text:
            assert r.aspects[0][0] == "battery" and fixed.evidence_.user_context[u, ev.index("battery")]


def test_second_person():
    assert second_person("my commute") == "your commute"
    assert second_person("My trips with me") == "your trips with you"
    assert second_person("travel") == "travel" and second_person("mystery") == "mystery"
    with pytest.raises(ValueError, match="string"):
        second_person(3)


def test_personal_claim_follows_the_users_review_counts():
    items = pd.DataFrame({"item_id": [0], "aspects": ["battery;screen;speed"]})
    train = pd.DataFrame({"user_id": [0] * 5 + [1] * 5 + [2], "item_id": 0, "rating": 5,
                          "text": "x", "aspect": ["screen"] * 3 + ["battery"] * 2
                          + ["screen", "screen", "battery", "battery", "speed", "speed"],
                          "sentiment": "positive"})
    t = TemplateReasons().fit(train, items=items)
    assert t.personal_claim(0, "screen") == "top"        # 3 of 5, more than any other
    assert t.personal_claim(0, "battery") == "matters"   # 2 of 5
    assert t.personal_claim(1, "screen") == "matters"    # 2 of 5, tied with battery
    assert t.personal_claim(2, "speed") == "item"        # one review shows little
    assert t.personal_claim(0, "speed") == "item"        # never written about
    assert "care about most" in t.generate_one(0, 0).text or \
        t.generate_one(0, 0).aspects[0][0] != "screen"
    with pytest.raises(ValueError, match="unknown aspect"):
        t.personal_claim(0, "teleportation")
    with pytest.raises(ValueError, match="matters_share"):
        TemplateReasons(matters_share=1.5)


def test_user_preference_follows_reviews():
    items = pd.DataFrame({"item_id": [0, 1], "aspects": ["battery;screen", "battery;screen"],
                          "category": ["phone", "phone"], "brand": ["A", "B"]})
    train = pd.DataFrame({"user_id": [0, 0, 0, 1], "item_id": [0, 1, 0, 1], "rating": 5,
                          "text": "ok", "aspect": ["screen", "screen", "screen", "battery"],
                          "sentiment": ["positive"] * 4, "timestamp": 0})
    t = TemplateReasons().fit(train, items=items)
    assert t.predicted_aspect(0, 1)[0] == "screen"
    assert t.generate_one(1, 1).aspects[0][0] == "battery"


def test_fallback_names_no_aspect_and_states_what_it_counted():
    items = pd.DataFrame({"item_id": [0, 1], "aspects": ["battery;screen"] * 2,
                          "category": ["phone"] * 2, "brand": ["A", "B"]})
    train = pd.DataFrame({"user_id": [0, 1], "item_id": [0, 0], "rating": [2, 3],
                          "text": "bad", "aspect": ["battery"] * 2,
                          "sentiment": ["negative"] * 2, "timestamp": 0})
    t = TemplateReasons().fit(train, items=items)
    r = t.generate_one(0, 0)
    assert r.aspects == [] and r.kind == "popularity" and "battery" not in r.text
    assert r.text == "A phone from A, rated 2.5 out of 5 on average over 2 ratings."
    assert "popular" not in r.text and "like you" not in r.text
    assert t.generate_one(0, 1).text == "A phone from B that nobody has rated yet."
    one = TemplateReasons().fit(train.iloc[:1], items=items)
    assert one.generate_one(0, 0).text.endswith("over 1 rating.")
    # without category and brand columns: the generic fallbacks, still counted
    bare = TemplateReasons().fit(train, items=items[["item_id"]])
    assert bare.generate_one(0, 0).text == "Rated 2.5 out of 5 on average over 2 ratings."
    assert bare.generate_one(0, 1).text == GENERIC_UNRATED
    with pytest.raises(ValueError, match="unrated_template"):
        TemplateReasons(unrated_template="{brand}, rated {mean_rating}")


def test_without_an_item_table_items_have_the_aspects_of_their_reviews():
    train = pd.DataFrame({"user_id": [0, 1, 2], "item_id": [0, 0, 1], "rating": [5, 4, 5],
                          "text": "x", "aspect": ["location", "room", "service"],
                          "sentiment": "positive"})
    t = TemplateReasons().fit(train)
    assert t.evidence_.item_aspects == [["location", "room"], ["service"]]
    assert t.generate_one(2, 0).aspects[0][0] in ("location", "room")
    assert set(t.aspect_scores(0, 1)["aspect"]) == {"service"}
    # a user or item with no reviews is known when the sizes say so
    t = TemplateReasons().fit(train, items=3, users=5)
    assert set(t.aspect_scores(4, 2)["aspect"]) == {"location", "room", "service"}
    assert t.generate_one(4, 2).kind == "popularity"  # no evidence about item 2


def test_custom_wording():
    train = pd.DataFrame({"user_id": [0, 0], "item_id": [0, 1], "rating": 5, "text": "x",
                          "aspect": ["location", "room"], "sentiment": "positive"})
    t = TemplateReasons(item_templates=["Guests praise its {aspect}."],
                        second_template=" The {aspect} is good too.", shrink=0.0).fit(train)
    assert t.generate_one(0, 0).text == "Guests praise its location."
    with pytest.raises(ValueError, match="aspect"):
        TemplateReasons(top_templates=["No slot here."])
    with pytest.raises(ValueError, match="only"):
        TemplateReasons(matters_templates=["{aspect} at {price}"])
    with pytest.raises(ValueError, match="only"):
        TemplateReasons(item_templates=["{aspect}{ctx}"])  # no personal claim, no context
    with pytest.raises(ValueError, match="non-empty"):
        TemplateReasons(item_templates=[])
    with pytest.raises(ValueError, match="second_template"):
        TemplateReasons(second_template="{brand}")
    with pytest.raises(ValueError, match="'auto' or None"):
        TemplateReasons(context_aspects="battery")


def test_behavioural_and_social(setup):
    w, train, test, t = setup
    u = int(train.user_id.iloc[0])
    r = behavioural_reason(train, w.items, u, 3)
    liked = train[(train.user_id == u) & (train.rating >= 4)].item_id
    assert any(w.items.title[j] in r.text for j in liked) and r.kind == "behavioural"
    s = social_reason(train, t.evidence_, u, int(train.item_id.iloc[5]))
    assert "out of 5" in s.text and "shoppers" in s.text
    guests = social_reason(train, t.evidence_, u, int(train.item_id.iloc[5]), people="guests")
    assert "guests" in guests.text
    with pytest.raises(ValueError, match="category"):
        behavioural_reason(train, w.items[["item_id"]], u, 3)
    bare = behavioural_reason(train, w.items[["item_id"]], u, 3,
                              item_factors=np.ones((len(w.items), 2)))
    assert "Because you rated the item " in bare.text


def test_errors(setup):
    w, train, test, t = setup
    with pytest.raises(ValueError, match="unknown item id"):
        t.generate_one(0, w.n_items)
    with pytest.raises(ValueError, match="unknown user id"):
        t.generate_one(10_000, 0)
    with pytest.raises(ValueError, match="one id each"):
        t.generate_one([0, 1], 0)
    with pytest.raises(NotFittedError):
        TemplateReasons().generate_one(0, 0)
    bad = train.copy()
    bad.loc[bad.index[0], "aspect"] = "teleportation"
    with pytest.raises(ValueError, match="unknown aspect"):
        fit_evidence(bad, items=w.items, aspects=shopsim.ASPECTS)
    bad = train.copy()
    bad.loc[bad.index[0], "sentiment"] = "meh"
    with pytest.raises(ValueError, match="sentiment must be"):
        fit_evidence(bad, items=w.items)
    with pytest.raises(ValueError, match="missing column"):
        fit_evidence(train.drop(columns="aspect"), items=w.items)
    with pytest.raises(ValueError, match="no liked"):
        behavioural_reason(train[train.rating < 4], w.items, int(train.user_id.iloc[0]), 0)
    with pytest.raises(ValueError, match="min_sentiment"):
        TemplateReasons(min_sentiment=2)
    with pytest.raises(ValueError, match="min_sentiment"):
        TemplateReasons(min_sentiment=0)  # 0 would praise an aspect with no good reviews
    with pytest.raises(ValueError, match="n_neighbours"):
        social_reason(train, t.evidence_, 0, 0, n_neighbours=0)
