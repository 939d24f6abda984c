"""Tests for reclib.models.mf_numpy: loss, gradients, SGD and ALS."""
from functools import partial

import numpy as np
import pandas as pd
import pytest

from reclib.models.mf_numpy import (MFParams, _init, als_fit, mf_gradients, mf_loss,
                                    numerical_gradient, sgd_fit)

CONTINUOUS = (1, 5)  # _table's ratings are any value in [1, 5], not whole stars
sgd = partial(sgd_fit, scale=CONTINUOUS)
als = partial(als_fit, scale=CONTINUOUS)


def _random_params(n_users=6, n_items=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return MFParams(3.0, rng.normal(0, 0.3, n_users), rng.normal(0, 0.3, n_items),
                    rng.normal(0, 0.5, (n_users, k)), rng.normal(0, 0.5, (n_items, k)))


def _random_ratings(n_users=6, n_items=5, n=20, seed=0):
    rng = np.random.default_rng(seed)
    pairs = rng.choice(n_users * n_items, size=n, replace=False)
    return pairs // n_items, pairs % n_items, rng.integers(1, 6, n).astype(float)


def _table(n_users=40, n_items=30, k=2, density=0.5, noise=0.3, seed=0):
    """A ratings table from a rank-k model plus noise, ratings in [1, 5]."""
    rng = np.random.default_rng(seed)
    P = rng.normal(0, 0.6, (n_users, k))
    Q = rng.normal(0, 0.6, (n_items, k))
    full = 3 + rng.normal(0, 0.3, n_users)[:, None] + P @ Q.T
    u, i = np.nonzero(rng.random((n_users, n_items)) < density)
    r = np.clip(full[u, i] + rng.normal(0, noise, len(u)), 1, 5)
    return pd.DataFrame({"user_id": u, "item_id": i, "rating": r,
                         "timestamp": np.arange(len(u))})


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_gradient_matches_central_differences(l2):
    params = _random_params()
    u, i, r = _random_ratings()
    exact = mf_gradients(params, u, i, r, l2)
    numeric = numerical_gradient(params, u, i, r, l2, h=1e-6)
    for name in exact:
        assert exact[name].shape == getattr(params, name).shape
        np.testing.assert_allclose(exact[name], numeric[name], rtol=1e-6, atol=1e-6)


def test_gradient_check_detects_a_wrong_gradient():
    params = _random_params()
    u, i, r = _random_ratings()
    wrong = mf_gradients(params, u, i, r, 0.0)["P"]  # l2 term missing
    numeric = numerical_gradient(params, u, i, r, 0.7)["P"]
    assert np.abs(wrong - numeric).max() > 0.1


def test_numerical_gradient_of_a_known_loss():
    # one rating, no factors' interaction at zero: dJ/db_u = -2 e + 2 l2 b_u
    params = MFParams(3.0, np.array([0.5]), np.array([0.0]),
                      np.zeros((1, 1)), np.zeros((1, 1)))
    g = numerical_gradient(params, [0], [0], [4.0], 0.25)
    assert g["user_bias"] == pytest.approx([-2 * 0.5 + 2 * 0.25 * 0.5])
    assert g["P"][0, 0] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="h must be > 0"):
        numerical_gradient(params, [0], [0], [4.0], 0.25, h=0)


def test_loss_by_hand():
    params = MFParams(3.0, np.array([0.5]), np.array([-0.25]),
                      np.array([[1.0, 2.0]]), np.array([[0.5, 0.25]]))
    # prediction 3 + 0.5 - 0.25 + 1.0 = 4.25, error 0.75
    penalty = 1 + 4 + 0.25 + 0.0625 + 0.25 + 0.0625
    assert mf_loss(params, [0], [0], [5.0], 0.5) == pytest.approx(0.75 ** 2 + 0.5 * penalty)
    assert params.predict([0], [0]) == pytest.approx([4.25])


def test_params_shapes_are_checked():
    ok = dict(mu=3.0, user_bias=np.zeros(4), item_bias=np.zeros(3),
              P=np.zeros((4, 2)), Q=np.zeros((3, 2)))
    assert MFParams(**ok).n_factors == 2
    for bad, msg in [(dict(Q=np.zeros((3, 5))), "same number of columns"),
                     (dict(P=np.zeros(4)), "2-D"),
                     (dict(user_bias=np.zeros(5)), "user_bias"),
                     (dict(item_bias=np.zeros((3, 1))), "item_bias")]:
        with pytest.raises(ValueError, match=msg):
            MFParams(**dict(ok, **bad))


def test_als_loss_never_increases():
    df = _table()
    params = als(df, n_factors=4, l2=0.5, n_iter=12, seed=1)
    loss = np.array(params.history["loss"])
    assert len(loss) == 13
    assert np.all(np.diff(loss) <= 1e-9 * loss[:-1])
    assert loss[-1] < 0.5 * loss[0]


def test_als_user_step_zeroes_the_user_gradient():
    df = _table()
    params = als(df, n_factors=3, l2=2.0, n_iter=3, seed=0)
    g = mf_gradients(params, df["user_id"], df["item_id"], df["rating"], 2.0)
    # the last half-step solved the items exactly: their gradient is 0
    assert np.abs(g["Q"]).max() < 1e-8 and np.abs(g["item_bias"]).max() < 1e-8
    assert np.abs(g["P"]).max() > 1e-4  # the users moved afterwards


def test_als_recovers_a_low_rank_matrix():
    df = _table(density=1.0, noise=0.0)
    params = als(df, n_factors=2, l2=1e-4, n_iter=40, seed=0)
    assert params.history["train_rmse"][-1] < 0.02


def test_sgd_loss_decreases_and_is_deterministic():
    df = _table()
    a = sgd(df, n_factors=4, l2=0.5, lr=0.05, epochs=40, seed=3)
    b = sgd(df, n_factors=4, l2=0.5, lr=0.05, epochs=40, seed=3)
    loss = a.history["loss"]
    assert len(loss) == 41
    assert loss[-1] < 0.5 * loss[0]
    np.testing.assert_array_equal(a.P, b.P)
    # SGD and ALS minimize the same objective: similar final values
    ref = als(df, n_factors=4, l2=0.5, n_iter=20, seed=3)
    assert loss[-1] < 1.1 * ref.history["loss"][-1]


def test_full_batch_sgd_epoch_is_one_gradient_step():
    # with one batch holding every rating, an epoch moves the parameters by
    # -lr/2 times the exact gradient of J (the factor 2 is folded into lr)
    df = _table(n_users=30, n_items=20)
    u, i, r = df["user_id"].to_numpy(), df["item_id"].to_numpy(), df["rating"].to_numpy()
    expected = _init(30, 20, 3, r.mean(), u, i, seed=4)
    for _ in range(2):  # two epochs (the biases start at 0; the second moves them off it)
        grad = mf_gradients(expected, u, i, r, 2.0)
        for name in ("user_bias", "item_bias", "P", "Q"):
            setattr(expected, name, getattr(expected, name) - 0.005 * grad[name])
    after = sgd(df, 30, 20, n_factors=3, l2=2.0, lr=0.01, epochs=2, seed=4,
                    batch_size=len(df))
    for name in ("user_bias", "item_bias", "P", "Q"):
        np.testing.assert_allclose(getattr(after, name), getattr(expected, name),
                                   atol=1e-12)


def test_sgd_too_large_step_raises():
    with pytest.raises(FloatingPointError, match="lr"):
        sgd(_table(), n_factors=4, l2=0.5, lr=50.0, epochs=3, seed=0)


@pytest.mark.parametrize("fit", [sgd, als])
def test_shapes_and_validation_history(fit):
    df = _table(seed=1)
    val = _table(seed=2)
    params = fit(df, n_users=45, n_items=33, n_factors=3, seed=0,
                 validation={"val": val, "test": val.iloc[:10]})
    assert params.P.shape == (45, 3) and params.Q.shape == (33, 3)
    assert params.user_bias.shape == (45,) and params.item_bias.shape == (33,)
    # ids with no ratings keep zero parameters
    assert np.all(params.P[40:] == 0) and np.all(params.item_bias[30:] == 0)
    pred = params.predict([0, 1, 44], [0, 2, 32])
    assert pred.shape == (3,)
    n = len(params.history["loss"])
    assert len(params.history["val_rmse"]) == n == len(params.history["test_rmse"])
    single = fit(df, n_factors=3, seed=0, validation=val)
    assert len(single.history["val_rmse"]) == len(single.history["loss"])


@pytest.mark.parametrize("call,msg", [
    (lambda p: mf_loss(p, [0, 1], [0], [3.0], 0.1), "same length"),
    (lambda p: mf_loss(p, [0, 1], [0, 1], [3.0], 0.1), "mismatched lengths"),
    (lambda p: mf_loss(p, [0, 99], [0, 1], [3.0, 4.0], 0.1), "unknown user id 99"),
    (lambda p: mf_gradients(p, [0], [-1], [3.0], 0.1), "unknown item id -1"),
    (lambda p: mf_loss(p, [], [], [], 0.1), "empty input"),
    (lambda p: mf_loss(p, [0], [0], [3.0], -1.0), "l2 must be >= 0"),
    (lambda p: mf_gradients(p, [0], [0], [3.0], -0.5), "l2 must be >= 0"),
    (lambda p: mf_loss(p, [0], [0], [np.nan], 0.1), "NaN"),
    (lambda p: p.predict([0, 1], [0]), "same length"),
    (lambda p: p.predict([6], [0]), "unknown user id 6"),
])
def test_bad_input_to_loss_and_predict(call, msg):
    with pytest.raises(ValueError, match=msg):
        call(_random_params())


@pytest.mark.parametrize("fit", [sgd, als])
@pytest.mark.parametrize("kwargs,msg", [
    (dict(n_factors=0), "n_factors"),
    (dict(n_factors=2.5), "n_factors"),
    (dict(l2=-0.1), "l2 must be >= 0"),
    (dict(seed=-2), "seed must be an integer >= 0"),
    (dict(n_users=-3), "number of users must be an integer >= 1"),
    (dict(n_users=5), "unknown user id"),
    (dict(n_items=3), "unknown item id"),
])
def test_bad_input_to_fit(fit, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        fit(_table(), **kwargs)


@pytest.mark.parametrize("fit", [sgd, als])
def test_empty_and_malformed_training_data(fit):
    empty = _table().iloc[:0]
    with pytest.raises(ValueError, match="empty"):
        fit(empty, n_users=3, n_items=3)
    with pytest.raises(ValueError, match="missing column"):
        fit(_table().drop(columns="rating"))
    with pytest.raises(ValueError, match="unknown user id"):
        fit(_table(), validation=_table(n_users=60))


def test_bad_settings():
    df = _table()
    for lr in (0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="lr"):
            sgd(df, lr=lr)
    with pytest.raises(ValueError, match="epochs"):
        sgd(df, epochs=0)
    with pytest.raises(ValueError, match="n_iter"):
        als(df, n_iter=0)
    with pytest.raises(ValueError, match="singular"):
        # l2 = 0 and users with fewer ratings than parameters
        als(_table(density=0.1), n_factors=8, l2=0.0)


@pytest.mark.parametrize("fit", [sgd_fit, als_fit])
def test_the_rating_scale_is_checked(fit):
    whole = _table().assign(rating=lambda d: d["rating"].round())
    assert fit(whole, n_factors=2, seed=0).n_factors == 2          # whole stars: the default
    with pytest.raises(ValueError, match="not on the scale 1..5 in steps of 1"):
        fit(_table(), n_factors=2)                                  # 3.7 is not a star
    half = whole.assign(rating=whole["rating"] - 0.5)               # 0.5 .. 4.5
    params = fit(half, n_factors=2, seed=0, scale=(0.5, 5, 0.5), validation=half)
    assert np.isfinite(params.history["val_rmse"]).all()


@pytest.mark.parametrize("fit", [sgd, als])
@pytest.mark.parametrize("change, msg", [
    (lambda v: v.assign(rating=v["rating"].where(v.index > 0, np.nan)), "missing values"),
    (lambda v: v.assign(rating=v["rating"].where(v.index > 0, 9.0)), "rating 9 is not on"),
    (lambda v: v.assign(user_id=v["user_id"].astype(str)), "ids must be integers"),
])
def test_validation_tables_are_checked(fit, change, msg):
    with pytest.raises(ValueError, match=msg):
        fit(_table(), n_factors=2, validation={"val": change(_table(seed=2))})


def test_weighted_als_minimizes_the_keras_form_of_the_loss():
    """With ``weighted=True`` the penalty of user u is l2 * n_u: divided by the
    number of ratings, the loss is the mean-over-ratings form Keras uses."""
    df = _table(seed=3)
    params = als(df, n_factors=3, l2=0.2, n_iter=8, seed=0, weighted=True)
    loss = np.array(params.history["loss"])
    assert np.all(np.diff(loss) <= 1e-9 * loss[:-1])
    u, i, r = df["user_id"].to_numpy(), df["item_id"].to_numpy(), df["rating"].to_numpy()
    err = r - params.predict(u, i)
    per_rating = (np.sum(params.P[u] ** 2, 1) + np.sum(params.Q[i] ** 2, 1)
                  + params.user_bias[u] ** 2 + params.item_bias[i] ** 2)
    assert loss[-1] / len(df) == pytest.approx(np.mean(err ** 2) + 0.2 * np.mean(per_rating))
    # the last half-step solved the items: the weighted item gradient is zero
    n_i = np.bincount(i, minlength=params.n_items)
    g_q = -2 * np.stack([np.bincount(i, err * params.P[u][:, f], params.n_items)
                         for f in range(3)], 1) + 2 * 0.2 * n_i[:, None] * params.Q
    assert np.abs(g_q).max() < 1e-8
    plain = als(df, n_factors=3, l2=0.2, n_iter=8, seed=0)
    assert not np.allclose(plain.Q, params.Q)
    with pytest.raises(ValueError, match="weighted must be True or False"):
        als(df, weighted="yes")
