"""Retrieval reasons: copy the nearest training review and adapt it.

Each training review is indexed by the concatenated matrix-factorization
vectors of its (user, item) pair, ``[p_u, q_i]``. For a new pair the review
with the nearest key (Euclidean distance) is copied, and its item-specific
words are swapped for the target item's: the brand, the category (with
"this"/"these" agreeing) and, when the user table is given, the reviewer's
use context for the target user's. It is the baseline every generator must
beat: fluent by construction, but it copies, and it happily keeps an aspect
the target item does not have ("the battery lasts all day" for a jacket),
which the guard (:mod:`reclib.reasons.guard`) then catches.
"""
from __future__ import annotations

import re
import time

import numpy as np

from reclib.data.shopsim import ASPECTS
from reclib.models._checks import check_ids
from reclib.reasons._common import (METHODS, SENTIMENT_IDS, check_int, check_items, check_query,
                                    check_reviews, parse_grounding)


def demonstrative(category):
    """"these" for plural category names ("headphones", "running shoes"), else "this"."""
    c = str(category)
    return "these" if c.endswith("s") and not c.endswith("ss") else "this"


def _keep_case(word, like):
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def adapt_text(text, source_item, target_item, source_context=None, target_context=None):
    """Rewrite a review of ``source_item`` so that it is about ``target_item``.

    ``source_item`` and ``target_item`` are rows (or dicts) with ``brand`` and
    ``category``. The source brand becomes the target brand, the source
    category the target category, "this"/"these" before them agree with the
    new category, and ``source_context`` (e.g. "school") becomes
    ``target_context`` when both are given. Nothing else changes: an aspect
    the target item lacks is *not* removed.
    """
    sb, sc = str(source_item["brand"]), str(source_item["category"])
    tb, tc = str(target_item["brand"]), str(target_item["category"])
    out = re.sub(rf"\b{re.escape(sb)}\b", tb, text)
    out = re.sub(rf"\b{re.escape(sc)}\b", lambda m: _keep_case(tc, m.group(0)), out,
                 flags=re.IGNORECASE)
    if source_context and target_context and source_context != target_context:
        out = re.sub(rf"\b{re.escape(str(source_context))}\b", str(target_context), out,
                     flags=re.IGNORECASE)
    det = demonstrative(tc)
    follow = rf"(?= (?:{re.escape(tb)} )?{re.escape(tc)}\b| {re.escape(tb)}\b)"
    out = re.sub(rf"\b(this|these){follow}", lambda m: _keep_case(det, m.group(0)), out,
                 flags=re.IGNORECASE)
    return out


class RetrievalReasons:
    """Nearest-neighbour retrieval of a training review in MF space, adapted
    to the target item.

    Parameters
    ----------
    n_factors, mf_epochs : int
        Size and training length of the :class:`reclib.models.mf.MF` fitted
        when no factors are given to :meth:`fit`.
    exclude_same_pair : bool
        Never return the review of the very pair asked about (it would be
        the answer itself when generating for training pairs).
    adapt : bool
        Swap brand, category and context words (False: copy verbatim).
    top_k : int
        ``method="sample"`` draws uniformly among the ``top_k`` nearest reviews.
    seed : int
    """

    def __init__(self, n_factors=16, mf_epochs=5, exclude_same_pair=True, adapt=True,
                 top_k=5, seed=0):
        self.n_factors = check_int("n_factors", n_factors)
        self.mf_epochs = check_int("mf_epochs", mf_epochs)
        self.exclude_same_pair = bool(exclude_same_pair)
        self.adapt = bool(adapt)
        self.top_k = check_int("top_k", top_k)
        self.seed = seed

    def fit(self, train, items, users=None, mf=None, user_factors=None, item_factors=None):
        """Index the training reviews by their pair's MF vectors.

        Factors come from ``user_factors``/``item_factors`` if given, else from
        a fitted ``mf`` (:class:`reclib.models.mf.MF`), else an MF is fitted on
        ``train`` here. Returns self.
        """
        t0 = time.perf_counter()
        check_reviews(train)
        self.items_ = check_items(items)
        self.users_ = users.reset_index(drop=True) if users is not None else None
        n_items = len(self.items_)
        n_users = len(users) if users is not None else int(train["user_id"].max()) + 1
        check_ids("user", train["user_id"].to_numpy(), n_users)
        check_ids("item", train["item_id"].to_numpy(), n_items)
        if (user_factors is None) != (item_factors is None):
            raise ValueError("give both user_factors and item_factors, or neither")
        if user_factors is None and mf is not None:
            if not hasattr(mf, "model_"):
                raise ValueError("mf is not fitted: call mf.fit(...) first")
            user_factors, item_factors = mf.user_factors, mf.item_factors
        if user_factors is None:
            from reclib.models.mf import MF

            df = train if "timestamp" in train else train.assign(timestamp=0)
            mf = MF(n_factors=self.n_factors, epochs=self.mf_epochs, seed=self.seed)
            mf.fit(df, n_users, n_items)
            user_factors, item_factors = mf.user_factors, mf.item_factors
        P = np.asarray(user_factors, dtype=np.float32)
        Q = np.asarray(item_factors, dtype=np.float32)
        if P.ndim != 2 or Q.ndim != 2 or P.shape[0] < n_users or Q.shape[0] < n_items:
            raise ValueError(f"factors must be 2-D with at least {n_users} user rows and "
                             f"{n_items} item rows, got {P.shape} and {Q.shape}")
        self.P_, self.Q_ = P[:n_users], Q[:n_items]
        self.n_users_, self.n_items_ = n_users, n_items
        self.train_ = train[["user_id", "item_id", "text", "aspect", "sentiment"]] \
            .reset_index(drop=True)
        self.keys_ = np.concatenate([self.P_[self.train_["user_id"].to_numpy()],
                                     self.Q_[self.train_["item_id"].to_numpy()]], axis=1)
        self.key_norms_ = np.sum(self.keys_ ** 2, axis=1)
        self.ground_ = (self.train_["aspect"].map(ASPECTS.index).to_numpy() * 3
                        + self.train_["sentiment"].map(SENTIMENT_IDS).to_numpy())
        self.fit_time_ = time.perf_counter() - t0
        return self

    def param_count(self):
        """Number of learned numbers: the MF user and item vectors."""
        self._check_fitted()
        return int(self.P_.size + self.Q_.size)

    def _check_fitted(self):
        if not hasattr(self, "keys_"):
            raise ValueError("RetrievalReasons is not fitted: call fit(train, items) first")

    def retrieve(self, users, items, aspects=None, method="greedy", seed=None,
                 chunk_size=256):
        """Row index (into the training reviews) of the review retrieved for
        each pair: the nearest (``method="greedy"``) or a random one of the
        ``top_k`` nearest (``"sample"``). With ``aspects=`` only reviews about
        that aspect (and sentiment, if given) are candidates, when any exist."""
        self._check_fitted()
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
        users, items = check_query(users, items, self.n_users_, self.n_items_)
        rng = np.random.default_rng(self.seed if seed is None else seed)
        queries = np.concatenate([self.P_[users], self.Q_[items]], axis=1)
        groups = {None: np.arange(len(users))}
        if aspects is not None:
            a, s = parse_grounding(aspects, len(users))
            groups = {}
            for k in range(len(users)):
                groups.setdefault((int(a[k]), int(s[k])), []).append(k)
        tu = self.train_["user_id"].to_numpy()
        ti = self.train_["item_id"].to_numpy()
        out = np.empty(len(users), dtype=np.int64)
        for g, rows in groups.items():
            rows = np.asarray(rows)
            cand = np.arange(len(self.keys_))
            if g is not None:
                a_id, s_id = g
                if s_id == SENTIMENT_IDS[None]:
                    sub = np.flatnonzero(self.ground_ // 3 == a_id)
                else:
                    sub = np.flatnonzero(self.ground_ == a_id * 3 + s_id)
                cand = sub if len(sub) else cand
            keys, norms = self.keys_[cand], self.key_norms_[cand]
            for start in range(0, len(rows), chunk_size):
                r = rows[start:start + chunk_size]
                d = norms[None, :] - 2.0 * queries[r] @ keys.T
                if self.exclude_same_pair:
                    same = (tu[cand][None, :] == users[r, None]) \
                        & (ti[cand][None, :] == items[r, None])
                    d[same] = np.inf
                if method == "sample":
                    k = min(self.top_k, len(cand))
                    near = np.argpartition(d, k - 1, axis=1)[:, :k]
                    pick = near[np.arange(len(r)), rng.integers(0, k, len(r))]
                else:
                    pick = np.argmin(d, axis=1)
                out[r] = cand[pick]
        return out

    def generate(self, users, items, aspects=None, method="greedy", seed=None, **_ignored):
        """Reasons for pairs: the retrieved review, adapted to the target item
        (and user). ``method`` is ``"greedy"`` (nearest) or ``"sample"`` (one
        of the ``top_k`` nearest; ``"beam"`` acts as greedy); other decoding
        settings are accepted and ignored, so that all generators can be called
        alike. Returns a list of str."""
        if method not in METHODS:
            raise ValueError(f"unknown decoding method {method!r}; use one of {METHODS}")
        idx = self.retrieve(users, items, aspects=aspects,
                            method="sample" if method == "sample" else "greedy", seed=seed)
        users, items = np.atleast_1d(users), np.atleast_1d(items)
        out = []
        for k, j in enumerate(idx):
            src = self.train_.iloc[j]
            text = src["text"]
            if self.adapt:
                sc = tc = None
                if self.users_ is not None and "context" in self.users_:
                    sc = self.users_.at[int(src["user_id"]), "context"]
                    tc = self.users_.at[int(users[k]), "context"]
                text = adapt_text(text, self.items_.iloc[int(src["item_id"])],
                                  self.items_.iloc[int(items[k])], sc, tc)
            out.append(text)
        return out

    def generate_one(self, user, item, aspect=None, **kw):
        """The reason for one (user, item) pair."""
        return self.generate([user], [item], None if aspect is None else [aspect], **kw)[0]
