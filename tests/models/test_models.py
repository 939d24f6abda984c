"""Tests for the baselines and the Keras MF: the recommender protocol, their
numbers, seeding, saving, and the error paths."""
import random

import numpy as np
import pandas as pd
import pytest

import reclib  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from reclib.checks import HALF_STARS, NotFittedError
from reclib.data.splits import random_split
from reclib.models.baselines import Biases, GlobalMean, Popularity
from reclib.models.mf import MF
from reclib.protocol import Recommender


@pytest.fixture(scope="module")
def world(world_400x120):
    return world_400x120


@pytest.fixture(scope="module")
def split(world):
    return random_split(world.ratings, 0.2, seed=0)


@pytest.fixture(scope="module")
def mf(world, split):
    return MF(n_factors=8, epochs=8, seed=0).fit(split[0], users=world.n_users,
                                                 items=world.n_items)


def rmse(p, y):
    return float(np.sqrt(np.mean((np.clip(p, 1, 5) - y) ** 2)))


def _table(rows, ratings=None):
    df = pd.DataFrame(rows, columns=["user_id", "item_id"])
    df["rating"] = 4.0 if ratings is None else ratings
    df["timestamp"] = np.arange(len(df))
    return df


# ------------------------------------------------------------------ numbers
def test_global_mean(split):
    train, test = split
    m = GlobalMean().fit(train)
    assert np.allclose(m.predict(test.user_id[:3], test.item_id[:3]), train.rating.mean())
    assert isinstance(m, Recommender) and m.fit_time_ >= 0


def test_biases_recover_known_biases():
    # r = 3 + b_u + b_i exactly: unregularized biases recover the sum
    rng = np.random.default_rng(0)
    bu, bi = rng.normal(0, 0.5, 30), rng.normal(0, 0.5, 20)
    uu, ii = np.meshgrid(np.arange(30), np.arange(20), indexing="ij")
    df = pd.DataFrame({"user_id": uu.ravel(), "item_id": ii.ravel(),
                       "rating": np.clip(3 + bu[uu.ravel()] + bi[ii.ravel()], 1, 5),
                       "timestamp": 0})
    m = Biases(reg=0.0, n_iter=50, scale=(1, 5)).fit(df)
    np.testing.assert_allclose(m.predict(df.user_id, df.item_id), df.rating, atol=1e-6)


def test_biases_without_penalty_keep_unrated_items_at_zero():
    m = Biases(reg=0.0).fit(_table([(0, 0), (1, 0)]), items=3)
    assert np.isfinite(m.score_matrix()).all() and m.item_bias_[1:].tolist() == [0.0, 0.0]


def test_biases_beat_global_mean(world, split):
    train, test = split
    g = GlobalMean().fit(train, users=world.n_users, items=world.n_items)
    b = Biases().fit(train, users=world.users, items=world.items)   # tables work too
    assert b.n_users_ == world.n_users and b.n_items_ == world.n_items
    assert rmse(b.predict(test.user_id, test.item_id), test.rating) < \
        rmse(g.predict(test.user_id, test.item_id), test.rating)


def test_mf_beats_biases_and_learns(world, split, mf):
    train, test = split
    b = Biases().fit(train, users=world.n_users, items=world.n_items)
    assert rmse(mf.predict(test.user_id, test.item_id), test.rating) < \
        rmse(b.predict(test.user_id, test.item_id), test.rating)
    assert mf.history_["loss"][-1] < mf.history_["loss"][0]
    assert len(mf.history_["loss"]) == 8
    assert mf.user_factors.shape == (world.n_users, 8)
    assert mf.item_factors.shape == (world.n_items, 8)


def test_mf_predict_matches_the_keras_model(mf):
    u, i = np.array([0, 1, 2]), np.array([5, 6, 7])
    users = mf.model_.get_layer("mf").users.embeddings.numpy()    # rows [b_u, p_u]
    items = mf.model_.get_layer("mf").items.embeddings.numpy()    # rows [b_i, q_i]
    np.testing.assert_array_equal(users[:, 0], mf.user_bias)
    np.testing.assert_array_equal(items[:, 1:], mf.item_factors)
    manual = (mf.mean_ + mf.user_bias[u] + mf.item_bias[i]
              + np.sum(mf.user_factors[u] * mf.item_factors[i], axis=1))
    keras_out = mf.model_.predict([u.astype("int32"), i.astype("int32")], verbose=0)
    np.testing.assert_allclose(mf.predict(u, i), manual, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mf.predict(u, i), np.ravel(keras_out), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mf.score_matrix([1])[0, 6], mf.predict([1], [6])[0], rtol=1e-6)


def test_mf_history_rmse_is_the_clipped_rmse(world, split):
    train, test = split
    m = MF(n_factors=4, epochs=2, seed=1).fit(train, users=world.n_users, items=world.n_items,
                                              validation=test)
    assert m.history_["val_rmse"][-1] == pytest.approx(
        rmse(m.predict(test.user_id, test.item_id), test.rating), rel=1e-4)
    assert set(m.history_) == {"loss", "rmse", "val_loss", "val_rmse"}


def test_mf_als_solver_minimizes_the_same_loss(world, split):
    train, test = split
    # ALS solves the loss to the end (Adam stops after a few epochs, which
    # regularizes too), so on this small, sparse world it wants fewer factors
    als = MF(n_factors=2, epochs=6, solver="als", seed=0).fit(
        train, users=world.n_users, items=world.n_items, validation=test)
    loss = np.array(als.history_["loss"])
    assert np.all(np.diff(loss) <= 1e-9)                       # ALS never goes up
    b = Biases().fit(train, users=world.n_users, items=world.n_items)
    assert rmse(als.predict(test.user_id, test.item_id), test.rating) < \
        rmse(b.predict(test.user_id, test.item_id), test.rating)
    assert als.history_["val_rmse"][-1] == pytest.approx(
        rmse(als.predict(test.user_id, test.item_id), test.rating), rel=1e-5)
    # the Keras model holds the ALS solution: its own loss equals the reported one
    x = [train.user_id.to_numpy("int32"), train.item_id.to_numpy("int32")]
    keras_loss = als.model_.evaluate(x, train.rating.to_numpy("float32"), batch_size=len(train),
                                     verbose=0, return_dict=True)["loss"]
    assert keras_loss == pytest.approx(loss[-1], rel=1e-4)
    with pytest.raises(ValueError, match="callbacks need solver='adam'"):
        MF(solver="als").fit(train, callbacks=[object()])


def test_half_stars_are_accepted_with_their_scale():
    df = _table([(0, 0), (0, 1), (1, 0), (1, 1), (2, 1)], [0.5, 4.5, 3.0, 5.0, 2.5])
    for model in (GlobalMean(scale=HALF_STARS), Biases(scale=HALF_STARS),
                  MF(epochs=1, scale=HALF_STARS)):
        assert model.fit(df).predict([0], [1]).shape == (1,)
        with pytest.raises(ValueError, match="not on the scale"):
            type(model)().fit(df)                             # whole stars by default
    mf = MF(epochs=1, scale=HALF_STARS).fit(df, validation=df)
    assert "val_rmse" in mf.history_


# ------------------------------------------------------------------ seeding
def test_mf_is_reproducible_and_leaves_the_global_state_alone(world, split):
    train, test = split
    np.random.seed(123)
    random.seed(5)
    numpy_state, python_state = np.random.get_state()[1].copy(), random.getstate()
    a = MF(n_factors=4, epochs=2, seed=3).fit(train, users=world.n_users, items=world.n_items)
    assert (np.random.get_state()[1] == numpy_state).all()
    assert random.getstate() == python_state
    b = MF(n_factors=4, epochs=2, seed=3).fit(train, users=world.n_users, items=world.n_items)
    c = MF(n_factors=4, epochs=2, seed=4).fit(train, users=world.n_users, items=world.n_items)
    pa, pb = a.predict(test.user_id, test.item_id), b.predict(test.user_id, test.item_id)
    # equal up to float32 rounding (TensorFlow's CPU kernels may sum in a
    # different order from one run to the next); another seed differs by far more
    np.testing.assert_allclose(pa, pb, rtol=0, atol=1e-5)
    assert np.abs(pa - c.predict(test.user_id, test.item_id)).max() > 1e-2


# ------------------------------------------------------------------ recommend
@pytest.mark.parametrize("model", ["mf", "biases", "popularity"])
def test_recommend_excludes_rated(model, world, split, mf):
    train, _ = split
    m = {"mf": mf, "biases": Biases().fit(train, users=world.n_users, items=world.n_items),
         "popularity": Popularity().fit(train, users=world.n_users, items=world.n_items)}[model]
    for user in [0, 17, 42]:
        recs = m.recommend(user, k=10)
        assert len(recs) == 10 and len(set(recs)) == 10
        rated = set(train.loc[train.user_id == user, "item_id"])
        assert not rated & set(recs)
    s = m.score_matrix([0])[0]
    recs = m.recommend(0, k=5)
    unrated = np.setdiff1d(np.arange(world.n_items), list(m.rated_[0]))
    assert np.isclose(s[recs[0]], s[unrated].max())
    assert np.all(np.diff(s[recs]) <= 1e-9)
    lists = m.recommend_all(k=5, users=[0, 17])
    assert set(lists) == {0, 17}
    np.testing.assert_allclose(s[lists[0]], s[recs])       # same scores (ties may reorder)
    assert len(m.recommend_all(k=3)) == world.n_users


def test_popularity_ranks_by_count(world, split):
    train, _ = split
    p = Popularity().fit(train, users=world.n_users, items=world.n_items)
    counts = np.bincount(train.item_id, minlength=world.n_items)
    recs = p.recommend(0, k=5, exclude_rated=False)
    assert list(counts[recs]) == sorted(counts, reverse=True)[:5]
    np.testing.assert_array_equal(p.predict([0, 3], [1, 1]), counts[[1, 1]])


def test_popularity_reads_any_interaction_table():
    clicks = pd.DataFrame({"user_id": [0, 1, 1], "item_id": [2, 2, 0]})   # no ratings at all
    assert Popularity().fit(clicks).recommend(0, k=1).tolist() == [0]


# ------------------------------------------------------------------ saving
def test_mf_saves_and_loads(tmp_path, mf, world):
    path = tmp_path / "mf.keras"
    mf.save(path)
    loaded = MF.load(path)
    np.testing.assert_array_equal(loaded.score_matrix(), mf.score_matrix())
    np.testing.assert_array_equal(loaded.recommend(3, k=7), mf.recommend(3, k=7))
    assert (loaded.n_factors, loaded.seed, loaded.epochs) == (8, 0, 8)
    assert loaded.history_["loss"] == pytest.approx(mf.history_["loss"])
    assert loaded.rated_.keys() == mf.rated_.keys()
    with pytest.raises(ValueError, match="must end with .keras"):
        mf.save(tmp_path / "mf.h5")
    with pytest.raises(ValueError, match="no such file"):
        MF.load(tmp_path / "missing.keras")
    with pytest.raises(NotFittedError):
        MF().save(path)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make, msg", [
    (lambda: MF(learning_rate=-0.01), "learning_rate must be > 0"),
    (lambda: MF(learning_rate=float("nan")), "learning_rate must be a finite number"),
    (lambda: MF(epochs=0), "epochs must be an integer >= 1"),
    (lambda: MF(epochs=2.5), "epochs must be an integer"),
    (lambda: MF(n_factors=0), "n_factors must be an integer >= 1"),
    (lambda: MF(batch_size=0), "batch_size must be an integer >= 1"),
    (lambda: MF(l2=-1), "l2 must be >= 0"),
    (lambda: MF(solver="sgd"), "solver must be one of"),
    (lambda: MF(seed=-1), "seed must be an integer >= 0"),
    (lambda: MF(scale=(5, 1)), "low < high"),
    (lambda: Biases(n_iter=0), "n_iter must be an integer >= 1"),
    (lambda: Biases(reg=-1), "reg must be >= 0"),
    (lambda: Biases(reg="a"), "reg must be a number"),
])
def test_bad_settings(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


MODELS = [GlobalMean, Biases, Popularity, lambda: MF(epochs=1)]


@pytest.mark.parametrize("make", MODELS)
def test_unfitted_use_is_a_clear_error(make):
    m = make()
    for call in (lambda: m.predict([0], [0]), lambda: m.recommend(0), lambda: m.score_matrix(),
                 lambda: m.recommend_all()):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call()


@pytest.mark.parametrize("make", MODELS)
@pytest.mark.parametrize("change, kwargs, msg", [
    (lambda t: t.iloc[:0], {}, "empty"),
    (lambda t: t.drop(columns="item_id"), {}, "missing column"),
    (lambda t: t.assign(user_id=t.user_id.astype(str)), {}, "ids must be integers"),
    (lambda t: t.assign(item_id=t.item_id + 0.5), {}, "whole numbers"),
    (lambda t: t.assign(user_id=t.user_id.where(t.index > 0, -1)), {}, "unknown user id -1"),
    (lambda t: t, {"users": -3}, "number of users must be an integer >= 1, got -3"),
    (lambda t: t, {"items": 3}, "unknown item id"),
    (lambda t: t, {"items": 2.5}, "number of items must be an integer"),
    ("not a table", {}, "must be a pandas DataFrame"),
])
def test_bad_training_tables(make, change, kwargs, msg, split):
    train = split[0]
    bad = change if isinstance(change, str) else change(train)
    with pytest.raises(ValueError, match=msg):
        make().fit(bad, **kwargs)


@pytest.mark.parametrize("make", [GlobalMean, Biases, lambda: MF(epochs=1)])
@pytest.mark.parametrize("change, msg", [
    (lambda t: t.assign(rating=t.rating.where(t.index > 0, np.nan)), "missing values"),
    (lambda t: t.assign(rating=t.rating.where(t.index > 0, 9)), "rating 9 is not on the scale"),
    (lambda t: t.assign(rating=t.rating.where(t.index > 0, np.inf)), "not on the scale|finite"),
    (lambda t: t.assign(rating=t.rating.astype(str)), "ratings must be numbers"),
])
def test_bad_ratings(make, change, msg, split):
    with pytest.raises(ValueError, match=msg):
        make().fit(change(split[0]))


@pytest.mark.parametrize("change, msg", [
    (lambda t: t.assign(rating=t.rating.where(t.index != t.index[0], np.nan)), "missing values"),
    (lambda t: t.assign(rating=t.rating.where(t.index != t.index[0], 9)), "not on the scale"),
    (lambda t: t.assign(user_id=t.user_id.where(t.index != t.index[0], 10 ** 6)),
     "unknown user id 1000000"),
    (lambda t: t.drop(columns="rating"), "missing column"),
    (lambda t: t.iloc[:0], "empty"),
])
def test_mf_checks_the_validation_table(change, msg, world, split):
    train, test = split
    with pytest.raises(ValueError, match=msg):
        MF(epochs=1).fit(train, users=world.n_users, items=world.n_items,
                         validation=change(test))


@pytest.mark.parametrize("call, msg", [
    (lambda m: m.predict([400], [0]), "unknown user id 400"),
    (lambda m: m.predict([0], [-1]), "unknown item id -1"),
    (lambda m: m.predict([0, 1], [0]), "same length"),
    (lambda m: m.predict([], []), "empty input"),
    (lambda m: m.predict(["a"], ["b"]), "ids must be integers"),
    (lambda m: m.predict([1.5], [0]), "whole numbers"),
    (lambda m: m.predict([np.nan], [0]), "whole numbers"),
    (lambda m: m.recommend(0, k=0), "k must be an integer >= 1"),
    (lambda m: m.recommend(405), "unknown user id 405"),
    (lambda m: m.recommend([0, 1]), "user must be one id"),
    (lambda m: m.recommend_all(k=3, users=[0, 999]), "unknown user id 999"),
    (lambda m: m.score_matrix([0.5]), "whole numbers"),
])
def test_bad_queries(call, msg, mf, world):
    assert world.n_users == 400
    with pytest.raises(ValueError, match=msg):
        call(mf)


def test_epoch_order_shuffles_each_epoch_into_full_batches():
    from reclib.models._fit import epoch_order
    order, batch, steps = epoch_order(10, 4, epochs=3, seed=0)
    assert (batch, steps) == (4, 3) and len(order) == 3 * 3 * 4      # every batch full
    first = order[:10]
    assert sorted(first) == list(range(10))                           # epoch 1 sees every row
    assert not np.array_equal(first, np.arange(10))                   # ... shuffled
    np.testing.assert_array_equal(order, epoch_order(10, 4, 3, seed=0)[0])
    assert not np.array_equal(order, epoch_order(10, 4, 3, seed=1)[0])
    assert epoch_order(3, 100, 2, seed=0)[1:] == (3, 1)               # batch capped at n


def test_no_seed_means_fresh_randomness_but_still_no_global_state(world, split):
    train = split[0]
    random.seed(11)
    python_state = random.getstate()
    a = MF(n_factors=4, epochs=1, seed=None).fit(train, users=world.n_users, items=world.n_items)
    b = MF(n_factors=4, epochs=1, seed=None).fit(train, users=world.n_users, items=world.n_items)
    assert random.getstate() == python_state
    assert np.abs(a.score_matrix([0]) - b.score_matrix([0])).max() > 1e-3
