"""Retrieval reasons: copy the nearest training review and adapt it.

Each training review is indexed by the concatenated matrix-factorization
vectors of its (user, item) pair, ``[p_u, q_i]``. For a new pair the review
with the nearest key (Euclidean distance) is copied, and its item-specific
words are swapped for the target item's: the brand, the category (with
"this"/"these" agreeing) and, when the user table has a ``context`` column,
the reviewer's use context for the target user's. Each swap needs its column
(``brand``, ``category`` in the item table): without them the review is
copied as it is. It is the baseline every generator must beat: fluent by
construction, but it copies, and it happily keeps an aspect the target item
does not have ("the battery lasts all day" for a jacket), which the guard
(:mod:`reclib.reasons.guard`) then catches.
"""
from __future__ import annotations

import re

import numpy as np

from reclib.checks import check_bool, check_fitted, check_int, check_pairs, check_seed
from reclib.protocol import ReasonGenerator
from reclib.reasons.base import METHODS, SENTIMENT_IDS, check_decoding, parse_grounding


def demonstrative(category):
    """"these" for plural category names ("headphones", "running shoes"), else "this"."""
    c = str(category)
    return "these" if c.endswith("s") and not c.endswith("ss") else "this"


def _keep_case(word, like):
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _field(row, name):
    value = row.get(name) if hasattr(row, "get") else None
    return None if value is None or value != value else str(value)  # NaN -> None


def adapt_text(text, source_item, target_item, source_context=None, target_context=None):
    """Rewrite a review of ``source_item`` so that it is about ``target_item``.

    ``source_item`` and ``target_item`` are rows (or dicts) with ``brand``
    and ``category`` (either may be missing: that swap is skipped). The
    source brand becomes the target brand, the source category the target
    category, "this"/"these" before them agree with the new category, and
    ``source_context`` (e.g. "school") becomes ``target_context`` when both
    are given. Nothing else changes: an aspect the target item lacks is *not*
    removed.
    """
    sb, tb = _field(source_item, "brand"), _field(target_item, "brand")
    sc, tc = _field(source_item, "category"), _field(target_item, "category")
    out = text
    if sb and tb:
        out = re.sub(rf"\b{re.escape(sb)}\b", tb, out)
    if sc and tc:
        out = re.sub(rf"\b{re.escape(sc)}\b", lambda m: _keep_case(tc, m.group(0)), out,
                     flags=re.IGNORECASE)
    if source_context and target_context and source_context != target_context:
        out = re.sub(rf"\b{re.escape(str(source_context))}\b", str(target_context), out,
                     flags=re.IGNORECASE)
    if tc:
        det = demonstrative(tc)
        brand = rf"(?:{re.escape(tb)} )?" if tb else ""
        follow = rf"(?= {brand}{re.escape(tc)}\b" + (rf"| {re.escape(tb)}\b)" if tb else ")")
        out = re.sub(rf"\b(this|these){follow}", lambda m: _keep_case(det, m.group(0)), out,
                     flags=re.IGNORECASE)
    return out


class RetrievalReasons(ReasonGenerator):
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

    ``fit(train, *, items=None, users=None, aspects=None, mf=None,
    user_factors=None, item_factors=None)``: the factors come from
    ``user_factors``/``item_factors`` if given, else from a fitted ``mf``,
    else an MF is fitted on ``train`` here (and counted in ``fit_time_``).

    Not grounded, but ``generate(..., aspects=...)`` restricts the search to
    reviews about the given aspect (and sentiment), when there are any.
    """

    def __init__(self, n_factors=16, mf_epochs=5, exclude_same_pair=True, adapt=True,
                 top_k=5, seed=0):
        self.n_factors = check_int("n_factors", n_factors)
        self.mf_epochs = check_int("mf_epochs", mf_epochs)
        self.exclude_same_pair = check_bool("exclude_same_pair", exclude_same_pair)
        self.adapt = check_bool("adapt", adapt)
        self.top_k = check_int("top_k", top_k)
        self.seed = check_seed(seed)

    def _fit(self, train, mf=None, user_factors=None, item_factors=None):
        n_users, n_items = self.n_users_, self.n_items_
        if (user_factors is None) != (item_factors is None):
            raise ValueError("give both user_factors and item_factors, or neither")
        if user_factors is None and mf is not None:
            check_fitted(mf, "fit_time_")
            user_factors, item_factors = mf.user_factors, mf.item_factors
        if user_factors is None:
            from reclib.models.mf import MF

            df = train if "timestamp" in train else train.assign(timestamp=0)
            mf = MF(n_factors=self.n_factors, epochs=self.mf_epochs, seed=self.seed,
                    scale=self.scale_)
            mf.fit(df, items=n_items, users=n_users)
            user_factors, item_factors = mf.user_factors, mf.item_factors
        P = np.asarray(user_factors, dtype=np.float32)
        Q = np.asarray(item_factors, dtype=np.float32)
        if P.ndim != 2 or Q.ndim != 2 or P.shape[0] < n_users or Q.shape[0] < n_items \
                or P.shape[1] != Q.shape[1]:
            raise ValueError(f"factors must be 2-D with at least {n_users} user rows and "
                             f"{n_items} item rows and the same width, got {P.shape} and "
                             f"{Q.shape}")
        if not (np.isfinite(P).all() and np.isfinite(Q).all()):
            raise ValueError("factors must be finite (no NaN or inf)")
        self.P_, self.Q_ = P[:n_users], Q[:n_items]
        self.train_ = train[["user_id", "item_id", "text", "aspect", "sentiment"]] \
            .reset_index(drop=True)
        self.keys_ = np.concatenate([self.P_[self.train_["user_id"].to_numpy()],
                                     self.Q_[self.train_["item_id"].to_numpy()]], axis=1)
        self.key_norms_ = np.sum(self.keys_ ** 2, axis=1)
        index = {a: k for k, a in enumerate(self.aspects_)}
        self.ground_ = (self.train_["aspect"].map(index).to_numpy() * 3
                        + self.train_["sentiment"].map(SENTIMENT_IDS).to_numpy())
        has_context = self.users_ is not None and "context" in self.users_
        self.contexts_ = self.users_["context"].astype(str).to_numpy() if has_context else None

    def count_params(self):
        """Number of learned numbers: the MF user and item vectors."""
        check_fitted(self, "fit_time_")
        return int(self.P_.size + self.Q_.size)

    def retrieve(self, users, items, aspects=None, method="greedy", seed=None,
                 chunk_size=256):
        """Row index (into the training reviews ``train_``) of the review
        retrieved for each pair: the nearest (``method="greedy"``) or a random
        one of the ``top_k`` nearest (``"sample"``). With ``aspects=`` only
        reviews about that aspect (and sentiment, if given) are candidates,
        when any exist."""
        check_fitted(self, "fit_time_")
        method = "greedy" if method == "beam" else method
        if method not in ("greedy", "sample"):
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        chunk_size = check_int("chunk_size", chunk_size)
        rng = np.random.default_rng(self.seed if seed is None else check_seed(seed))
        queries = np.concatenate([self.P_[users], self.Q_[items]], axis=1)
        groups = {None: np.arange(len(users))}
        if aspects is not None:
            a, s = parse_grounding(aspects, self.aspects_, len(users))
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

    def _generate(self, users, items, aspects, method="greedy", seed=None, **options):
        """The retrieved reviews, adapted to the target item (and user).
        ``method`` is ``"greedy"`` (nearest) or ``"sample"`` (one of the
        ``top_k`` nearest; ``"beam"`` acts as greedy); the other decoding
        options are accepted and have no effect."""
        check_decoding(options)
        idx = self.retrieve(users, items, aspects=aspects, method=method, seed=seed)
        out = []
        for k, j in enumerate(idx):
            src = self.train_.iloc[j]
            text = src["text"]
            if self.adapt:
                sc = tc = None
                if self.contexts_ is not None:
                    sc, tc = self.contexts_[int(src["user_id"])], self.contexts_[int(users[k])]
                source = self.items_.iloc[int(src["item_id"])] if self.items_ is not None else {}
                target = self.items_.iloc[int(items[k])] if self.items_ is not None else {}
                text = adapt_text(text, source, target, sc, tc)
            out.append(text)
        return out
