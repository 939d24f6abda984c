"""Tests for reclib.data.loaders on the fixture files in data/fixtures/."""
import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reclib.checks import HALF_STARS, STARS, check_ratings
from reclib.data import index_ids, load_amazon, load_movielens
from reclib.data.splits import random_split

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "fixtures"
ML = FIXTURES / "movielens"
AMAZON = FIXTURES / "amazon"
BAD = FIXTURES / "malformed"


def read_raw(path, **kwargs):
    """The fixture read independently with pandas (the loader is not used)."""
    return pd.read_csv(path, **kwargs)


def check_mapping(data, raw, user_col, item_col):
    """Every row's new ids map back to the raw ids of the same row of the file."""
    assert len(data.ratings) == len(raw)
    users = data.users["raw_id"].to_numpy()[data.ratings["user_id"]]
    items = data.items["raw_id"].to_numpy()[data.ratings["item_id"]]
    assert list(map(str, users)) == list(map(str, raw[user_col]))
    assert list(map(str, items)) == list(map(str, raw[item_col]))
    # ids are 0..n-1, numbered in sorted order of the raw ids
    assert list(data.users["user_id"]) == list(range(data.n_users))
    assert list(data.items["item_id"]) == list(range(data.n_items))
    assert data.n_users == raw[user_col].nunique() and data.n_items == raw[item_col].nunique()
    assert list(data.items["raw_id"]) == sorted(data.items["raw_id"])


# --- MovieLens ---------------------------------------------------------------

def test_u_data():
    data = load_movielens(ML / "u.data")
    raw = read_raw(ML / "u.data", sep="\t", names=["u", "i", "r", "t"])
    check_mapping(data, raw, "u", "i")
    r = data.ratings
    assert list(r.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert (r.dtypes == np.int64).all()
    np.testing.assert_array_equal(r["rating"], raw["r"])
    np.testing.assert_array_equal(r["timestamp"], raw["t"])
    assert data.format == "u.data" and data.scale == STARS and data.skipped.empty
    check_ratings(r, scale=data.scale)
    assert "12 users, 19 items, 50 ratings" in repr(data)


def test_ratings_csv_half_stars():
    data = load_movielens(ML / "ratings.csv")
    raw = read_raw(ML / "ratings.csv")
    check_mapping(data, raw, "userId", "movieId")
    r = data.ratings
    assert data.format == "ratings.csv" and data.scale == HALF_STARS
    assert r["rating"].dtype == np.float64
    np.testing.assert_array_equal(r["rating"], raw["rating"])
    assert (r["rating"] % 1 == 0.5).sum() >= 5 and r["rating"].min() == 0.5
    # the scale goes on to the splits: half stars pass there too
    train, test = random_split(r, 0.2, seed=0, scale=data.scale)
    assert len(train) + len(test) == len(r)
    with pytest.raises(ValueError, match="not on the scale 1..5"):
        random_split(r)


def test_ratings_dat():
    data = load_movielens(ML / "ratings.dat")
    raw = read_raw(ML / "ratings.dat", sep="::", engine="python", names=["u", "i", "r", "t"])
    check_mapping(data, raw, "u", "i")
    assert data.format == "ratings.dat" and data.scale == STARS
    assert list(data.users["raw_id"]) == sorted(raw["u"].unique())   # sparse ids 1 .. 6040


@pytest.mark.parametrize("name", ["u.data", "ratings.csv", "ratings.dat"])
def test_explicit_format_and_gzip_give_the_same_tables(tmp_path, name):
    plain = load_movielens(ML / name)
    same = load_movielens(ML / name, format=name)
    packed = tmp_path / "ratings_file"          # no extension: gzip is told by its bytes
    with open(ML / name, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    zipped = load_movielens(packed)
    for other in (same, zipped):
        pd.testing.assert_frame_equal(other.ratings, plain.ratings)
        pd.testing.assert_frame_equal(other.items, plain.items)
        pd.testing.assert_frame_equal(other.users, plain.users)


def test_whole_stars_on_a_half_star_scale_are_floats():
    data = load_movielens(ML / "u.data", scale=HALF_STARS)
    assert data.scale == HALF_STARS and data.ratings["rating"].dtype == np.float64


def test_half_star_on_whole_stars_names_the_fix(tmp_path):
    p = tmp_path / "u.data"
    p.write_text("1\t2\t4\t881250949\n1\t3\t3.5\t881250950\n")
    with pytest.raises(ValueError, match=r"line 2: rating '3.5' .*pass scale=HALF_STARS"):
        load_movielens(p)
    assert load_movielens(p, scale=HALF_STARS).ratings["rating"].tolist() == [4.0, 3.5]


def test_wrong_explicit_format_is_an_error_naming_the_line():
    with pytest.raises(ValueError, match="line 1: expected 4 tab-separated fields, got 1"):
        load_movielens(ML / "ratings.csv", format="u.data")


# --- Amazon ------------------------------------------------------------------

def jsonl(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def test_amazon_2018():
    data = load_amazon(AMAZON / "reviews_2018.json")
    raw = pd.DataFrame(jsonl(AMAZON / "reviews_2018.json"))
    check_mapping(data, raw, "reviewerID", "asin")
    r = data.ratings
    assert list(r.columns) == ["user_id", "item_id", "rating", "timestamp", "text", "summary"]
    assert data.format == "amazon-2018" and r["rating"].dtype == np.int64
    np.testing.assert_array_equal(r["rating"], raw["overall"])
    np.testing.assert_array_equal(r["timestamp"], raw["unixReviewTime"])
    assert list(r["summary"]) == list(raw["summary"])
    # one review has a summary but no reviewText: its text is empty, not NaN
    no_text = raw["reviewText"].isna().to_numpy()
    assert no_text.sum() == 1 and list(r.loc[no_text, "text"]) == [""]
    assert list(r.loc[~no_text, "text"]) == list(raw.loc[~no_text, "reviewText"])
    check_ratings(r, scale=data.scale)


def test_amazon_2023_uses_parent_asin_and_seconds():
    data = load_amazon(AMAZON / "reviews_2023.jsonl")
    raw = pd.DataFrame(jsonl(AMAZON / "reviews_2023.jsonl"))
    check_mapping(data, raw, "user_id", "parent_asin")
    assert raw["asin"].nunique() > raw["parent_asin"].nunique()   # variants share a parent
    assert data.n_items == raw["parent_asin"].nunique()
    np.testing.assert_array_equal(data.ratings["timestamp"], raw["timestamp"] // 1000)
    assert data.ratings["timestamp"].between(1.6e9, 1.7e9).all()  # seconds, 2021-2023
    assert list(data.ratings["text"]) == list(raw["text"])
    assert list(data.ratings["summary"]) == list(raw["title"])
    assert data.format == "amazon-2023"


def test_amazon_2023_without_parent_asin_keys_items_by_asin(tmp_path):
    records = jsonl(AMAZON / "reviews_2023.jsonl")[:10]
    for rec in records:
        del rec["parent_asin"]
    p = tmp_path / "reviews.jsonl"
    p.write_text("".join(json.dumps(rec) + "\n" for rec in records))
    data = load_amazon(p)
    assert set(data.items["raw_id"]) == {rec["asin"] for rec in records}


def test_amazon_gzip_and_explicit_fields(tmp_path):
    packed = tmp_path / "Electronics_5.json.gz"
    with open(AMAZON / "reviews_2018.json", "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain = load_amazon(AMAZON / "reviews_2018.json")
    for data in (load_amazon(packed), load_amazon(AMAZON / "reviews_2018.json", fields="2018")):
        pd.testing.assert_frame_equal(data.ratings, plain.ratings)


def test_amazon_wrong_fields_name_what_is_missing():
    with pytest.raises(ValueError, match=r"line 1: missing field\(s\) \['reviewerID', "
                                         r"'overall', 'unixReviewTime'\]"):
        load_amazon(AMAZON / "reviews_2023.jsonl", fields="2018")


def test_amazon_unknown_field_names(tmp_path):
    p = tmp_path / "other.jsonl"
    p.write_text('{"customer": "c1", "product": "p1", "stars": 5}\n')
    with pytest.raises(ValueError, match="line 1: cannot tell the Amazon field names"):
        load_amazon(p)


# --- malformed lines -----------------------------------------------------------

MALFORMED = [
    # file, loader, line, what the message says
    ("u_data_missing_field.data", load_movielens, 3, "expected 4 tab-separated fields, got 3"),
    ("u_data_fractional_id.data", load_movielens, 2, "user id '1.5' is not a whole number"),
    ("u_data_rating_six.data", load_movielens, 4, "rating '6' is not on the scale 1..5"),
    ("ratings_csv_quarter_star.csv", load_movielens, 5,
     "rating '3.25' is not on the scale 0.5..5 in steps of 0.5"),
    ("ratings_dat_text_timestamp.dat", load_movielens, 3,
     "timestamp 'yesterday' is not a whole number"),
    ("amazon_2018_truncated.json", load_amazon, 3, "not valid JSON: Unterminated string"),
    ("amazon_2018_missing_rating.json", load_amazon, 2, r"missing field\(s\) \['overall'\]"),
    ("amazon_2023_rating_zero.jsonl", load_amazon, 4, "rating 0.0 is not on the scale 1..5"),
    ("amazon_2023_text_not_string.jsonl", load_amazon, 2, "text must be a string, got int"),
]


@pytest.mark.parametrize("name, loader, line, message", MALFORMED)
def test_malformed_line_raises_naming_file_and_line(name, loader, line, message):
    with pytest.raises(ValueError, match=rf"{name}, line {line}: {message}.*on_error='skip'"):
        loader(BAD / name)


@pytest.mark.parametrize("name, loader, line, message", MALFORMED)
def test_malformed_line_skipped_and_counted(name, loader, line, message):
    data = loader(BAD / name, on_error="skip")
    n_lines = sum(1 for t in open(BAD / name) if t.strip()) - name.endswith(".csv")
    assert list(data.skipped.columns) == ["line", "problem", "content"]
    assert list(data.skipped["line"]) == [line]
    assert pd.Series(data.skipped["problem"]).str.contains(message).all()
    assert len(data.ratings) == n_lines - 1
    assert "1 malformed line skipped" in repr(data)
    check_ratings(data.ratings, scale=data.scale)


def test_mixed_file_skips_three_lines_and_ignores_the_blank_one():
    data = load_amazon(BAD / "amazon_2018_mixed.json", on_error="skip")
    assert list(data.skipped["line"]) == [2, 6, 9]
    assert list(data.skipped["problem"].str.split(":").str[0]) == [
        "not valid JSON", "reviewerID must be a non-empty string, got ''",
        "unixReviewTime '2017-03-01' is not a whole number"]
    assert len(data.ratings) == 6
    with pytest.raises(ValueError, match="line 2: not valid JSON"):
        load_amazon(BAD / "amazon_2018_mixed.json")


def test_loose_json_of_2014_gets_a_hint():
    with pytest.raises(ValueError, match="line 1: not valid JSON.*2014 'loose JSON'"):
        load_amazon(BAD / "amazon_2014_loose.json")
    # skipping every line leaves nothing: an error, not an empty table
    with pytest.raises(ValueError, match="no ratings read .all 3 lines are malformed"):
        load_amazon(BAD / "amazon_2014_loose.json", on_error="skip")


def test_missing_header_is_an_error_even_when_skipping():
    for on_error in ("raise", "skip"):
        with pytest.raises(ValueError, match="line 1: expected the header userId,movieId"):
            load_movielens(BAD / "ratings_csv_no_header.csv", on_error=on_error)


def test_not_utf8_line_is_named(tmp_path):
    p = tmp_path / "u.data"
    p.write_bytes(b"1\t2\t4\t881250949\n1\t\xff\xfe\t3\t881250950\n")
    with pytest.raises(ValueError, match="line 2: not UTF-8 text"):
        load_movielens(p)
    assert len(load_movielens(p, on_error="skip").skipped) == 1


def test_byte_order_mark_and_blank_lines_are_harmless(tmp_path):
    p = tmp_path / "ratings.csv"
    p.write_text("\ufeffuserId,movieId,rating,timestamp\n\n1,5,3.5,100\n\n2,5,4.0,200\n")
    data = load_movielens(p)
    assert data.format == "ratings.csv" and data.ratings["rating"].tolist() == [3.5, 4.0]


@pytest.mark.parametrize("content, message", [("", "the file is empty"),
                                              ("\n \n", "the file is empty"),
                                              ("userId,movieId,rating,timestamp\n",
                                               "no ratings read .the file has no data lines")])
def test_empty_files(tmp_path, content, message):
    p = tmp_path / "ratings.csv"
    p.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_movielens(p)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file.*never download"):
        load_movielens(tmp_path / "u.data")
    with pytest.raises(ValueError, match="path must be a file name"):
        load_amazon(42)
    with pytest.raises(ValueError, match="on_error must be one of"):
        load_movielens(ML / "u.data", on_error="ignore")
    with pytest.raises(ValueError, match="format must be one of"):
        load_movielens(ML / "u.data", format="csv")
    with pytest.raises(ValueError, match="fields must be one of"):
        load_amazon(AMAZON / "reviews_2018.json", fields="2014")
    with pytest.raises(ValueError, match="scale"):
        load_amazon(AMAZON / "reviews_2018.json", scale=(5, 1))


# --- index_ids ---------------------------------------------------------------

def test_index_ids_sorted_and_first_seen():
    table = pd.DataFrame({"user_id": ["bob", "amy", "bob", "cy"],
                          "item_id": [30, 10, 10, 99], "rating": [1, 2, 3, 4]})
    before = table.copy()
    indexed, raw = index_ids(table)
    assert indexed["user_id"].tolist() == [1, 0, 1, 2]
    assert indexed["item_id"].tolist() == [1, 0, 0, 2] and indexed["item_id"].dtype == np.int64
    assert list(raw["user_id"]) == ["amy", "bob", "cy"] and list(raw["item_id"]) == [10, 30, 99]
    assert raw["user_id"][indexed.at[3, "user_id"]] == "cy"
    pd.testing.assert_frame_equal(table, before)              # the input is not changed
    first, raw = index_ids(table, columns="user_id", sort=False)
    assert first["user_id"].tolist() == [0, 1, 0, 2] and list(raw) == ["user_id"]
    assert first["item_id"].tolist() == [30, 10, 10, 99]
    check_ratings(indexed, columns=("user_id", "item_id", "rating"))


@pytest.mark.parametrize("table, kwargs, message", [
    (pd.DataFrame({"user_id": ["a", None], "item_id": [1, 2]}), {}, "1 missing id"),
    (pd.DataFrame({"user_id": ["a", 3], "item_id": [1, 2]}), {}, "mix types"),
    (pd.DataFrame({"user": ["a"], "item_id": [1]}), {}, r"missing column\(s\) \['user_id'\]"),
    (pd.DataFrame({"user_id": [], "item_id": []}), {}, "empty"),
    ([("a", 1)], {}, "must be a pandas DataFrame"),
    (pd.DataFrame({"user_id": ["a"], "item_id": [1]}), {"sort": "yes"}, "sort must be"),
])
def test_index_ids_errors(table, kwargs, message):
    with pytest.raises(ValueError, match=message):
        index_ids(table, **kwargs)
