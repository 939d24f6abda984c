import filecmp

import numpy as np
import pandas as pd
import pytest

from reclib.data import load_shopsim, shopsim
from reclib.data.splits import random_split
from reclib.models.baselines import Biases, GlobalMean, Popularity


@pytest.fixture(scope="module")
def small():
    return shopsim.generate(n_users=300, n_items=80, seed=3)


def test_default_world_regenerates_byte_for_byte(tmp_path):
    shopsim.save(shopsim.generate(), tmp_path)
    cmp = filecmp.dircmp(tmp_path, shopsim.DATA_DIR)
    files = ["items.csv", "users.csv", "ratings.csv"]
    for f in files:
        assert filecmp.cmp(tmp_path / f, shopsim.DATA_DIR / f, shallow=False), f
    for f in ["item_aspects.csv", "user_weights.csv", "params.json"]:
        assert filecmp.cmp(tmp_path / "truth" / f, shopsim.DATA_DIR / "truth" / f,
                           shallow=False), f
    assert not cmp.left_only and not cmp.right_only


def test_default_world_sizes_and_text_statistics():
    w = load_shopsim()
    s = w.stats()
    assert s["users"] == 2000 and s["items"] == 600 and s["categories"] == 10
    assert 12 <= s["aspects"] <= 15
    assert 40_000 <= s["ratings"] <= 70_000
    assert s["unique_review_share"] >= 0.5
    assert s["vocabulary"] >= 200
    for aspects in shopsim.CATEGORY_ASPECTS.values():
        assert 4 <= len(aspects) <= 5


def test_deterministic_and_seed_dependent():
    a = shopsim.generate(n_users=50, n_items=20, seed=1)
    b = shopsim.generate(n_users=50, n_items=20, seed=1)
    c = shopsim.generate(n_users=50, n_items=20, seed=2)
    pd.testing.assert_frame_equal(a.ratings, b.ratings)
    assert not a.ratings[["user_id", "item_id"]].equals(c.ratings[["user_id", "item_id"]])


def test_ratings_are_integers_in_range_and_feature_word_in_text(small):
    r = small.ratings
    assert r["rating"].between(1, 5).all()
    assert (r["rating"] == r["rating"].round()).all()
    assert all(a in t.lower() for a, t in zip(r["aspect"], r["text"]))
    assert set(r["sentiment"]) <= {"positive", "negative"}
    # the feature word is an aspect of the item's category
    cats = small.items.set_index("item_id")["category"]
    assert all(a in shopsim.CATEGORY_ASPECTS[cats[i]] for a, i in zip(r["aspect"], r["item_id"]))
    assert not r.duplicated(["user_id", "item_id"]).any()


def test_review_aspect_is_top_true_reason(small):
    r = small.ratings.sample(200, random_state=0)
    for u, i, a, s in r[["user_id", "item_id", "aspect", "sentiment"]].values:
        top = small.true_reasons(u, i).iloc[0]
        assert (top["aspect"], top["sentiment"]) == (a, s)


def test_selection_is_not_uniform(small):
    # users rate items they like: mean utility of rated pairs exceeds that of all pairs
    r = small.ratings
    rated = small.utility(r["user_id"], r["item_id"]).mean()
    uu, ii = np.meshgrid(np.arange(small.n_users), np.arange(small.n_items), indexing="ij")
    assert rated > small.utility(uu.ravel(), ii.ravel()).mean() + 0.1
    # and popular items get more ratings (in the default world, which is not saturated)
    w = load_shopsim()
    counts = np.bincount(w.ratings["item_id"], minlength=w.n_items)
    pop = w.items["popularity"].to_numpy()
    top, bottom = pop >= np.quantile(pop, 0.8), pop <= np.quantile(pop, 0.5)
    assert counts[top].mean() > 1.5 * counts[bottom].mean()


def test_expected_rating_matches_monte_carlo(small):
    u, i = np.array([0, 5, 9]), np.array([3, 7, 11])
    m = small.utility(u, i)
    rng = np.random.default_rng(0)
    draws = np.clip(np.round(m[:, None] + rng.normal(0, small.noise, (3, 200_000))), 1, 5)
    np.testing.assert_allclose(small.expected_rating(u, i), draws.mean(1), atol=0.01)
    p = small.rating_distribution(u, i)
    np.testing.assert_allclose(p.sum(1), 1.0)


def test_oracle_rmse_is_realistic():
    w = load_shopsim()
    r = w.ratings
    e = w.expected_rating(r["user_id"], r["item_id"])
    assert 0.75 <= np.sqrt(np.mean((e - r["rating"]) ** 2)) <= 0.95


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expected_rating_beats_every_baseline(seed):
    w = shopsim.generate(n_users=400, n_items=100, seed=seed)
    train, test = random_split(w.ratings, 0.2, seed=seed)
    y, u, i = test["rating"].to_numpy(), test["user_id"], test["item_id"]
    err = lambda p: np.sqrt(np.mean((np.clip(p, 1, 5) - y) ** 2))
    oracle = err(w.expected_rating(u, i))
    for model in (GlobalMean(), Biases()):
        model.fit(train, w.n_users, w.n_items)
        assert oracle < err(model.predict(u, i))


def test_true_reasons_ranked_and_signed(small):
    t = small.true_reasons(0, 0)
    assert set(t["aspect"]) == small.item_aspect_set(0)
    c = t["contribution"].to_numpy()
    assert np.all(np.diff(np.abs(c)) <= 1e-12)
    assert ((c >= 0) == (t["sentiment"] == "positive")).all()


def test_load_roundtrip(tmp_path, small):
    shopsim.save(small, tmp_path)
    back = shopsim.load(tmp_path)
    pd.testing.assert_frame_equal(back.ratings, small.ratings)
    np.testing.assert_allclose(back.expected_rating([1, 2], [3, 4]),
                               small.expected_rating([1, 2], [3, 4]), atol=1e-5)


def test_categories_subset():
    w = shopsim.generate(n_users=50, n_items=30, categories=["phone", "tea"], seed=0)
    assert set(w.items["category"]) == {"phone", "tea"}


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_users=0), "n_users must be positive"),
    (dict(n_items=-3), "n_items must be positive"),
    (dict(n_users=2.5), "n_users must be an integer"),
    (dict(ratings_per_user=0), "ratings_per_user must be positive"),
    (dict(categories=["phone", "spaceship"]), "unknown category 'spaceship'"),
    (dict(categories=[]), "categories must not be empty"),
    (dict(seed="42"), "seed must be a non-negative integer"),
    (dict(seed=1.5), "seed must be a non-negative integer"),
    (dict(noise=0), "noise must be a positive number"),
    (dict(n_items=3), "n_items .* must be at least the number of categories"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shopsim.generate(**kwargs)


def test_oracle_rejects_unknown_ids(small):
    with pytest.raises(ValueError, match="unknown user id"):
        small.expected_rating([small.n_users], [0])
    with pytest.raises(ValueError, match="unknown item id"):
        small.true_reasons(0, -1)
    with pytest.raises(ValueError, match="same shape"):
        small.expected_rating([0, 1], [0])


def test_load_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="no ShopSim world"):
        shopsim.load(tmp_path)
