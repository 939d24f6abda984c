"""Two kinds of reason beyond "its battery lasts": behavioural and social.

The explanation literature names three kinds of recommendation reason:
*aspect* reasons (about a property of the item: :mod:`reclib.reasons.templates`
and the neural generators), *behavioural* ones ("you bought X, which is
similar") and *social* ones ("shoppers whose tastes match yours rated it
highly"). This module writes the last two for many pairs at once, from the
**training** split only, and says which evidence each reason cites
(:meth:`BehaviouralReasons.evidence`, :meth:`SocialReasons.evidence`), so that
an evaluation with a known truth can check the citation:

* behavioural: among the user's training items rated at least ``liked``
  (all their training items when none is), the one most similar to the
  recommended item, by cosine of item vectors (e.g. a recommender's learned
  ``item_vectors()``) or, without vectors, of the items' aspect-sentiment
  profiles in the training reviews;
* social: among the item's training raters, the ``n_neighbours`` whose aspect
  preferences (the aspects their own reviews talk about,
  :func:`~reclib.reasons.templates.fit_evidence`) are closest to the user's,
  and their mean training rating of the item.

Both follow the generator protocol (``fit`` / ``generate`` / ``generate_one``
/ ``count_params``) and name no aspect (``Reason.aspects`` is empty).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reclib.checks import check_fitted, check_int, check_number, check_pairs, check_seed
from reclib.protocol import Reason, ReasonGenerator
from reclib.reasons.options import check_decoding
from reclib.reasons.templates import fit_evidence

__all__ = ["BehaviouralReasons", "SocialReasons", "unit_rows"]


def unit_rows(x):
    """The rows of ``x`` scaled to unit length (a zero row stays zero), so
    that ``unit_rows(a) @ unit_rows(b).T`` (or, row by row,
    ``(unit_rows(a) * unit_rows(b)).sum(1)``) is the cosine similarity.
    The one row-cosine helper of reclib (the reason kinds and their grading
    in :mod:`reclib.evaluation.decision` use it)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"unit_rows needs a 2-D array (one row per vector), got shape "
                         f"{x.shape}")
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _names(items, n_items):
    if isinstance(items, pd.DataFrame) and "title" in items:
        return items["title"].astype(str).to_numpy()
    return np.array([f"item {i}" for i in range(n_items)])


class BehaviouralReasons(ReasonGenerator):
    """"You bought the X and rated it 5 stars; it is similar": behavioural reasons.

    Parameters
    ----------
    item_vectors : array (n_items, d) or None
        Vectors whose cosine says how similar two items are (a recommender's
        learned item vectors). None: the items' aspect-sentiment profiles in
        the training reviews.
    liked : float
        Smallest training rating that counts as liked; a user with no liked
        training item is cited their most similar training item whatever its
        rating (the text states the rating, so it stays true).
    seed : int
        Unused (the reasons are deterministic); kept for the protocol.

    ``fit(train, *, items=None, users=None)`` on training reviews (or any
    ratings table with ``user_id, item_id, rating`` plus the review columns).
    """

    def __init__(self, item_vectors=None, liked=4, seed=0):
        if item_vectors is not None:
            v = np.asarray(item_vectors, dtype=float)
            if v.ndim != 2 or not np.isfinite(v).all():
                raise ValueError(f"item_vectors must be a finite 2-D array (items x dimensions), "
                                 f"got shape {v.shape}")
            item_vectors = v
        self.item_vectors = item_vectors
        self.liked = check_number("liked", liked)
        self.seed = check_seed(seed)

    def _fit(self, train):
        if self.item_vectors is not None:
            if len(self.item_vectors) != self.n_items_:
                raise ValueError(f"item_vectors has {len(self.item_vectors)} rows but there are "
                                 f"{self.n_items_} items")
            vectors = self.item_vectors
        else:
            vectors = fit_evidence(train, items=self.items_ if self.items_ is not None
                                   else self.n_items_, users=self.n_users_,
                                   aspects=self.aspects_).item_sentiment
        self.unit_ = unit_rows(vectors)
        rows = train[["user_id", "item_id", "rating"]]
        self.history_ = {int(u): (g["item_id"].to_numpy(np.int64), g["rating"].to_numpy(float))
                         for u, g in rows.groupby("user_id")}
        self.names_ = _names(self.items_, self.n_items_)
        has_cat = isinstance(self.items_, pd.DataFrame) and "category" in self.items_
        self.categories_ = self.items_["category"].astype(str).to_numpy() if has_cat else None

    def count_params(self):
        """Nothing is learned here (the item vectors belong to the recommender)."""
        return 0

    def evidence(self, users, items):
        """What each reason cites: a DataFrame with ``user_id, item_id,
        cited_item, cited_rating, similarity`` (one row per pair)."""
        check_fitted(self, "fit_time_")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        cited, rating, sim = [], [], []
        for u, i in zip(users, items):
            if int(u) not in self.history_:
                raise ValueError(f"user {u} has no training items: a behavioural reason "
                                 f"needs at least one")
            own, r = self.history_[int(u)]
            keep = own != i
            if not keep.any():
                raise ValueError(f"user {u} has no training item other than item {i}")
            own, r = own[keep], r[keep]
            pool = r >= self.liked
            if pool.any():
                own, r = own[pool], r[pool]
            s = self.unit_[own] @ self.unit_[i]
            k = int(np.argmax(s))
            cited.append(int(own[k]))
            rating.append(float(r[k]))
            sim.append(float(s[k]))
        return pd.DataFrame({"user_id": users, "item_id": items, "cited_item": cited,
                             "cited_rating": rating, "similarity": sim})

    def _text(self, item, cited, rating):
        kind = f"this {self.categories_[item]}" if self.categories_ is not None else "this one"
        return f"You bought the {self.names_[cited]} and rated it {rating:g} stars; " \
               f"{kind} is similar."

    def _generate(self, users, items, aspects, **decoding):
        check_decoding(decoding)
        if aspects is not None:
            raise ValueError("BehaviouralReasons is not grounded: do not pass aspects=")
        ev = self.evidence(users, items)
        return [self._text(i, c, r) for i, c, r in
                zip(ev["item_id"], ev["cited_item"], ev["cited_rating"])]

    def generate_one(self, user, item, aspect=None, **decoding):
        """The :class:`~reclib.protocol.Reason` (kind ``"behavioural"``, no aspects)."""
        if aspect is not None:
            raise ValueError("BehaviouralReasons is not grounded: do not pass aspect=")
        return Reason(self.generate([user], [item], **decoding)[0], [], "behavioural")


class SocialReasons(ReasonGenerator):
    """"12 shoppers whose tastes match yours rated it 4.6 out of 5": social reasons.

    Parameters
    ----------
    n_neighbours : int
        How many of the item's training raters to cite (the closest in aspect
        preferences; fewer when fewer rated it).
    people : str
        What to call them ("shoppers", "guests", "readers").
    prior_strength : float
        Smoothing of the aspect preferences (:func:`fit_evidence`).
    seed : int
        Unused (the reasons are deterministic); kept for the protocol.

    An item with no training rating from another user gets a sentence that
    cites nobody ("No shopper with tastes like yours has rated it yet."),
    with ``n_cited`` 0 in :meth:`evidence`.
    """

    def __init__(self, n_neighbours=20, people="shoppers", prior_strength=2.0, seed=0):
        self.n_neighbours = check_int("n_neighbours", n_neighbours)
        if not isinstance(people, str) or not people.strip():
            raise ValueError(f"people must be a non-empty string, got {people!r}")
        self.people = people
        self.prior_strength = check_number("prior_strength", prior_strength, low=0)
        self.seed = check_seed(seed)

    def _fit(self, train):
        ev = fit_evidence(train, items=self.n_items_, users=self.n_users_,
                          aspects=self.aspects_, prior_strength=self.prior_strength)
        self.taste_ = unit_rows(ev.user_pref)
        rows = train[["user_id", "item_id", "rating"]]
        self.raters_ = {int(i): (g["user_id"].to_numpy(np.int64), g["rating"].to_numpy(float))
                        for i, g in rows.groupby("item_id")}

    def count_params(self):
        """Size of the aspect-preference table it compares users with."""
        check_fitted(self, "fit_time_")
        return int(self.taste_.size)

    def evidence(self, users, items):
        """What each reason cites: a DataFrame with ``user_id, item_id, n_cited,
        mean_rating`` (NaN when nobody is cited) and ``neighbours`` (the cited
        user ids, closest first)."""
        check_fitted(self, "fit_time_")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        empty = (np.zeros(0, np.int64), np.zeros(0))
        n, mean, who = [], [], []
        for u, i in zip(users, items):
            raters, r = self.raters_.get(int(i), empty)
            keep = raters != u
            raters, r = raters[keep], r[keep]
            top = np.argsort(-(self.taste_[raters] @ self.taste_[u]), kind="stable")
            top = top[:self.n_neighbours]
            n.append(len(top))
            mean.append(float(r[top].mean()) if len(top) else float("nan"))
            who.append(raters[top].tolist())
        return pd.DataFrame({"user_id": users, "item_id": items, "n_cited": n,
                             "mean_rating": mean, "neighbours": who})

    def _text(self, n, mean):
        if n == 0:
            return f"No {self.people.rstrip('s')} with tastes like yours has rated it yet."
        who = self.people if n > 1 else self.people.rstrip("s")
        return f"{n} {who} whose tastes match yours rated it {mean:.1f} out of 5 on average."

    def _generate(self, users, items, aspects, **decoding):
        check_decoding(decoding)
        if aspects is not None:
            raise ValueError("SocialReasons is not grounded: do not pass aspects=")
        ev = self.evidence(users, items)
        return [self._text(n, m) for n, m in zip(ev["n_cited"], ev["mean_rating"])]

    def generate_one(self, user, item, aspect=None, **decoding):
        """The :class:`~reclib.protocol.Reason` (kind ``"social"``, no aspects)."""
        if aspect is not None:
            raise ValueError("SocialReasons is not grounded: do not pass aspect=")
        return Reason(self.generate([user], [item], **decoding)[0], [], "social")
