"""Tests for reclib.reasons.kinds: behavioural and social reasons (the generator
protocol, the evidence they cite, bad input)."""
import numpy as np
import pytest

from reclib.checks import NotFittedError
from reclib.data.splits import random_split
from reclib.protocol import Reason
from reclib.reasons.kinds import BehaviouralReasons, SocialReasons, unit_rows


@pytest.fixture(scope="module")
def setup(world_150x60):
    w = world_150x60
    train, test = random_split(w.ratings, 0.2, seed=0)
    return w, train, test


def test_behavioural_cites_a_liked_training_item_of_the_user(setup):
    w, train, test = setup
    gen = BehaviouralReasons().fit(train, items=w.items, users=w.users)
    pairs = test.head(30)
    ev = gen.evidence(pairs["user_id"], pairs["item_id"])
    given = {(u, i): r for u, i, r in train[["user_id", "item_id", "rating"]].itertuples(index=False)}
    for u, i, j, r in ev[["user_id", "item_id", "cited_item", "cited_rating"]].itertuples(index=False):
        assert j != i and given[(u, j)] == r
        liked = train[(train.user_id == u) & (train.rating >= 4)]
        if len(liked):
            assert r >= 4
    texts = gen.generate(pairs["user_id"], pairs["item_id"])
    assert all(w.items.at[j, "title"] in t for j, t in zip(ev["cited_item"], texts))
    one = gen.generate_one(int(pairs.user_id.iloc[0]), int(pairs.item_id.iloc[0]))
    assert isinstance(one, Reason) and one.kind == "behavioural" and one.aspects == []
    assert gen.count_params() == 0


def test_behavioural_uses_the_given_item_vectors(setup):
    w, train, test = setup
    vectors = np.zeros((w.n_items, 2))
    vectors[:, 0] = 1.0
    target = int(test.item_id.iloc[0])
    user = int(test.user_id.iloc[0])
    own = train[(train.user_id == user) & (train.rating >= 4) & (train.item_id != target)]
    pick = int(own.item_id.iloc[-1])
    vectors[pick] = [0.0, 1.0]
    vectors[target] = [0.0, 1.0]
    gen = BehaviouralReasons(item_vectors=vectors).fit(train, items=w.items, users=w.users)
    assert gen.evidence([user], [target]).at[0, "cited_item"] == pick


def test_social_cites_the_closest_raters_and_their_mean(setup):
    w, train, test = setup
    gen = SocialReasons(n_neighbours=5).fit(train, items=w.items, users=w.users)
    pairs = test.head(30)
    ev = gen.evidence(pairs["user_id"], pairs["item_id"])
    for u, i, n, mean, who in ev.itertuples(index=False):
        raters = train[(train.item_id == i) & (train.user_id != u)]
        assert n == min(5, len(raters)) and u not in who
        if n:
            assert mean == pytest.approx(raters.set_index("user_id").loc[who, "rating"].mean())
    texts = gen.generate(pairs["user_id"], pairs["item_id"])
    assert all(("whose tastes match yours" in t) or ("No shopper" in t) for t in texts)
    assert gen.generate_one(0, 0).kind == "social"
    assert gen.count_params() == gen.taste_.size


def test_social_cites_nobody_for_an_unrated_item(setup):
    w, train, test = setup
    item = int(train.item_id.iloc[0])
    gen = SocialReasons(people="guests").fit(train[train.item_id != item], items=w.items,
                                             users=w.users)
    ev = gen.evidence([0], [item])
    assert ev.at[0, "n_cited"] == 0 and np.isnan(ev.at[0, "mean_rating"])
    assert gen.generate([0], [item]) == ["No guest with tastes like yours has rated it yet."]


def test_bad_input(setup):
    w, train, test = setup
    with pytest.raises(NotFittedError):
        BehaviouralReasons().generate([0], [0])
    with pytest.raises(ValueError, match="item_vectors"):
        BehaviouralReasons(item_vectors=np.ones(5))
    with pytest.raises(ValueError, match="rows"):
        BehaviouralReasons(item_vectors=np.ones((3, 2))).fit(train, items=w.items, users=w.users)
    with pytest.raises(ValueError, match="n_neighbours"):
        SocialReasons(n_neighbours=0)
    with pytest.raises(ValueError, match="people"):
        SocialReasons(people="")
    gen = SocialReasons().fit(train, items=w.items, users=w.users)
    with pytest.raises(ValueError, match="unknown item id"):
        gen.evidence([0], [w.n_items])
    with pytest.raises(ValueError, match="not grounded"):
        gen.generate([0], [0], aspects=["battery"])
    beh = BehaviouralReasons().fit(train, items=w.items, users=w.users)
    with pytest.raises(ValueError, match="not grounded"):
        beh.generate_one(0, 0, aspect="battery")
    with pytest.raises(ValueError, match="unknown decoding option"):
        beh.generate([0], [0], temprature=1.0)
    lonely = train[train.user_id != 0]
    beh = BehaviouralReasons().fit(lonely, items=w.items, users=w.users)
    with pytest.raises(ValueError, match="no training items"):
        beh.evidence([0], [1])


def test_unit_rows_give_cosines():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 5)), rng.normal(size=(20, 5))
    a[3] = 0.0                                   # a zero row stays zero (cosine 0)
    cos = (unit_rows(a) * unit_rows(b)).sum(1)
    direct = [x @ y / (np.linalg.norm(x) * np.linalg.norm(y)) if x.any() else 0.0
              for x, y in zip(a, b)]
    np.testing.assert_allclose(cos, direct, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(unit_rows(b), axis=1), 1.0)
    with pytest.raises(ValueError, match="2-D"):
        unit_rows(np.ones(3))
