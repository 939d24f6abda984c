"""Baselines every recommender must beat: global mean, biases, popularity.

All three follow :class:`reclib.protocol.Recommender`::

    Biases().fit(train, items=world.items, users=world.users).recommend(0, k=10)
"""
from __future__ import annotations

import numpy as np

from reclib.checks import check_int, check_non_negative
from reclib.protocol import Recommender


class GlobalMean(Recommender):
    """Predicts the training mean rating for every pair.

    Parameters
    ----------
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale of the training ratings (default: whole stars 1-5;
        ``reclib.checks.HALF_STARS`` for MovieLens-style half stars).
    """

    def __init__(self, scale=None):
        self.scale = scale

    def _fit(self, train):
        self.mean_ = float(train["rating"].mean())

    def _predict(self, users, items):
        return np.full(len(users), self.mean_)

    def score_matrix(self, users=None):
        """The training mean for every item (a constant: its top-K lists
        are the lowest item ids, an arbitrary tie-break)."""
        users = self._users(users)
        return np.full((len(users), self.n_items_), self.mean_)


class Biases(Recommender):
    """Global mean + user bias + item bias, fitted by regularized alternating
    least squares: ``r_ui ~ mu + b_u + b_i``.

    Parameters
    ----------
    reg : float
        L2 penalty on the biases (>= 0; shrinks rarely-rated users and
        items towards 0).
    n_iter : int
        Alternating updates of the user and item biases (>= 1).
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale (default: whole stars 1-5).
    """

    def __init__(self, reg=5.0, n_iter=10, scale=None):
        self.reg = check_non_negative("reg", reg)
        self.n_iter = check_int("n_iter", n_iter, low=1)
        self.scale = scale

    def _fit(self, train):
        u = train["user_id"].to_numpy(np.int64)
        i = train["item_id"].to_numpy(np.int64)
        r = train["rating"].to_numpy(dtype=float)
        self.mean_ = float(r.mean())
        bu = np.zeros(self.n_users_)
        bi = np.zeros(self.n_items_)
        nu = np.bincount(u, minlength=self.n_users_)
        ni = np.bincount(i, minlength=self.n_items_)
        for _ in range(self.n_iter):
            bi = np.bincount(i, r - self.mean_ - bu[u], self.n_items_) / np.maximum(ni + self.reg, 1e-12)
            bu = np.bincount(u, r - self.mean_ - bi[i], self.n_users_) / np.maximum(nu + self.reg, 1e-12)
        self.user_bias_, self.item_bias_ = bu, bi

    def _predict(self, users, items):
        return self.mean_ + self.user_bias_[users] + self.item_bias_[items]

    def score_matrix(self, users=None):
        """Predicted ratings of every item for each of ``users`` (default: all)."""
        users = self._users(users)
        return self.mean_ + self.user_bias_[users, None] + self.item_bias_[None, :]


class Popularity(Recommender):
    """Recommends the items with the most training interactions.

    Only ``user_id`` and ``item_id`` are read, so any interaction table
    works (ratings on any scale, clicks, purchases). ``predict`` returns the
    training count of each item: a score, not a rating.
    """

    columns = ("user_id", "item_id")

    def _fit(self, train):
        self.counts_ = np.bincount(train["item_id"].to_numpy(np.int64), minlength=self.n_items_)

    def _predict(self, users, items):
        return self.counts_[items].astype(float)

    def score_matrix(self, users=None):
        """The training count of every item, the same row for each user."""
        users = self._users(users)
        return np.broadcast_to(self.counts_.astype(float), (len(users), self.n_items_)).copy()
