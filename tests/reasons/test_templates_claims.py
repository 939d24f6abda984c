"""Every claim the template makes, checked against the evidence it names, on
the whole default world (all 2,000 users x 3 items each of data/shopsim).

The checks are written from the training table directly (pandas counts),
not with the generator's own evidence arrays, so that a bug in how the
generator counts cannot hide from them."""
import re

import numpy as np
import pandas as pd
import pytest

from reclib.data import load_shopsim
from reclib.data.aspects import extract_aspects
from reclib.data.shopsim import ASPECTS
from reclib.data.splits import random_split
from reclib.metrics.claims import check_personal_claims, mixes_persons, personal_claims
from reclib.reasons.templates import TemplateReasons, second_person

CONTEXT_ASPECTS = {"battery", "weight", "comfort", "durability", "storage", "warmth", "fit",
                   "sound", "speed"}


@pytest.fixture(scope="module")
def world_reasons():
    w = load_shopsim()
    train, _ = random_split(w.ratings, 0.2, seed=0)
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(w.n_users), 3)
    items = rng.integers(0, w.n_items, len(users))
    out = {}
    for name, kw in (("default", {}), ("context", dict(context_aspects=CONTEXT_ASPECTS)),
                     ("auto", dict(context_aspects="auto"))):
        t = TemplateReasons(seed=0, **kw).fit(train, items=w.items, users=w.users)
        out[name] = [t.generate_one(int(u), int(i)) for u, i in zip(users, items)]
    return w, train, users, items, out


def test_item_claims_are_backed_by_the_items_reviews(world_reasons):
    w, train, users, items, out = world_reasons
    pos = train.assign(p=train["sentiment"] == "positive").groupby(["item_id", "aspect"])["p"]
    n_pos, n_all = pos.sum(), pos.size()
    for reasons in out.values():
        for u, i, r in zip(users, items, reasons):
            for a, s in r.aspects:
                assert s == "positive" and a in w.item_aspect_set(i)
                # "most reviews of its X are good": more positive than negative
                assert 2 * n_pos.get((i, a), 0) > n_all.get((i, a), 0), (u, i, r.text)
            # the reader reads exactly the claims the generator says it made
            assert extract_aspects(r.text, ASPECTS) == r.aspects, r.text


def test_fallback_states_the_counted_rating(world_reasons):
    w, train, users, items, out = world_reasons
    stats = train.groupby("item_id")["rating"].agg(["size", "mean"])
    fallbacks = [(i, r) for i, r in zip(items, out["default"]) if r.kind == "popularity"]
    assert len(fallbacks) > 100  # the world has items without good reviews
    for i, r in fallbacks:
        assert "popular" not in r.text and "like you" not in r.text and not r.aspects
        m = re.search(r"rated (\d\.\d) out of 5 on average over (\d+) ratings?\.$", r.text)
        if i not in stats.index:
            assert "nobody has rated" in r.text
            continue
        assert m, r.text
        assert int(m.group(2)) == stats.at[i, "size"]
        assert abs(float(m.group(1)) - stats.at[i, "mean"]) <= 0.05 + 1e-9


def test_personal_claims_hold_in_the_training_data(world_reasons):
    w, train, users, items, out = world_reasons
    counts = pd.crosstab(train["user_id"], train["aspect"]).reindex(
        index=range(w.n_users), columns=ASPECTS, fill_value=0)
    own_text = train.assign(text=train["text"].str.lower()).groupby(["user_id", "aspect"])["text"]\
        .agg(" | ".join)
    kinds_seen = set()
    for name, reasons in out.items():
        texts = [r.text for r in reasons]
        claims = check_personal_claims(texts, users, train, aspects=ASPECTS,
                                       user_contexts=w.users["context"])
        kinds_seen |= set(claims["kind"])
        assert (claims["train"] == 1).all(), claims[claims["train"] != 1].head()
        assert (claims.loc[claims.kind == "context", "truth"] == 1).all()
        # the same, from the counts directly
        for k, u, kind, value in claims[["position", "user_id", "kind", "value"]].values:
            c = counts.loc[u]
            if kind == "top":
                assert c[value] >= 2 and (c.drop(value) < c[value]).all()
            elif kind == "matters":
                assert c[value] >= 2 and c[value] >= 0.2 * c.sum()
            else:  # the user's own review of the named aspect mentions the context
                a = reasons[k].aspects[0][0]
                assert value.lower() in own_text[(u, a)]
        # every reason that addresses the user makes a claim the grader can read,
        # and none mixes "you" with "my"
        for t in texts:
            assert not mixes_persons(t), t
            if "you" in t:
                assert personal_claims(t, ASPECTS, w.users["context"].unique())
        if name == "default":
            assert not any("especially for" in t for t in texts)
    assert kinds_seen == {"top", "matters", "context"}


def test_personal_claims_are_mostly_true(world_reasons):
    # the hidden truth only grades: a claim backed by the training data is
    # usually true of the user's real tastes (the bar leaves room for worlds)
    w, train, users, items, out = world_reasons
    claims = check_personal_claims([r.text for r in out["context"]], users, train,
                                   aspects=ASPECTS,
                                   user_weights=pd.DataFrame(w.user_weights, columns=ASPECTS),
                                   user_contexts=w.users["context"])
    truth = claims.groupby("kind")["truth"].mean()
    assert truth["top"] > 0.8 and truth["matters"] > 0.8 and truth["context"] == 1


def test_context_is_second_person(world_reasons):
    w, train, users, items, out = world_reasons
    commuters = [r.text for u, r in zip(users, out["auto"]) if w.users.at[u, "context"] == "my commute"
                 and "especially" in r.text]
    assert commuters and all("especially for your commute" in t for t in commuters)
    assert second_person("my commute") == "your commute"
