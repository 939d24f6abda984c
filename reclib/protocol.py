"""The two shapes everything in reclib has: a recommender and a reason generator.

Every recommender (global mean, biases, popularity, MF, the two-tower
feature model, ...) is used the same way::

    model = MF(n_factors=16, seed=0)           # settings, checked here
    model.fit(train, items=world.items, users=world.users)  # or counts, or neither
    model.predict(users, items)                # one score per (user, item) pair
    model.recommend(user, k=10)                # item ids, best first, unrated only
    model.recommend_all(k=10)                  # {user: [item ids]} for every user
    model.fit_time_                            # seconds the last fit took

and every reason generator (templates, retrieval, seq2seq, GAN,
Transformer, ...) the same way::

    gen = TransformerReasons(seed=0)
    gen.fit(train, items=world.items, users=world.users)   # training reviews
    gen.aspects_                                # the aspect vocabulary it was fitted on
    gen.generate(users, items, aspects=None)    # list of str, one per pair
    gen.generate_one(user, item)                # a Reason: text + the aspects it names
    gen.count_params()                          # weights (templates: evidence arrays)

``items`` and ``users`` (keyword-only) are the catalogue and the user
table (row ``k`` is id ``k``), or just their sizes as ints, or None (then
the ids seen in ``train`` define them). The aspect vocabulary is never a global: it is read
from the reviews' ``aspect`` column, or passed in ``aspects=``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reclib.data.aspects import extract_aspects
from reclib.checks import (RATING_COLUMNS, REVIEW_COLUMNS, aspects_of, check_fitted,
                           check_ids, check_int, check_k, check_pairs, check_ratings,
                           check_reviews, check_scale)


def _count(name, table, ids):
    """Number of users/items: ``len(table)``, an int, or max id + 1."""
    if table is None:
        return int(ids.max()) + 1
    if isinstance(table, pd.DataFrame):
        if len(table) == 0:
            raise ValueError(f"the {name} table is empty")
        return len(table)
    return check_int(f"number of {name}", table, low=1)


def sizes(train, items=None, users=None):
    """``(n_users, n_items)`` for a training table and optional user and item
    tables (or counts), checking that every id in ``train`` is known."""
    n_users = _count("users", users, train["user_id"])
    n_items = _count("items", items, train["item_id"])
    check_ids("user", train["user_id"].to_numpy(), n_users)
    check_ids("item", train["item_id"].to_numpy(), n_items)
    return n_users, n_items


def timed_fit(model, train, items, users, options):
    """What every ``fit`` does around the model's own ``_fit``: the sizes and
    tables (``n_users_``, ``n_items_``, ``items_``, ``users_``), and the
    seconds ``_fit`` took (``fit_time_``)."""
    model.n_users_, model.n_items_ = sizes(train, items, users)
    model.items_ = items if isinstance(items, pd.DataFrame) else None
    model.users_ = users if isinstance(users, pd.DataFrame) else None
    start = time.perf_counter()
    model._fit(train, **options)
    model.fit_time_ = time.perf_counter() - start


def top_k_lists(scores, users, k=10, exclude=None, candidates=None):
    """Top-``k`` lists from a score matrix: ``{user: [item, ...]}``, best first.

    Row ``r`` of ``scores`` scores every item for ``users[r]``; ``exclude``
    maps a user to item ids never to recommend (e.g. those rated in
    training); ``candidates`` restricts the lists to these items.
    """
    scores = np.array(scores, dtype=float)
    users = check_ids("user", users)
    if scores.ndim != 2 or scores.shape[0] != len(users):
        raise ValueError(f"scores must have one row per user: got shape {scores.shape} "
                         f"for {len(users)} users")
    k = check_k(k)
    n = scores.shape[1]
    scores[np.isnan(scores)] = -np.inf
    if candidates is not None:
        allowed = np.zeros(n, bool)
        allowed[check_ids("candidate item", list(candidates), n)] = True
        scores[:, ~allowed] = -np.inf
    if exclude is not None:
        for row, u in enumerate(users):
            scores[row, check_ids("item", list(exclude.get(int(u), ())), n)] = -np.inf
    out = {}
    for row, u in enumerate(users):
        ok = np.flatnonzero(scores[row] > -np.inf)
        top = ok[np.argsort(-scores[row, ok], kind="stable")[:k]]
        out[int(u)] = [int(i) for i in top]
    return out


class Recommender:
    """Base class of every recommender.

    A subclass sets its settings in ``__init__`` (checked there), and
    implements ``_fit(train, **options)`` and ``_predict(users, items)``
    (checked id arrays in, one float per pair out); it may override
    ``score_matrix`` when scoring a whole catalogue at once is cheaper.
    ``columns`` are the training table's required columns.
    """

    columns = ("user_id", "item_id", "rating")
    scale = None  # the rating scale (None: whole stars 1-5); a constructor argument

    def fit(self, train, *, items=None, users=None, **options):
        """Fit on ``train`` (a ratings table); ``items``/``users`` are the
        catalogue and user tables or their sizes. Returns ``self``."""
        self.scale_ = check_scale(self.scale)
        check_ratings(train, self.columns, scale=self.scale_, name="training ratings")
        timed_fit(self, train, items, users, options)
        self.rated_ = {int(u): g.to_numpy() for u, g in train.groupby("user_id")["item_id"]}
        return self

    def _fit(self, train, **options):
        raise NotImplementedError

    def _predict(self, users, items):
        raise NotImplementedError

    def predict(self, users, items):
        """One score per (user, item) pair (a rating for rating models)."""
        check_fitted(self, "fit_time_")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        return np.asarray(self._predict(users, items), dtype=float).reshape(-1)

    def _users(self, users):
        """Checked user ids (default: every user) of a fitted model."""
        check_fitted(self, "fit_time_")
        return np.arange(self.n_users_) if users is None else \
            check_ids("user", users, self.n_users_)

    def score_matrix(self, users=None):
        """Scores of every item for each of ``users`` (default: all), shape
        ``(len(users), n_items)``."""
        users = self._users(users)
        n = self.n_items_
        s = self._predict(np.repeat(users, n), np.tile(np.arange(n), len(users)))
        return np.asarray(s, dtype=float).reshape(len(users), n)

    def recommend(self, user, k=10, exclude_rated=True):
        """Top-``k`` item ids for ``user``, best first (skipping the items
        the user rated in training unless ``exclude_rated=False``)."""
        check_fitted(self, "fit_time_")
        if np.ndim(user) != 0:
            raise ValueError(f"user must be one id, got {user!r}; use recommend_all "
                             f"for many users")
        (user,) = check_ids("user", [user], self.n_users_)
        return np.array(self.recommend_all(k, [user], exclude_rated)[int(user)], dtype=np.int64)

    def recommend_all(self, k=10, users=None, exclude_rated=True, candidates=None,
                      batch_size=512):
        """Top-``k`` lists for many users (default: all): ``{user: [items]}``."""
        check_fitted(self, "fit_time_")
        k = check_k(k)
        batch_size = check_int("batch_size", batch_size)
        users = np.arange(self.n_users_) if users is None else \
            check_ids("user", users, self.n_users_)
        out = {}
        for start in range(0, len(users), batch_size):
            chunk = users[start:start + batch_size]
            out.update(top_k_lists(self.score_matrix(chunk), chunk, k,
                                   self.rated_ if exclude_rated else None, candidates))
        return out


@dataclass
class Reason:
    """One recommendation reason: its ``text``, the ``aspects`` it names as
    ``(aspect, sentiment)`` pairs, and its ``kind`` ("aspect",
    "behavioural", "social", or "popularity" for a template's fallback
    that names no aspect)."""

    text: str
    aspects: list = field(default_factory=list)
    kind: str = "aspect"

    def __str__(self):
        return self.text


class ReasonGenerator:
    """Base class of every reason generator.

    A subclass implements ``_fit(train, **options)`` and
    ``_generate(users, items, aspects, **decoding)`` (checked id arrays in,
    a list of str out), and ``count_params``. ``fit`` sets ``aspects_``
    (the vocabulary of the training reviews, or the ``aspects`` given),
    ``n_users_``, ``n_items_``, ``items_``, ``users_`` and ``fit_time_``.
    A *grounded* generator (``grounded = True``) is told, per pair, which
    aspect to talk about (``"battery"`` or ``("battery", "positive")``).
    """

    columns = REVIEW_COLUMNS
    grounded = False
    scale = None

    def fit(self, train, *, items=None, users=None, aspects=None, **options):
        """Fit on training reviews. Returns ``self``."""
        self.scale_ = check_scale(self.scale)
        check_reviews(train, self.columns, scale=self.scale_, name="training reviews")
        self.aspects_ = aspects_of(train, aspects, "training reviews")
        timed_fit(self, train, items, users, options)
        return self

    def _fit(self, train, **options):
        raise NotImplementedError

    def _generate(self, users, items, aspects, **decoding):
        raise NotImplementedError

    def generate(self, users, items, aspects=None, **decoding):
        """One reason (a str) per (user, item) pair."""
        check_fitted(self, "fit_time_")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        if self.grounded and aspects is None:
            raise ValueError(f"{type(self).__name__} is grounded: pass aspects=, one aspect "
                             f"(or (aspect, sentiment) pair) per pair")
        if aspects is not None:
            if isinstance(aspects, str) or len(aspects) != len(users):
                raise ValueError(f"aspects must be a list with one entry per pair: "
                                 f"{len(users)} pairs, got {aspects!r:.60}")
        return list(self._generate(users, items, aspects, **decoding))

    def generate_one(self, user, item, aspect=None, **decoding):
        """The :class:`Reason` for one pair: its text and the aspects it names."""
        text = self.generate([user], [item], None if aspect is None else [aspect],
                             **decoding)[0]
        return Reason(text, extract_aspects(text, self.aspects_))

    def count_params(self):
        """Number of weights (0 for a generator without any)."""
        raise NotImplementedError


__all__ = ["RATING_COLUMNS", "REVIEW_COLUMNS", "Reason", "ReasonGenerator", "Recommender",
           "sizes", "timed_fit", "top_k_lists"]
