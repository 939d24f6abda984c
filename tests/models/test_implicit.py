"""Tests for the implicit-feedback recommenders (BPR, EASE, item-kNN): the
recommender protocol, EASE against a direct least-squares solve, item-kNN
against a hand-computed cosine, BPR learning and reproducibility, the
comparison with popularity on a small world, and the error paths."""
import numpy as np
import pandas as pd
import pytest

import reclib  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from reclib.checks import NotFittedError
from reclib.evaluation.ranking import evaluate_ranking
from reclib.models.baselines import Popularity
from reclib.models.implicit import BPR, EASE, ItemKNN, interaction_matrix, sample_negatives
from reclib.protocol import Recommender

FAST_BPR = dict(n_factors=8, epochs=5, batch_size=256)


@pytest.fixture(scope="module")
def fitted(world_400x120, last_out_400x120):
    """One fitted model of each kind on the small world's training split."""
    train = last_out_400x120[0]
    kw = dict(users=world_400x120.n_users, items=world_400x120.n_items)
    return {"EASE": EASE().fit(train, **kw), "ItemKNN": ItemKNN().fit(train, **kw),
            "BPR": BPR(seed=0).fit(train, **kw), "Popularity": Popularity().fit(train, **kw)}


def _table(rows, ratings=None):
    df = pd.DataFrame(rows, columns=["user_id", "item_id"])
    df["rating"] = 4 if ratings is None else ratings
    df["timestamp"] = np.arange(len(df))
    return df


# a tiny interaction table: 5 users, 4 items (item 3 is nobody's)
TINY = _table([(0, 0), (0, 1), (1, 0), (1, 2), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2), (4, 2)])


# ------------------------------------------------------------------ protocol
@pytest.mark.parametrize("name", ["EASE", "ItemKNN", "BPR"])
def test_protocol(fitted, world_400x120, last_out_400x120, name):
    m = fitted[name]
    train = last_out_400x120[0]
    assert isinstance(m, Recommender) and m.fit_time_ >= 0
    assert (m.n_users_, m.n_items_) == (world_400x120.n_users, world_400x120.n_items)
    S = m.score_matrix([0, 5])
    assert S.shape == (2, world_400x120.n_items) and np.isfinite(S).all()
    # predict scores pairs exactly as the score matrix does
    assert np.allclose(m.predict([5, 0, 5], [3, 7, 11]), [S[1, 3], S[0, 7], S[1, 11]])
    for u in (0, 17):
        rec = m.recommend(u, k=10)
        assert len(rec) == 10 and len(set(rec)) == 10
        assert not set(rec) & set(train.loc[train.user_id == u, "item_id"])
        full = m.score_matrix([u])[0]
        full[m.rated_[u]] = -np.inf
        assert np.array_equal(rec, np.argsort(-full, kind="stable")[:10])
    lists = m.recommend_all(k=5, users=[1, 2])
    assert sorted(lists) == [1, 2] and all(len(v) == 5 for v in lists.values())


def test_implicit_ignores_star_values_unless_thresholded():
    low = TINY.assign(rating=1)
    for cls in (EASE, ItemKNN):
        a = cls().fit(TINY, users=5, items=4).score_matrix()
        b = cls().fit(low, users=5, items=4).score_matrix()
        assert np.allclose(a, b)
    # with min_rating=4, the 1-star rows are not interactions, but still never recommended
    mixed = TINY.assign(rating=[5, 1, 5, 5, 5, 5, 5, 5, 5, 5])
    m = ItemKNN(min_rating=4).fit(mixed, users=5, items=4)
    assert m.X_[0, 1] == 0 and m.X_[0, 0] == 1 and m.X_.sum() == len(TINY) - 1
    assert 1 not in m.recommend(0, k=2, exclude_rated=True)


def test_interaction_matrix_counts_repeats_once():
    X = interaction_matrix(_table([(0, 1), (0, 1), (1, 0)]), 2, 3)
    assert X.toarray().tolist() == [[0, 1, 0], [1, 0, 0]]


# ------------------------------------------------------------------ EASE
def test_ease_matches_a_direct_solve():
    lam = 2.0
    m = EASE(l2=lam).fit(TINY, users=5, items=4)
    X = interaction_matrix(TINY, 5, 4).toarray()
    n = X.shape[1]
    # column j of B: ridge regression of item j's column on the other items' columns
    B = np.zeros((n, n))
    for j in range(n):
        others = [i for i in range(n) if i != j]
        A = X[:, others]
        B[others, j] = np.linalg.solve(A.T @ A + lam * np.eye(n - 1), A.T @ X[:, j])
    assert np.allclose(m.weights_, B, atol=1e-10)
    assert np.all(np.diag(m.weights_) == 0)
    assert np.allclose(m.score_matrix(), X @ B)


# ------------------------------------------------------------------ item-kNN
def _cosine_by_hand(rows, n_items, shrinkage=0.0):
    has = {}
    for u, i in rows:
        has.setdefault(i, set()).add(u)
    S = np.zeros((n_items, n_items))
    for i in range(n_items):
        for j in range(n_items):
            a, b = has.get(i, set()), has.get(j, set())
            if i != j and a and b:
                S[i, j] = len(a & b) / (np.sqrt(len(a) * len(b)) + shrinkage)
    return S


def test_itemknn_similarity_by_hand():
    rows = list(zip(TINY.user_id, TINY.item_id))
    full = ItemKNN(k=10).fit(TINY, users=5, items=4)
    S = _cosine_by_hand(rows, 4)
    # e.g. items 0 and 1 share users 0 and 3, each has 3 users: 2/3
    assert S[0, 1] == pytest.approx(2 / 3)
    assert np.allclose(full.similarity_, S)
    shrunk = ItemKNN(k=10, shrinkage=1.0).fit(TINY, users=5, items=4)
    assert np.allclose(shrunk.similarity_, _cosine_by_hand(rows, 4, 1.0))
    # k=1: each item keeps only its most similar item
    one = ItemKNN(k=1).fit(TINY, users=5, items=4)
    assert np.all((one.similarity_ > 0).sum(axis=1) <= 1)
    for i in range(3):
        j = int(np.argmax(S[i]))
        assert one.similarity_[i, j] == pytest.approx(S[i, j])
    # a user's score sums the similarities of the items they have
    X = interaction_matrix(TINY, 5, 4).toarray()
    assert np.allclose(full.score_matrix(), X @ S)


# ------------------------------------------------------------------ BPR
def test_sample_negatives_are_uniform_over_non_interactions():
    rng = np.random.default_rng(0)
    X = interaction_matrix(TINY, 5, 4).toarray().astype(bool)
    u, i = np.nonzero(X)
    keys = np.sort(u * 4 + i)
    users = np.repeat(np.arange(5), 4000)
    neg = sample_negatives(users, keys, 4, rng)
    assert not X[users, neg].any()
    for user in range(5):
        counts = np.bincount(neg[users == user], minlength=4)[~X[user]]
        assert counts.min() > 0.8 * counts.mean()   # each allowed item about equally often
    full = _table([(0, 0), (0, 1)])
    with pytest.raises(ValueError, match="every item"):
        sample_negatives(np.array([0]), np.array([0, 1]), 2, rng)
    with pytest.raises(ValueError, match="every item"):
        BPR(**FAST_BPR).fit(full, users=1, items=2)


def test_bpr_learns(fitted, world_400x120, last_out_400x120):
    """AUC on held-out pairs: each user's held-out item against an item they
    never rated, far above 0.5 (and above the first epoch's model)."""
    _, test = last_out_400x120
    rng = np.random.default_rng(1)
    rated = set(zip(world_400x120.ratings.user_id, world_400x120.ratings.item_id))
    u = test.user_id.to_numpy()
    neg = rng.integers(world_400x120.n_items, size=len(u))
    for _ in range(50):
        clash = np.array([(a, b) in rated for a, b in zip(u, neg)])
        if not clash.any():
            break
        neg[clash] = rng.integers(world_400x120.n_items, size=int(clash.sum()))
    def auc(model):
        return float(np.mean(model.predict(u, test.item_id) > model.predict(u, neg)))
    bpr = fitted["BPR"]
    assert auc(bpr) > 0.75
    assert bpr.history_["loss"][-1] < bpr.history_["loss"][0] < np.log(2) + 0.01
    assert bpr.count_params() == (world_400x120.n_users + world_400x120.n_items) * 32 + world_400x120.n_items


def test_bpr_is_reproducible_with_a_seed(last_out_400x120):
    train = last_out_400x120[0]
    a = BPR(seed=3, **FAST_BPR).fit(train)
    b = BPR(seed=3, **FAST_BPR).fit(train)
    c = BPR(seed=4, **FAST_BPR).fit(train)
    assert np.allclose(a.score_matrix(), b.score_matrix(), atol=1e-6)
    assert not np.allclose(a.item_factors, c.item_factors, atol=1e-3)


# ------------------------------------------------------------------ against popularity
def test_each_beats_popularity_on_a_small_world(fitted, last_out_400x120):
    """On the 400-user world_400x120, leave-last-out NDCG@10 of each implicit model
    is more than 1.5x popularity's (measured: about 2.3x to 3x)."""
    _, test = last_out_400x120
    pop = evaluate_ranking(fitted["Popularity"], test, 10)["ndcg@10"]
    for name in ("EASE", "ItemKNN", "BPR"):
        assert evaluate_ranking(fitted[name], test, 10)["ndcg@10"] > 1.5 * pop, name


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("make, match", [
    (lambda: EASE(l2=0), "l2"),
    (lambda: EASE(l2=-1.0), "l2"),
    (lambda: EASE(min_rating="4"), "min_rating"),
    (lambda: ItemKNN(k=0), "k must be"),
    (lambda: ItemKNN(k=2.5), "k must be"),
    (lambda: ItemKNN(shrinkage=-1), "shrinkage"),
    (lambda: BPR(n_factors=0), "n_factors"),
    (lambda: BPR(epochs=2.5), "epochs"),
    (lambda: BPR(l2=float("nan")), "l2"),
    (lambda: BPR(learning_rate=0), "learning_rate"),
    (lambda: BPR(seed=-1), "seed"),
    (lambda: BPR(batch_size=True), "batch_size"),
])
def test_bad_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cls", [EASE, ItemKNN, BPR])
def test_bad_data(cls):
    kw = FAST_BPR if cls is BPR else {}
    with pytest.raises(NotFittedError):
        cls(**kw).score_matrix()
    with pytest.raises(ValueError, match="missing column"):
        cls(**kw).fit(TINY.drop(columns="item_id"))
    with pytest.raises(ValueError, match="empty"):
        cls(**kw).fit(TINY.iloc[:0])
    with pytest.raises(ValueError, match="unknown item id"):
        cls(**kw).fit(TINY, users=5, items=2)
    with pytest.raises(ValueError, match="item ids"):
        cls(**kw).fit(TINY.assign(item_id=TINY.item_id.astype(str)))
    # a threshold needs ratings, on the scale, and at least one row that passes it
    with pytest.raises(ValueError, match="missing column"):
        cls(min_rating=4, **kw).fit(TINY.drop(columns="rating"))
    with pytest.raises(ValueError, match="not on the scale"):
        cls(min_rating=4, **kw).fit(TINY.assign(rating=7))
    with pytest.raises(ValueError, match="min_rating"):
        cls(min_rating=5, **kw).fit(TINY)
    m = cls(**kw).fit(TINY, users=5, items=4)
    with pytest.raises(ValueError, match="unknown user id"):
        m.recommend(9)
    with pytest.raises(ValueError, match="unknown user id"):
        m.score_matrix([0, 5])
    with pytest.raises(ValueError, match="k must be"):
        m.recommend(0, k=0)
