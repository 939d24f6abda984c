"""Baselines every recommender must beat: global mean, biases, popularity."""
from __future__ import annotations

import numpy as np

from reclib.models._checks import check_pairs, check_ids, sizes, top_k


class _Recommends:
    """recommend(user, k): the best-scored items the user has not rated."""

    def recommend(self, user, k=10, exclude_rated=True):
        """Top-``k`` item ids for ``user``, best first, skipping rated items."""
        (user,) = check_ids("user", [user], self.n_users_)
        scores = self.score_items(user)
        seen = self.rated_.get(int(user), ()) if exclude_rated else ()
        return top_k(scores, k, seen)

    def _remember(self, df):
        self.rated_ = df.groupby("user_id")["item_id"].apply(
            lambda s: s.to_numpy()).to_dict()


class GlobalMean:
    """Predicts the training mean rating for every pair."""

    def fit(self, df, n_users=None, n_items=None):
        self.n_users_, self.n_items_ = sizes(df, n_users, n_items)
        self.mean_ = float(df["rating"].mean())
        return self

    def predict(self, users, items):
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        return np.full(len(users), self.mean_)


class Biases(_Recommends):
    """Global mean + user bias + item bias, fitted by regularized alternating
    least squares: ``r_ui ~ mu + b_u + b_i``.

    Parameters
    ----------
    reg : float
        L2 penalty on the biases (shrinks rarely-rated users and items to 0).
    n_iter : int
        Alternating updates of the user and item biases.
    """

    def __init__(self, reg=5.0, n_iter=10):
        if reg < 0:
            raise ValueError(f"reg must be non-negative, got {reg}")
        self.reg, self.n_iter = reg, n_iter

    def fit(self, df, n_users=None, n_items=None):
        self.n_users_, self.n_items_ = sizes(df, n_users, n_items)
        u = df["user_id"].to_numpy()
        i = df["item_id"].to_numpy()
        r = df["rating"].to_numpy(dtype=float)
        self.mean_ = r.mean()
        bu = np.zeros(self.n_users_)
        bi = np.zeros(self.n_items_)
        nu = np.bincount(u, minlength=self.n_users_)
        ni = np.bincount(i, minlength=self.n_items_)
        for _ in range(self.n_iter):
            bi = np.bincount(i, r - self.mean_ - bu[u], self.n_items_) / (ni + self.reg)
            bu = np.bincount(u, r - self.mean_ - bi[i], self.n_users_) / (nu + self.reg)
        self.user_bias_, self.item_bias_ = bu, bi
        self._remember(df)
        return self

    def predict(self, users, items):
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        return self.mean_ + self.user_bias_[users] + self.item_bias_[items]

    def score_items(self, user):
        return self.mean_ + self.user_bias_[user] + self.item_bias_


class Popularity(_Recommends):
    """Recommends the items with the most training interactions."""

    def fit(self, df, n_users=None, n_items=None):
        self.n_users_, self.n_items_ = sizes(df, n_users, n_items)
        self.counts_ = np.bincount(df["item_id"].to_numpy(), minlength=self.n_items_)
        self._remember(df)
        return self

    def score_items(self, user):
        return self.counts_.astype(float)
