import numpy as np
import pandas as pd
import pytest

from reclib.data import shopsim
from reclib.data.splits import random_split
from reclib.models.baselines import Biases, GlobalMean, Popularity
from reclib.models.mf import MF


@pytest.fixture(scope="module")
def world():
    return shopsim.generate(n_users=400, n_items=120, seed=7)


@pytest.fixture(scope="module")
def split(world):
    return random_split(world.ratings, 0.2, seed=0)


@pytest.fixture(scope="module")
def mf(world, split):
    return MF(n_factors=8, epochs=8, seed=0).fit(split[0], world.n_users, world.n_items)


def rmse(p, y):
    return float(np.sqrt(np.mean((np.clip(p, 1, 5) - y) ** 2)))


def test_global_mean(split):
    train, test = split
    m = GlobalMean().fit(train)
    assert np.allclose(m.predict(test.user_id[:3], test.item_id[:3]), train.rating.mean())


def test_biases_recover_known_biases():
    # r = 3 + b_u + b_i exactly: unregularized biases recover the sum
    rng = np.random.default_rng(0)
    bu, bi = rng.normal(0, 0.5, 30), rng.normal(0, 0.5, 20)
    uu, ii = np.meshgrid(np.arange(30), np.arange(20), indexing="ij")
    df = pd.DataFrame({"user_id": uu.ravel(), "item_id": ii.ravel(),
                       "rating": np.clip(3 + bu[uu.ravel()] + bi[ii.ravel()], 1, 5),
                       "timestamp": 0})
    m = Biases(reg=0.0, n_iter=50).fit(df)
    np.testing.assert_allclose(m.predict(df.user_id, df.item_id), df.rating, atol=1e-6)


def test_biases_beat_global_mean(world, split):
    train, test = split
    g = GlobalMean().fit(train, world.n_users, world.n_items)
    b = Biases().fit(train, world.n_users, world.n_items)
    assert rmse(b.predict(test.user_id, test.item_id), test.rating) < \
        rmse(g.predict(test.user_id, test.item_id), test.rating)


def test_mf_beats_biases_and_learns(world, split, mf):
    train, test = split
    b = Biases().fit(train, world.n_users, world.n_items)
    assert rmse(mf.predict(test.user_id, test.item_id), test.rating) < \
        rmse(b.predict(test.user_id, test.item_id), test.rating)
    assert mf.history_["loss"][-1] < mf.history_["loss"][0]
    assert mf.user_factors.shape == (world.n_users, 8)
    assert mf.item_factors.shape == (world.n_items, 8)


def test_mf_predict_matches_factors(mf, split):
    train, _ = split
    layer = mf.model_.get_layer("mf")
    u, i = np.array([0, 1, 2]), np.array([5, 6, 7])
    manual = (mf.mean_ + layer.bu.embeddings.numpy()[u, 0] + layer.bi.embeddings.numpy()[i, 0]
              + np.sum(mf.user_factors[u] * mf.item_factors[i], axis=1))
    np.testing.assert_allclose(mf.predict(u, i), manual, rtol=1e-5, atol=1e-5)


def test_mf_is_reproducible(world, split):
    train, test = split
    a = MF(n_factors=4, epochs=2, seed=3).fit(train, world.n_users, world.n_items)
    b = MF(n_factors=4, epochs=2, seed=3).fit(train, world.n_users, world.n_items)
    np.testing.assert_allclose(a.predict(test.user_id, test.item_id),
                               b.predict(test.user_id, test.item_id), rtol=1e-5)


@pytest.mark.parametrize("model", ["mf", "biases", "popularity"])
def test_recommend_excludes_rated(model, world, split, mf):
    train, _ = split
    m = {"mf": mf, "biases": Biases().fit(train, world.n_users, world.n_items),
         "popularity": Popularity().fit(train, world.n_users, world.n_items)}[model]
    for user in [0, 17, 42]:
        recs = m.recommend(user, k=10)
        assert len(recs) == 10 and len(set(recs)) == 10
        rated = set(train.loc[train.user_id == user, "item_id"])
        assert not rated & set(recs)
    if model == "mf":
        s = mf.score_items(0)
        recs = mf.recommend(0, k=5)
        unrated = np.setdiff1d(np.arange(world.n_items), list(set(train.loc[train.user_id == 0, "item_id"])))
        assert np.isclose(s[recs[0]], s[unrated].max())
        assert np.all(np.diff(s[recs]) <= 1e-9)


def test_popularity_ranks_by_count(world, split):
    train, _ = split
    p = Popularity().fit(train, world.n_users, world.n_items)
    counts = np.bincount(train.item_id, minlength=world.n_items)
    recs = p.recommend(0, k=5, exclude_rated=False)
    assert list(counts[recs]) == sorted(counts, reverse=True)[:5]


def test_errors(world, split, mf):
    train, _ = split
    with pytest.raises(ValueError, match="unknown user id"):
        mf.predict([world.n_users], [0])
    with pytest.raises(ValueError, match="unknown item id"):
        mf.predict([0], [-1])
    with pytest.raises(ValueError, match="same length"):
        mf.predict([0, 1], [0])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        mf.recommend(0, k=0)
    with pytest.raises(ValueError, match="unknown user id"):
        mf.recommend(world.n_users + 5)
    with pytest.raises(ValueError, match="empty"):
        Biases().fit(train.iloc[:0])
    with pytest.raises(ValueError, match="missing column"):
        MF().fit(train.drop(columns="rating"))
    with pytest.raises(ValueError, match="n_factors"):
        MF(n_factors=0)
    with pytest.raises(ValueError, match="l2"):
        MF(l2=-1)
    with pytest.raises(ValueError, match="unknown item id"):
        Biases().fit(train, n_items=3)
    with pytest.raises(ValueError, match="ids must be integers"):
        Biases().fit(train).predict(["a"], ["b"])
