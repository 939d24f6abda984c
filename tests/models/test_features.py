"""Tests for reclib.models.features: tokens, sequences, the CNN and LSTM
feature extractors and the two-tower FeatureRecommender."""
import random

import numpy as np
import pandas as pd
import pytest

import reclib  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
import keras

from reclib.checks import NotFittedError
from reclib.models.features import (FeatureRecommender, behaviour_lstm, item_texts,
                                    item_tokens, title_cnn, user_sequences)

SMALL = dict(max_len=6, dim=8, embed_dim=8, filters=8, units=8, batch_size=64)


@pytest.fixture(scope="module")
def world(world_60x40):
    return world_60x40


def _ratings(rows):
    """Ratings table from (user, item, timestamp) triples."""
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    df["rating"] = 4
    return df


# ------------------------------------------------------------------ item tokens
def test_item_texts_add_category_brand_and_price_level():
    items = pd.DataFrame({"item_id": [1, 0, 2], "category": ["tea", "tea", "running shoes"],
                          "brand": ["Oolong & Co", "Leafhouse", "Apex"],
                          "title": ["B tea", "A tea", "C running shoes"],
                          "price": [30.0, 5.0, 100.0]})
    texts = item_texts(items)
    assert texts[0] == "A tea category_tea brand_leafhouse price_low"      # sorted by item_id
    assert texts[1] == "B tea category_tea brand_oolong_and_co price_high"
    assert texts[2].endswith("category_running_shoes brand_apex price_mid")  # alone


def test_item_tokens_shape_padding_and_vocab_reuse(world):
    tokens, vocab = item_tokens(world.items, max_len=12)
    assert tokens.shape == (40, 12) and tokens.dtype == np.int32
    assert (tokens[:, 0] > 0).all()
    lengths = (tokens > 0).sum(axis=1)
    for row, n in zip(tokens, lengths):           # right-padded: zeros only at the end
        assert (row[:n] > 0).all() and (row[n:] == 0).all()
    other = world.items.copy()
    other["title"] = "Zyx Brandnew phone"
    tok2, _ = item_tokens(other, vocab=vocab, max_len=12)
    assert tok2[0, 0] == vocab.unk_id
    short, _ = item_tokens(world.items, max_len=3)
    assert short.shape == (40, 3)
    np.testing.assert_array_equal(short, tokens[:, :3])


def test_item_tokens_bad_input(world):
    with pytest.raises(ValueError, match="max_len"):
        item_tokens(world.items, max_len=0)
    with pytest.raises(ValueError, match="missing column"):
        item_tokens(world.items.drop(columns="title"))
    with pytest.raises(ValueError, match="item_id must be 0..39, each exactly once"):
        item_tokens(world.items.assign(item_id=world.items["item_id"] + 1))
    with pytest.raises(ValueError, match="missing values"):
        item_tokens(world.items.assign(title=None))
    with pytest.raises(ValueError, match="empty"):
        item_tokens(world.items.iloc[:0])
    with pytest.raises(ValueError, match="DataFrame"):
        item_tokens([["a", "b"]])


def test_title_cnn_shapes_and_seed():
    tokens = np.array([[5, 6, 7, 0], [8, 0, 0, 0]], dtype="int32")
    a = title_cnn(10, seq_len=4, out_dim=5, seed=1)
    b = title_cnn(10, seq_len=4, out_dim=5, seed=1)
    c = title_cnn(10, seq_len=4, out_dim=5, seed=2)
    out = keras.ops.convert_to_numpy(a(tokens))
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(b(tokens)))
    assert not np.allclose(out, keras.ops.convert_to_numpy(c(tokens)))
    with pytest.raises(ValueError, match="vocab_size"):
        title_cnn(1)
    with pytest.raises(ValueError, match="kernel_size"):
        title_cnn(10, kernel_size=0)


# ------------------------------------------------------------------ sequences
def test_user_sequences_time_order_left_padding_and_truncation():
    df = _ratings([(0, 5, 30), (0, 2, 10), (0, 7, 20),   # rows not in time order
                   (2, 1, 5), (2, 3, 6), (2, 4, 7), (2, 0, 8), (2, 9, 9)])
    seqs = user_sequences(df, n_users=3, max_len=4, n_items=10)
    assert seqs.dtype == np.int32 and seqs.shape == (3, 4)
    np.testing.assert_array_equal(seqs[0], [0, 2 + 1, 7 + 1, 5 + 1])   # oldest first, pad left
    np.testing.assert_array_equal(seqs[1], [0, 0, 0, 0])               # no ratings
    np.testing.assert_array_equal(seqs[2], [3 + 1, 4 + 1, 0 + 1, 9 + 1])  # latest 4 kept
    # item 0 is stored as 1, so it is not confused with padding
    assert (seqs[2] > 0).all()


def test_user_sequences_ties_keep_row_order():
    df = _ratings([(0, 4, 1), (0, 2, 1), (0, 3, 0)])
    np.testing.assert_array_equal(user_sequences(df, 1, 3), [[4, 5, 3]])


def test_user_sequences_bad_input():
    df = _ratings([(0, 1, 1), (1, 2, 2)])
    with pytest.raises(ValueError, match="max_len"):
        user_sequences(df, 2, max_len=0)
    with pytest.raises(ValueError, match="unknown user"):
        user_sequences(df, n_users=1, max_len=3)
    with pytest.raises(ValueError, match="unknown item"):
        user_sequences(df, n_users=2, max_len=3, n_items=2)
    with pytest.raises(ValueError, match="unknown item"):
        user_sequences(_ratings([(0, -1, 1)]), n_users=2, max_len=3)
    with pytest.raises(ValueError, match="empty"):
        user_sequences(df.iloc[:0], 2, 3)
    with pytest.raises(ValueError, match="missing column"):
        user_sequences(df.drop(columns="timestamp"), 2, 3)
    with pytest.raises(ValueError, match="missing values"):
        user_sequences(df.assign(timestamp=[1, None]), 2, 3)


# ------------------------------------------------------------------ LSTM
def test_behaviour_lstm_shapes():
    seqs = np.array([[0, 0, 3, 4], [1, 2, 3, 4]], dtype="int32")
    last = behaviour_lstm(5, seq_len=4, units=6, seed=0)
    assert tuple(last(seqs).shape) == (2, 6)
    every = behaviour_lstm(5, seq_len=4, units=6, out_dim=3, return_sequences=True, seed=0)
    assert tuple(every(seqs).shape) == (2, 4, 3)


def test_behaviour_lstm_ignores_padding():
    rng = np.random.default_rng(0)
    short = rng.integers(1, 21, size=(8, 5)).astype("int32")
    short[:4, :2] = 0                                     # some rows are padded already
    longer = np.hstack([np.zeros((8, 7), dtype="int32"), short])
    a = behaviour_lstm(20, seq_len=5, units=7, out_dim=4, seed=3)
    b = behaviour_lstm(20, seq_len=12, units=7, out_dim=4, seed=3)   # same weights
    out_a = keras.ops.convert_to_numpy(a(short))
    out_b = keras.ops.convert_to_numpy(b(longer))
    np.testing.assert_allclose(out_a, out_b, atol=1e-6)
    # the check can fail: a different history gives a different vector
    changed = short.copy()
    changed[:, -1] = changed[:, -1] % 20 + 1
    assert not np.allclose(out_a, keras.ops.convert_to_numpy(a(changed)), atol=1e-4)
    # only padding: the zero state (no Dense on top)
    plain = behaviour_lstm(20, seq_len=5, units=7, seed=3)
    zero = keras.ops.convert_to_numpy(plain(np.zeros((2, 5), dtype="int32")))
    np.testing.assert_allclose(zero, 0.0)


def test_behaviour_lstm_bad_sizes():
    with pytest.raises(ValueError, match="n_items"):
        behaviour_lstm(0)
    with pytest.raises(ValueError, match="seq_len"):
        behaviour_lstm(5, seq_len=0)
    with pytest.raises(ValueError, match="out_dim"):
        behaviour_lstm(5, out_dim=0)


# ------------------------------------------------------------------ recommender
@pytest.fixture(scope="module")
def fitted(world):
    return FeatureRecommender(epochs=2, seed=0, **SMALL).fit(world.ratings, items=world.items,
                                                             users=world.users)


def test_recommender_shapes_and_conventions(world, fitted):
    m = fitted
    assert m.score_matrix().shape == (60, 40)
    assert m.score_matrix([3, 1]).shape == (2, 40)
    assert m.item_vectors().shape == (40, 8)
    assert m.user_vectors([0, 1, 2]).shape == (3, 8)
    assert m.sequences_.shape == (60, SMALL["max_len"])
    p = m.predict([3, 3, 1], [0, 5, 5])
    s = m.score_matrix([3, 1])
    np.testing.assert_allclose(p, [s[0, 0], s[0, 5], s[1, 5]], rtol=1e-5, atol=1e-5)
    rated = set(world.ratings.loc[world.ratings["user_id"] == 3, "item_id"])
    rec = m.recommend(3, k=5)
    assert len(rec) == 5 and not set(rec) & rated
    # best first, among the unrated items
    unrated = [i for i in range(40) if i not in rated]
    assert rec[0] == unrated[int(np.argmax(s[0, unrated]))]
    assert len(m.history_["loss"]) == 2 and np.isfinite(m.history_["loss"]).all()


def test_refit_equals_fresh_fit(world):
    part = world.ratings.sample(frac=0.5, random_state=0)
    m = FeatureRecommender(epochs=1, seed=4, **SMALL)
    m.fit(part, items=world.items, users=world.n_users)
    first = m.score_matrix([0, 1])
    m.fit(world.ratings, items=world.items, users=world.n_users)  # reuses the compiled model
    m.fit(part, items=world.items, users=world.n_users)
    np.testing.assert_allclose(m.score_matrix([0, 1]), first, atol=1e-5)


def test_same_seed_same_scores_and_the_global_state_is_untouched(world, fitted):
    np.random.seed(7)
    random.seed(7)
    numpy_state, python_state = np.random.get_state()[1].copy(), random.getstate()
    again = FeatureRecommender(epochs=2, seed=0, **SMALL).fit(world.ratings, items=world.items,
                                                              users=world.users)
    assert (np.random.get_state()[1] == numpy_state).all()
    assert random.getstate() == python_state
    # equal up to float32 rounding; another seed differs by far more
    np.testing.assert_allclose(again.score_matrix(), fitted.score_matrix(), rtol=0, atol=1e-5)
    other = FeatureRecommender(epochs=2, seed=1, **SMALL).fit(world.ratings, items=world.items)
    assert np.abs(other.score_matrix() - fitted.score_matrix()).max() > 1e-2


def test_learns_the_next_item():
    """Every user walks the cycle 0 -> 1 -> ... -> 5 -> 0: after item j the next
    item is j + 1, which only a correctly shifted target can learn."""
    n_items, rows = 6, []
    for u in range(48):
        start = u % n_items
        rows += [(u, (start + t) % n_items, t) for t in range(12)]
    df = _ratings(rows)
    items = pd.DataFrame({"item_id": range(n_items), "category": "tea", "brand": "Leafhouse",
                          "title": [f"Leafhouse {w} tea" for w in "abcdef"], "price": 10.0})
    m = FeatureRecommender(max_len=4, dim=8, embed_dim=8, filters=8, units=16, epochs=40,
                           batch_size=16, learning_rate=0.03, seed=0).fit(df, items=items)
    seqs = np.array([[j + 1 for j in ((last - 3 + t) % n_items for t in range(4))]
                     for last in range(n_items)], dtype="int32")
    best = m.score_sequences(seqs).argmax(axis=1)
    np.testing.assert_array_equal(best, (np.arange(n_items) + 1) % n_items)


@pytest.mark.parametrize("kwargs, msg", [
    (dict(use_titles=False, use_ids=False), "both be False"),
    (dict(max_len=0), "max_len must be an integer >= 1"),
    (dict(dim=2.0), "dim must be an integer"),
    (dict(epochs=0), "epochs must be an integer >= 1"),
    (dict(learning_rate=0), "learning_rate must be > 0"),
    (dict(learning_rate=-0.1), "learning_rate must be > 0"),
    (dict(use_titles="yes"), "use_titles must be True or False"),
    (dict(seed=1.5), "seed must be an integer"),
])
def test_recommender_bad_settings(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        FeatureRecommender(**kwargs)


def test_recommender_bad_input(world, fitted):
    r, items = world.ratings, world.items
    with pytest.raises(ValueError, match="empty"):
        FeatureRecommender(**SMALL).fit(r.iloc[:0], items=items)
    with pytest.raises(ValueError, match="unknown item"):
        FeatureRecommender(**SMALL).fit(r, items=items.iloc[:10])
    with pytest.raises(ValueError, match="unknown user"):
        FeatureRecommender(**SMALL).fit(r, items=items, users=5)
    with pytest.raises(ValueError, match="needs the catalogue"):
        FeatureRecommender(**SMALL).fit(r, items=len(items))
    with pytest.raises(ValueError, match="needs the catalogue"):
        FeatureRecommender(**SMALL).fit(r)
    with pytest.raises(ValueError, match="two or more"):
        FeatureRecommender(**SMALL).fit(r.groupby("user_id").head(1), items=items)
    with pytest.raises(ValueError, match="missing values"):
        FeatureRecommender(**SMALL).fit(r.assign(timestamp=np.nan), items=items)
    with pytest.raises(TypeError):
        FeatureRecommender(**SMALL).fit(r, items)            # tables are keyword-only
    unfitted = FeatureRecommender(**SMALL)
    for call in (lambda: unfitted.predict([0], [0]), lambda: unfitted.recommend(0),
                 lambda: unfitted.score_sequences(np.zeros((1, 6), "int32")),
                 lambda: unfitted.item_vectors(), lambda: unfitted.user_vectors()):
        with pytest.raises(NotFittedError):
            call()
    with pytest.raises(ValueError, match="same length"):
        fitted.predict([0, 1], [2])
    with pytest.raises(ValueError, match="unknown user"):
        fitted.predict([60], [0])
    with pytest.raises(ValueError, match="unknown item"):
        fitted.predict([0], [40])
    with pytest.raises(ValueError, match="shape"):
        fitted.score_sequences(np.zeros((2, 3), dtype="int32"))
    with pytest.raises(ValueError, match="unknown sequence item"):
        fitted.score_sequences(np.full((1, SMALL["max_len"]), 41))
    with pytest.raises(ValueError, match="k must"):
        fitted.recommend(0, k=0)


def test_recommend_all_matches_recommend(fitted, world):
    lists = fitted.recommend_all(k=3, users=[0, 1])
    assert lists[0] == list(fitted.recommend(0, k=3))
    assert lists[1] == list(fitted.recommend(1, k=3))
    assert len(fitted.recommend_all(k=2)) == world.n_users
