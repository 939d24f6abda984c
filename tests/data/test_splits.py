import pandas as pd
import pytest

from reclib.checks import HALF_STARS
from reclib.data import shopsim
from reclib.data.splits import check_ratings, leave_last_out, random_split, temporal_split

SPLITS = [lambda df, **kw: random_split(df, 0.25, **kw),
          lambda df, **kw: temporal_split(df, 0.25, **kw),
          lambda df, **kw: leave_last_out(df, **kw)]


@pytest.fixture(scope="module")
def ratings():
    return shopsim.generate(n_users=200, n_items=50, seed=4).ratings


def test_random_split_partitions(ratings):
    train, test = random_split(ratings, 0.25, seed=0)
    assert len(train) + len(test) == len(ratings)
    assert abs(len(test) / len(ratings) - 0.25) < 0.03
    both = pd.concat([train, test]).sort_values(["user_id", "timestamp", "item_id"])
    assert set(map(tuple, both[["user_id", "item_id"]].values)) == \
        set(map(tuple, ratings[["user_id", "item_id"]].values))
    again, _ = random_split(ratings, 0.25, seed=0)
    pd.testing.assert_frame_equal(train, again)


def test_temporal_split_no_future_in_train(ratings):
    train, test = temporal_split(ratings, 0.2)
    assert train["timestamp"].max() <= test["timestamp"].min()
    assert len(train) + len(test) == len(ratings)


def test_leave_last_out(ratings):
    train, test = leave_last_out(ratings, n=1)
    assert test["user_id"].is_unique
    last = ratings.sort_values("timestamp").groupby("user_id").tail(1)
    merged = test.merge(last, on=["user_id", "item_id"])
    assert len(merged) == len(test)
    for u, t in test[["user_id", "timestamp"]].values[:50]:
        assert train.loc[train.user_id == u, "timestamp"].max() <= t


@pytest.mark.parametrize("bad, message", [
    (pd.DataFrame(), "missing column"),
    (pd.DataFrame({"user_id": [], "item_id": [], "rating": [], "timestamp": []}), "empty"),
    (pd.DataFrame({"user_id": [0], "item_id": [0], "rating": [7], "timestamp": [0]}),
     "rating 7 is not on the scale 1..5"),
    (pd.DataFrame({"user_id": [0], "item_id": [None], "rating": [3], "timestamp": [0]}), "missing values"),
])
def test_check_ratings_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        check_ratings(bad)


def test_bad_fractions(ratings):
    for f in (0, 1, -0.1, "0.2"):
        with pytest.raises(ValueError, match="test_fraction"):
            random_split(ratings, f)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        leave_last_out(ratings, n=0)
    with pytest.raises(ValueError, match="min_train must be an integer >= 0"):
        leave_last_out(ratings, min_train=-1)
    with pytest.raises(ValueError, match="seed"):
        random_split(ratings, 0.2, seed=-1)


@pytest.mark.parametrize("split", SPLITS)
def test_half_stars_need_the_half_star_scale(ratings, split):
    halves = ratings.assign(rating=ratings["rating"] - 0.5)   # 0.5 .. 4.5
    with pytest.raises(ValueError, match=r"rating \d.5 is not on the scale 1..5"):
        split(halves)
    train, test = split(halves, scale=HALF_STARS)
    assert len(train) + len(test) == len(halves)
    assert set(pd.concat([train, test])["rating"]) <= set(HALF_STARS.values())


def test_split_rejects_off_step_rating_on_half_stars(ratings):
    bad = ratings.assign(rating=ratings["rating"].astype(float))
    bad.loc[3, "rating"] = 3.25
    with pytest.raises(ValueError, match="3.25 is not on the scale 0.5..5 in steps of 0.5"):
        random_split(bad, scale=HALF_STARS)
