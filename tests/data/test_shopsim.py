import filecmp
import math

import numpy as np
import pandas as pd
import pytest

from reclib.data import load_shopsim, shopsim
from reclib.data.splits import random_split
from reclib.models.baselines import Biases, GlobalMean


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
        model.fit(train, items=w.items, users=w.users)
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
    (dict(n_users=0), "n_users must be an integer >= 1, got 0"),
    (dict(n_items=-3), "n_items must be an integer >= 1"),
    (dict(n_users=2.5), "n_users must be an integer"),
    (dict(ratings_per_user=0), "ratings_per_user must be an integer >= 1"),
    (dict(categories=["phone", "spaceship"]), "category must be one of .*got 'spaceship'"),
    (dict(categories="phone"), "not the string 'phone'; write \\['phone'\\]"),
    (dict(categories=[]), "categories must not be empty"),
    (dict(categories=["tea", "tea"]), "categories must not repeat"),
    (dict(seed="42"), "seed must be an integer"),
    (dict(seed=1.5), "seed must be an integer"),
    (dict(seed=-1), "seed must be an integer >= 0"),
    (dict(noise=0), "noise must be > 0"),
    (dict(noise=float("nan")), "noise must be a finite number"),
    (dict(n_items=3), "n_items .* must be at least the number of categories"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shopsim.generate(**kwargs)


def test_oracle_rejects_unknown_ids(small):
    with pytest.raises(ValueError, match="unknown user id 300: known ids are 0..299"):
        small.expected_rating([small.n_users], [0])
    with pytest.raises(ValueError, match="unknown item id -1"):
        small.true_reasons(0, -1)
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        small.expected_rating([0, 1], [0])


@pytest.mark.parametrize("call, message", [
    (lambda w: w.expected_rating([1.5], [0]), "user ids must be whole numbers, got 1.5"),
    (lambda w: w.utility([0], [2.5]), "item ids must be whole numbers, got 2.5"),
    (lambda w: w.utility(["3"], [0]), "user ids must be integers 0..n-1, got '3'"),
    (lambda w: w.rating_distribution([0], ["a"]), "item ids must be integers"),
    (lambda w: w.true_reasons(1.5, 0), "user ids must be whole numbers"),
    (lambda w: w.true_reasons([0, 1], 0), "one user id and one item id"),
    (lambda w: w.item_aspect_set(0.5), "item ids must be whole numbers"),
    (lambda w: w.item_aspect_set(80), "unknown item id 80"),
    (lambda w: w.utility([[0, 1]], [[0, 1]]), "1-D"),
    (lambda w: w.utility([True], [0]), "booleans"),
])
def test_oracle_rejects_bad_ids(small, call, message):
    """1.5 is not truncated to 1, and "3" is not read as 3."""
    with pytest.raises(ValueError, match=message):
        call(small)


def test_oracle_accepts_one_pair_and_whole_floats(small):
    one = small.expected_rating(3, 7)
    assert isinstance(one, float)
    assert one == pytest.approx(small.expected_rating([3], [7])[0])
    np.testing.assert_array_equal(small.utility(np.array([3.0]), [7]), small.utility([3], [7]))
    assert small.utility([], []).shape == (0,)


def test_vectorised_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-12, 12, 20001), [0.0, 1.5, -1.5, np.inf, -np.inf]])
    np.testing.assert_allclose(shopsim._erf(x), [math.erf(v) for v in x], rtol=0, atol=2e-15)
    np.testing.assert_array_equal(shopsim._normal_cdf([-np.inf, 0.0, np.inf]), [0, 0.5, 1])


def test_phrase_banks_have_their_own_module():
    from reclib.data import shopsim_phrases
    assert shopsim.PHRASES is shopsim_phrases.PHRASES
    assert set(shopsim_phrases.PHRASES) == set(shopsim.ASPECTS) == set(shopsim.TITLE_WORDS)
    for aspect, banks in shopsim_phrases.PHRASES.items():   # the feature word is in the text
        assert all(aspect in phrase for bank in banks.values() for phrase in bank)


def test_load_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="no ShopSim world"):
        shopsim.load(tmp_path)
