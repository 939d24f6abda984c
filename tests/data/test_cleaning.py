"""Tests for reclib.data.cleaning: every validation and cleaning path, and the
train-only scaler."""
import numpy as np
import pandas as pd
import pytest

from reclib.checks import HALF_STARS
from reclib.data.cleaning import (PROBLEMS, clean_ratings, fit_normalizer, item_features,
                                  scale_train_test, validate_ratings)


@pytest.fixture(scope="module")
def world(world_60x40):
    return world_60x40


@pytest.fixture()
def table():
    return pd.DataFrame({
        "user_id": [0, 0, 1, 2, 2],
        "item_id": [0, 1, 1, 2, 3],
        "rating": [5, 3, 4, 1, 2],
        "timestamp": [10, 20, 30, 40, 50],
        "text": ["a", "b", "c", "d", "e"],
    })


def with_row(table, **values):
    row = table.iloc[[0]].copy()
    for k, v in values.items():
        row[k] = [v]
    return pd.concat([table, row], ignore_index=True)


def problems_at(report, row):
    return list(report.loc[report["row"] == row, "problem"])


# --- clean input -------------------------------------------------------------

def test_clean_table_has_no_problems_and_is_unchanged(table):
    report = validate_ratings(table, n_users=3, n_items=4)
    assert report.empty and list(report.columns) == ["row", "column", "problem", "value"]
    clean, dropped = clean_ratings(table, n_users=3, n_items=4)
    pd.testing.assert_frame_equal(clean, table)
    assert list(dropped.index) == list(PROBLEMS) and dropped.sum() == 0


def test_shopsim_log_is_clean(world):
    clean, dropped = clean_ratings(world.ratings, world.n_users, world.n_items)
    pd.testing.assert_frame_equal(clean, world.ratings)
    assert dropped.sum() == 0


# --- each problem --------------------------------------------------------------

def test_exact_duplicate_is_reported_and_first_copy_kept(table):
    dirty = pd.concat([table, table.iloc[[2]]], ignore_index=True)
    report = validate_ratings(dirty, 3, 4)
    assert problems_at(report, 5) == ["duplicate"] and len(report) == 1
    clean, dropped = clean_ratings(dirty, 3, 4)
    pd.testing.assert_frame_equal(clean, table)
    assert dropped["duplicate"] == 1


def test_duplicate_pair_keeps_latest_timestamp(table):
    # the same (user, item) re-rated later, and the later row comes first in the table
    later = table.iloc[[1]].assign(rating=1, timestamp=99)
    dirty = pd.concat([later, table], ignore_index=True)
    report = validate_ratings(dirty, 3, 4)
    assert problems_at(report, 2) == ["duplicate"]  # the old row (table row 1) is dropped
    clean, _ = clean_ratings(dirty, 3, 4)
    kept = clean[(clean["user_id"] == 0) & (clean["item_id"] == 1)]
    assert list(kept["rating"]) == [1] and len(clean) == len(table)


@pytest.mark.parametrize("rating, problem", [(7, "out_of_range_rating"),
                                             (3.5, "off_step_rating"),
                                             ("five", "not_numeric")])
def test_broken_copy_never_wins_over_good_row(table, rating, problem):
    # a later copy of row 0 with a broken rating: the good row must stay
    broken = with_row(table.astype({"rating": object}), rating=rating, timestamp=1000)
    report = validate_ratings(broken, 3, 4)
    assert problems_at(report, 5) == [problem]
    assert "duplicate" not in set(report["problem"])
    clean, _ = clean_ratings(broken, 3, 4)
    pd.testing.assert_frame_equal(clean, table)


@pytest.mark.parametrize("column", ["user_id", "item_id", "rating", "timestamp"])
def test_missing_value(table, column):
    dirty = with_row(table, **{column: np.nan})
    report = validate_ratings(dirty, 3, 4)
    assert problems_at(report, 5) == ["missing_value"]
    assert report.loc[report["row"] == 5, "column"].item() == column
    clean, dropped = clean_ratings(dirty, 3, 4)
    pd.testing.assert_frame_equal(clean, table)  # dtypes back to int64
    assert dropped["missing_value"] == 1


def test_none_in_object_column_is_missing(table):
    dirty = table.astype({"rating": object})
    dirty.loc[2, "rating"] = None
    assert problems_at(validate_ratings(dirty, 3, 4), 2) == ["missing_value"]


def test_not_numeric(table):
    dirty = with_row(table.astype({"rating": object}), rating="five")
    report = validate_ratings(dirty, 3, 4)
    assert problems_at(report, 5) == ["not_numeric"]
    assert report["value"].iloc[0] == "five"
    clean, dropped = clean_ratings(dirty, 3, 4)
    assert dropped["not_numeric"] == 1 and clean["rating"].dtype == np.int64


@pytest.mark.parametrize("rating", [0, 7, -1, 6])
def test_out_of_range_rating(table, rating):
    dirty = with_row(table, rating=rating, item_id=3)
    assert problems_at(validate_ratings(dirty, 3, 4), 5) == ["out_of_range_rating"]


@pytest.mark.parametrize("rating", [3.5, 1.5, 4.999])
def test_off_step_rating(table, rating):
    dirty = with_row(table, rating=rating, item_id=3)
    assert problems_at(validate_ratings(dirty, 3, 4), 5) == ["off_step_rating"]


def test_half_stars_are_valid_on_a_half_star_scale(table):
    halves = table.assign(rating=[5.0, 0.5, 3.5, 1.5, 2.0])
    assert validate_ratings(halves, 3, 4, scale=HALF_STARS).empty
    clean, dropped = clean_ratings(halves, 3, 4, scale=HALF_STARS)
    pd.testing.assert_frame_equal(clean, halves)      # float ratings stay float
    assert clean["rating"].dtype == np.float64 and dropped.sum() == 0
    # on whole stars the same half stars are dropped, 0.5 also as out of range
    report = validate_ratings(halves, 3, 4)
    assert problems_at(report, 1) == ["off_step_rating", "out_of_range_rating"]
    assert problems_at(report, 2) == ["off_step_rating"]
    assert clean_ratings(halves, 3, 4)[1]["off_step_rating"] == 3


@pytest.mark.parametrize("rating, problem", [(3.25, "off_step_rating"),
                                             (0.0, "out_of_range_rating"),
                                             (5.5, "out_of_range_rating")])
def test_half_star_scale_problems(table, rating, problem):
    dirty = with_row(table, rating=rating, item_id=3)
    assert problems_at(validate_ratings(dirty, 3, 4, scale=HALF_STARS), 5) == [problem]


def test_continuous_scale_has_no_steps(table):
    dirty = with_row(table, rating=3.14159, item_id=3)
    assert validate_ratings(dirty, 3, 4, scale=(1, 5)).empty
    assert problems_at(validate_ratings(dirty, 3, 4, scale=(1, 3)), 5) == \
        ["out_of_range_rating"]


def test_row_with_two_problems_is_reported_twice_and_dropped_once(table):
    dirty = with_row(table, rating=0.5, item_id=9)
    report = validate_ratings(dirty, 3, 4)
    assert problems_at(report, 5) == ["off_step_rating", "out_of_range_rating",
                                      "unknown_item"]
    clean, dropped = clean_ratings(dirty, 3, 4)
    assert dropped.sum() == 1 == len(dirty) - len(clean)
    assert dropped["off_step_rating"] == 1  # counted under its first problem


def test_custom_scale(table):
    dirty = with_row(table, rating=10, item_id=3)
    assert validate_ratings(dirty, 3, 4, scale=(1, 10, 1)).empty
    assert problems_at(validate_ratings(dirty, 3, 4), 5) == ["out_of_range_rating"]


@pytest.mark.parametrize("item", [4, 100, -1, 2.5])
def test_unknown_item(table, item):
    dirty = with_row(table, item_id=item)
    assert problems_at(validate_ratings(dirty, 3, 4), 5) == ["unknown_item"]
    clean, dropped = clean_ratings(dirty, 3, 4)
    assert dropped["unknown_item"] == 1
    pd.testing.assert_frame_equal(clean, table)


@pytest.mark.parametrize("user", [3, -2, 0.5])
def test_unknown_user(table, user):
    dirty = with_row(table, user_id=user, item_id=3)
    assert problems_at(validate_ratings(dirty, 3, 4), 5) == ["unknown_user"]


def test_id_range_not_checked_without_sizes(table):
    dirty = with_row(table, user_id=50, item_id=70)
    assert validate_ratings(dirty).empty
    assert problems_at(validate_ratings(with_row(table, item_id=-1)), 5) == ["unknown_item"]


def test_report_rows_are_positions_not_labels(table):
    shuffled = table.iloc[::-1].copy()
    shuffled.index = [10, 20, 30, 40, 50]
    shuffled = pd.concat([shuffled, shuffled.iloc[[0]].assign(rating=9)])
    report = validate_ratings(shuffled, 3, 4)
    assert list(report["row"]) == [5]


def test_input_is_not_modified(table):
    dirty = with_row(table, rating=np.nan)
    before = dirty.copy()
    clean_ratings(dirty, 3, 4)
    pd.testing.assert_frame_equal(dirty, before)


def test_every_injected_problem_is_caught(world):
    """The chapter's experiment in miniature."""
    r = world.ratings
    rng = np.random.default_rng(0)
    bad = r.iloc[rng.choice(len(r), 6, replace=False)].copy()
    bad["rating"] = [0, 7, 3.5, np.nan, 5, 5]
    bad.iloc[4, bad.columns.get_loc("item_id")] = world.n_items
    bad.iloc[5, bad.columns.get_loc("user_id")] = world.n_users
    dirty = pd.concat([r, bad, r.iloc[:5]], ignore_index=True)
    report = validate_ratings(dirty, world.n_users, world.n_items)
    assert set(report["row"]) == set(range(len(r), len(dirty)))
    clean, dropped = clean_ratings(dirty, world.n_users, world.n_items)
    pd.testing.assert_frame_equal(clean, r)
    assert dropped.to_dict() == {"missing_value": 1, "not_numeric": 0, "off_step_rating": 1,
                                 "out_of_range_rating": 2, "unknown_user": 1,
                                 "unknown_item": 1, "duplicate": 5}


# --- bad input ---------------------------------------------------------------

def test_missing_column_is_named(table):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['timestamp'\]"):
        validate_ratings(table.drop(columns="timestamp"))
    with pytest.raises(ValueError, match="missing column"):
        clean_ratings(table.drop(columns=["rating", "item_id"]))


def test_custom_columns(table):
    # without a timestamp column, duplicates keep the first row
    no_time = table.drop(columns="timestamp")
    dirty = pd.concat([no_time, no_time.iloc[[0]].assign(rating=1)], ignore_index=True)
    report = validate_ratings(dirty, 3, 4, columns=("user_id", "item_id", "rating"))
    assert problems_at(report, 5) == ["duplicate"]


def test_empty_table(table):
    with pytest.raises(ValueError, match="empty"):
        validate_ratings(table.iloc[:0])
    with pytest.raises(ValueError, match="empty"):
        clean_ratings(table.iloc[:0])


def test_not_a_dataframe(table):
    with pytest.raises(ValueError, match="DataFrame"):
        validate_ratings(table.to_dict())


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_users=0), "n_users must be an integer >= 1"),
    (dict(n_items=-3), "n_items must be an integer >= 1"),
    (dict(n_items=2.5), "n_items must be an integer"),
    (dict(n_users=True), "n_users must be an integer"),
    (dict(scale=(5, 1)), "low < high"),
    (dict(scale=3), "scale must be a RatingScale"),
    (dict(scale=(1, 5, 0.3)), "whole number of steps"),
])
def test_bad_arguments(table, kwargs, match):
    with pytest.raises(ValueError, match=match):
        validate_ratings(table, **kwargs)


# --- scaling -----------------------------------------------------------------

def test_item_features(world):
    # the default never reads ShopSim's popularity (the simulator's exposure parameter)
    assert list(item_features(world.items).columns) == ["log_price"]
    f = item_features(world.items, log=("price", "popularity"))
    assert list(f.columns) == ["log_price", "log_popularity"]
    assert list(f.index) == list(world.items["item_id"])
    np.testing.assert_allclose(f["log_price"], np.log(world.items["price"]), rtol=1e-6)
    assert "item_id" not in f.columns and "user_id" not in f.columns


def test_item_features_errors(world):
    with pytest.raises(ValueError, match="missing column"):
        item_features(world.items.drop(columns="price"))
    with pytest.raises(ValueError, match="positive"):
        item_features(world.items.assign(price=0.0))
    with pytest.raises(ValueError, match="DataFrame"):
        item_features([1, 2])


def test_normalizer_statistics_are_train_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal([3.0, -2.0], [2.0, 0.5], size=(500, 2))
    layer = fit_normalizer(x)
    np.testing.assert_allclose(np.ravel(layer.mean), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.ravel(layer.variance), x.var(0), rtol=1e-4)


def test_scaler_is_fitted_on_train_only():
    rng = np.random.default_rng(1)
    train = rng.normal(5.0, 2.0, size=(300, 2))
    test = rng.normal(5.0, 2.0, size=(100, 2))
    tr1, te1, layer1 = scale_train_test(train, test)
    altered = test * 100 + 1e4  # wildly different test rows
    tr2, te2, layer2 = scale_train_test(train, altered)
    np.testing.assert_array_equal(np.ravel(layer1.mean), np.ravel(layer2.mean))
    np.testing.assert_array_equal(np.ravel(layer1.variance), np.ravel(layer2.variance))
    np.testing.assert_array_equal(tr1, tr2)
    np.testing.assert_allclose(tr1.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(tr1.std(0), 1, atol=1e-4)
    # the test rows are transformed with the train statistics
    np.testing.assert_allclose(te1, (test - train.mean(0)) / train.std(0), rtol=1e-4, atol=1e-4)
    # sanity: fitting on all rows *would* have moved the statistics
    assert not np.allclose(np.vstack([train, altered]).mean(0), train.mean(0))


def test_scaler_accepts_one_feature_as_1d():
    tr, te, layer = scale_train_test(np.arange(10.0), np.array([4.5]))
    assert tr.shape == (10, 1) and te.shape == (1, 1)
    np.testing.assert_allclose(te, 0, atol=1e-6)


@pytest.mark.parametrize("train, test, match", [
    (np.empty((0, 2)), np.ones((3, 2)), "empty"),
    (np.ones((1, 2)), np.ones((3, 2)), "at least 2 rows"),
    (np.array([[1.0, np.nan], [2.0, 3.0]]), np.ones((3, 2)), "NaN"),
    (np.ones((4, 2)), np.array([[np.inf, 1.0]]), "NaN or infinite"),
    (np.ones((4, 2)), np.ones((3, 3)), "3 feature"),
    (np.ones((4, 2, 2)), np.ones((3, 2)), "1-D or 2-D"),
])
def test_scaler_errors(train, test, match):
    with pytest.raises(ValueError, match=match):
        scale_train_test(train, test)
