"""Tests for the aspect-aware MF (reclib.reasons.aspect_mf): shapes, seeding,
the additive contributions, the counterfactual and the error paths."""
import numpy as np
import pandas as pd
import pytest

import reclib  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from reclib.checks import NotFittedError
from reclib.data.splits import random_split
from reclib.reasons.aspect_mf import AspectMF
from reclib.protocol import Reason, Recommender


@pytest.fixture(scope="module")
def world(world_400x120):
    return world_400x120


@pytest.fixture(scope="module")
def split(world):
    return random_split(world.ratings, 0.2, seed=0)


@pytest.fixture(scope="module")
def amf(world, split):
    return AspectMF(n_factors=4, epochs=3, seed=0).fit(split[0], items=world.items,
                                                       users=world.users)


def _pairs(split, n=50):
    test = split[1].iloc[:n]
    return test["user_id"].to_numpy(), test["item_id"].to_numpy()


def test_protocol_and_shapes(amf, world, split):
    u, i = _pairs(split)
    assert isinstance(amf, Recommender) and amf.fit_time_ > 0
    assert amf.predict(u, i).shape == (len(u),)
    assert amf.contributions(u, i).shape == (len(u), len(amf.aspects_))
    assert amf.mf_part(u, i).shape == (len(u),)
    assert amf.score_matrix([0, 1]).shape == (2, world.n_items)
    assert np.allclose(amf.score_matrix([u[0]])[0, i[0]], amf.predict(u[:1], i[:1]))
    rec = amf.recommend(int(u[0]), k=5)
    assert len(rec) == 5 and not set(rec) & set(amf.rated_[int(u[0])])
    assert amf.count_params() > 0
    assert set(amf.history_) == {"loss"} and len(amf.history_["loss"]) == 3


def test_contributions_sum_to_score_minus_mf_part(amf, split):
    u, i = _pairs(split)
    c = amf.contributions(u, i)
    assert np.allclose(c.sum(axis=1), amf.predict(u, i) - amf.mf_part(u, i), atol=1e-9)
    # the Keras model computes the same score
    keras_score = np.asarray(amf.model_([u.astype("int32"), i.astype("int32")])).reshape(-1)
    assert np.allclose(keras_score, amf.predict(u, i), atol=1e-4)
    # an aspect the item's category lacks contributes nothing
    has = amf.evidence_.item_aspects
    for row, item in zip(c, i):
        off = [k for k, a in enumerate(amf.aspects_) if a not in has[item]]
        assert np.allclose(row[off], 0.0)


def test_reasons_name_the_top_contribution(amf, split):
    u, i = _pairs(split)
    names, value = amf.top_aspects(u, i)
    c = amf.contributions(u, i)
    assert np.allclose(value, c.max(axis=1))
    reasons = amf.reasons(u, i)
    assert all(isinstance(r, Reason) for r in reasons)
    assert [r.aspects[0][0] for r in reasons] == names
    assert all(r.aspects[0][0] in r.text for r in reasons)


def test_counterfactual_changes_only_the_named_aspect(amf, split):
    u, i = _pairs(split)
    names, _ = amf.top_aspects(u, i)
    drop = amf.predict(u, i) - amf.counterfactual(u, i, names)
    cols = [amf.aspects_.index(a) for a in names]
    mu, bu, bi, P, Q, pref, sent, beta, d, e = amf._parameters()
    weight = beta[cols] * pref[u, cols] + d[u, cols]
    assert np.allclose(drop, weight * sent[i, cols])   # exactly the evidence's share


def test_seed_determinism_and_no_global_state(world, split):
    kw = dict(n_factors=4, epochs=2)
    np.random.seed(123)
    numpy_state = np.random.get_state()[1].copy()
    a = AspectMF(seed=3, **kw).fit(split[0], items=world.items, users=world.users)
    assert (np.random.get_state()[1] == numpy_state).all()
    b = AspectMF(seed=3, **kw).fit(split[0], items=world.items, users=world.users)
    c = AspectMF(seed=4, **kw).fit(split[0], items=world.items, users=world.users)
    u, i = _pairs(split)
    # equal up to float32 rounding (TensorFlow's CPU kernels may sum in another order)
    np.testing.assert_allclose(a.predict(u, i), b.predict(u, i), rtol=0, atol=1e-5)
    assert np.abs(a.predict(u, i) - c.predict(u, i)).max() > 1e-2


def test_validation_history(world, split):
    fit_part, val = random_split(split[0], 0.2, seed=0)
    m = AspectMF(n_factors=4, epochs=2, seed=0).fit(fit_part, items=world.items,
                                                    users=world.users, validation=val)
    assert len(m.history_["val_rmse"]) == 2


def _tiny(ratings, aspects, sentiments):
    return pd.DataFrame({"user_id": [0, 0, 1, 1], "item_id": [0, 1, 0, 1], "rating": ratings,
                         "aspect": aspects, "sentiment": sentiments})


def test_counterfactual_sign_on_a_hand_made_case():
    # every review of item 0 praises its battery, every review of item 1 pans it:
    # removing item 0's battery evidence lowers its score, removing item 1's raises it
    train = _tiny([5, 1, 5, 1], ["battery"] * 4, ["positive", "negative"] * 2)
    m = AspectMF(n_factors=1, epochs=30, batch_size=4, learning_rate=0.05, item_l2=None,
                 seed=0).fit(train)
    score = m.predict([0, 0], [0, 1])
    after = m.counterfactual([0, 0], [0, 1], ["battery", "battery"])
    assert after[0] < score[0] and after[1] > score[1]
    assert m.top_aspects([0], [0])[0] == ["battery"]
    assert m.reasons([0], [1])[0].aspects == [("battery", "negative")]


@pytest.mark.parametrize("kw, message", [
    (dict(n_factors=0), "n_factors"), (dict(l2=-1), "l2"), (dict(aspect_l2=-0.1), "aspect_l2"),
    (dict(item_l2=-1), "item_l2"), (dict(epochs=1.5), "epochs"),
    (dict(learning_rate=0), "learning_rate"), (dict(seed=-1), "seed"),
    (dict(shrink=-1), "shrink"),
])
def test_bad_settings(kw, message):
    with pytest.raises(ValueError, match=message):
        AspectMF(**kw)


def test_bad_input(amf, split):
    train = split[0]
    with pytest.raises(ValueError, match="aspect"):
        AspectMF(epochs=1).fit(train.drop(columns="aspect"))
    bad = train.copy()
    bad.loc[bad.index[0], "sentiment"] = "meh"
    with pytest.raises(ValueError, match="sentiment"):
        AspectMF(epochs=1).fit(bad)
    with pytest.raises(ValueError, match="unknown aspect"):
        AspectMF(epochs=1).fit(train, aspects=["battery"])
    with pytest.raises(NotFittedError):
        AspectMF().contributions([0], [0])
    with pytest.raises(ValueError, match="unknown user id"):
        amf.contributions([10_000], [0])
    with pytest.raises(ValueError, match="same length"):
        amf.predict([0, 1], [0])
    with pytest.raises(ValueError, match="one aspect per pair"):
        amf.counterfactual([0, 1], [0, 1], ["battery"])
    with pytest.raises(ValueError, match="one aspect per pair"):
        amf.counterfactual([0], [0], "battery")
    with pytest.raises(ValueError, match="unknown aspect"):
        amf.counterfactual([0], [0], ["wifi"])
    with pytest.raises(ValueError, match="validation"):
        AspectMF(epochs=1).fit(train, validation=train.drop(columns="rating"))
