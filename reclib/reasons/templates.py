"""Template recommendation reasons built from evidence in the training data.

A reason for (user, item) must be *personal* (about what this user cares
about) and *true* (about an aspect the item has, with the sentiment its
reviews support). Both are estimated from what users wrote and rated in the
training split, never from a simulator's hidden truth:

* the user's aspect preference: how often each aspect is the feature word of
  the user's own reviews (smoothed towards the overall frequencies);
* the item's aspect sentiment: the mean sentiment (+1 / -1) of the training
  reviews of the item about each aspect, shrunk towards 0 when there are few.

The aspect vocabulary is that of the training reviews (or ``aspects=``).
The item table is optional: its ``aspects`` column (``;``-separated), when
there is one, says which aspects each item has; without it an item has the
aspects its training reviews talk about. ``category`` and ``brand`` columns
are used by the fallback sentence only, and a users table with a ``context``
column adds the user's use context to a reason (see :class:`TemplateReasons`).

Three kinds of reason come from here: aspect-based (:class:`TemplateReasons`),
behavioural ("you liked a similar item", :func:`behavioural_reason`) and
social ("shoppers like you", :func:`social_reason`).
"""
from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclib.checks import (aspects_of, check_bool, check_fitted, check_ids, check_int,
                           check_non_negative, check_number, check_ratings, check_reviews,
                           check_seed, check_table)
from reclib.protocol import Reason, ReasonGenerator, sizes
from reclib.reasons.options import check_decoding

__all__ = ["Evidence", "Reason", "TemplateReasons", "behavioural_reason", "fit_evidence",
           "social_reason"]

POSITIVE_TEMPLATES = (
    "Shoppers rate its {aspect} as excellent, and {aspect} is what you care about most{ctx}.",
    "Reviewers love its {aspect}, and your reviews show that {aspect} matters to you{ctx}.",
    "Its {aspect} is great according to other buyers, which fits what you look for{ctx}.",
)
SECOND_TEMPLATE = " Reviewers also find the {aspect} good."
FALLBACK_TEMPLATE = "A well-rated {category} from {brand}, popular with shoppers like you."
#: The fallback when the item table lacks a field of the fallback template.
GENERIC_FALLBACK = "A well-rated choice, popular with people like you."
CONTEXT_SUFFIX = ", especially for {context}"


@dataclass
class Evidence:
    """What the training data say, over the aspect vocabulary ``aspects``:
    ``user_pref`` (users x aspects, rows sum to 1), ``item_sentiment``
    (items x aspects, in [-1, 1], 0 without evidence), ``item_support``
    (number of reviews per item and aspect), ``item_aspects`` (per item, the
    aspects it has) and ``user_context`` (users x aspects, True where the
    user's own reviews of the aspect mention their use context; None without
    a ``context`` column in the users table)."""

    user_pref: np.ndarray
    item_sentiment: np.ndarray
    item_support: np.ndarray
    item_aspects: list
    aspects: tuple = ()
    user_context: np.ndarray | None = None

    def index(self, aspect):
        """Column of ``aspect`` in the arrays."""
        return self.aspects.index(aspect)


def fit_evidence(train, *, items=None, users=None, aspects=None, prior_strength=2.0,
                 shrink=2.0):
    """Estimate user aspect preferences and item aspect sentiment from the
    training reviews (columns ``user_id, item_id, aspect, sentiment``, and
    ``text`` for the use context).

    ``items`` and ``users`` are the item and user tables, or their sizes, or
    None (then the ids in ``train`` define them). An item table with an
    ``aspects`` column (``;``-separated) says which aspects each item has;
    otherwise an item has the aspects of its training reviews. Aspects of
    that column outside the vocabulary (no review names them) are left out.
    ``prior_strength`` smooths the preferences towards the overall aspect
    frequencies, ``shrink`` pulls scarce sentiment towards 0.
    """
    check_reviews(train, ("user_id", "item_id", "aspect", "sentiment"), aspects=aspects,
                  name="training reviews")
    prior_strength = check_non_negative("prior_strength", prior_strength)
    shrink = check_non_negative("shrink", shrink)
    aspects = aspects_of(train, aspects, "training reviews")
    n_users, n_items = sizes(train, items, users)
    index = {a: k for k, a in enumerate(aspects)}
    a = train["aspect"].map(index).to_numpy()
    u = train["user_id"].to_numpy()
    i = train["item_id"].to_numpy()
    s = np.where(train["sentiment"].to_numpy() == "positive", 1.0, -1.0)
    n_a = len(aspects)
    counts = np.zeros((n_users, n_a))
    np.add.at(counts, (u, a), 1.0)
    overall = counts.sum(0) / counts.sum()
    pref = (counts + prior_strength * overall) / (counts.sum(1, keepdims=True) + prior_strength)
    sent = np.zeros((n_items, n_a))
    support = np.zeros((n_items, n_a))
    np.add.at(sent, (i, a), s)
    np.add.at(support, (i, a), 1.0)
    sentiment = sent / np.maximum(support + shrink, 1e-12)
    if isinstance(items, pd.DataFrame) and "aspects" in items:
        item_aspects = [[x for x in str(v).split(";") if x in index] for v in items["aspects"]]
    else:
        item_aspects = [[aspects[j] for j in np.flatnonzero(row)] for row in support > 0]
    context = None
    if isinstance(users, pd.DataFrame) and "context" in users and "text" in train:
        ctx = users["context"].astype(str).str.lower().to_numpy()[u]
        said = np.array([c in t.lower() for c, t in zip(ctx, train["text"])])
        context = np.zeros((n_users, n_a), bool)
        context[u[said], a[said]] = True
    return Evidence(pref, sentiment, support, item_aspects, tuple(aspects), context)


def _fields(template):
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


class TemplateReasons(ReasonGenerator):
    """Aspect-based template reasons from training evidence.

    ``fit(train, *, items=None, users=None, aspects=None)``; ``generate(users,
    items)`` returns one text per pair, like every generator, and
    ``generate_one(user, item)`` the :class:`~reclib.protocol.Reason` with
    the aspects it claims (from the evidence, not read back from the text)
    and its ``kind``. A reason names the aspect with the best (user
    preference x item sentiment) among the aspects the item has and whose
    reviews are positive (sentiment >= ``min_sentiment``), and a second one
    if ``second_aspect``; without such evidence, a fallback sentence that
    names no aspect (``kind="popularity"``).

    Parameters
    ----------
    min_sentiment : float
        Smallest item sentiment (in [-1, 1]) an aspect needs to be praised.
    second_aspect : bool
    prior_strength, shrink : float
        Passed to :func:`fit_evidence`.
    context_aspects : collection of str, "auto" or None
        With a users table that has a ``context`` column (a use context such
        as "my commute"), a reason about one of these aspects ends with
        ", especially for <the user's context>". ``"auto"``: for the aspects
        whose training reviews *by this user* mention their context (read from
        the data; on ShopSim, whose review openers name the context whatever
        the aspect, that is most of them). None (default): never.
    positive_templates, second_template, fallback_template : str
        The wording: ``{aspect}`` and ``{ctx}`` in the first, ``{aspect}`` in
        the second, item-table columns (``{category}``, ``{brand}``) in the
        fallback (:data:`GENERIC_FALLBACK` when the table lacks one).
    seed : int
        Picks the wording of each pair (deterministically).

    ``count_params()`` counts the evidence arrays it estimates (user
    preferences and item sentiments), so that the head-to-head table can
    compare sizes; there are no trained weights.
    """

    grounded = False

    def __init__(self, min_sentiment=0.2, second_aspect=True, prior_strength=2.0, shrink=2.0,
                 context_aspects=None, positive_templates=POSITIVE_TEMPLATES,
                 second_template=SECOND_TEMPLATE, fallback_template=FALLBACK_TEMPLATE, seed=0):
        self.min_sentiment = check_number("min_sentiment", min_sentiment, -1, 1)
        self.second_aspect = check_bool("second_aspect", second_aspect)
        self.prior_strength = check_non_negative("prior_strength", prior_strength)
        self.shrink = check_non_negative("shrink", shrink)
        if context_aspects is not None and not (isinstance(context_aspects, str)
                                                and context_aspects == "auto"):
            if isinstance(context_aspects, str):
                raise ValueError(f"context_aspects must be a collection of aspects, 'auto' or "
                                 f"None, got {context_aspects!r}")
            context_aspects = frozenset(context_aspects)
        self.context_aspects = context_aspects
        if isinstance(positive_templates, str) or not positive_templates:
            raise ValueError("positive_templates must be a non-empty list of strings")
        for t in positive_templates:
            if not isinstance(t, str) or "aspect" not in _fields(t) or \
                    _fields(t) - {"aspect", "ctx"}:
                raise ValueError(f"each positive template must be a string with {{aspect}} "
                                 f"(and optionally {{ctx}}) only, got {t!r}")
        if not isinstance(second_template, str) or _fields(second_template) - {"aspect"}:
            raise ValueError(f"second_template must be a string with {{aspect}} only, "
                             f"got {second_template!r}")
        if not isinstance(fallback_template, str):
            raise ValueError(f"fallback_template must be a string, got {fallback_template!r}")
        self.positive_templates = tuple(positive_templates)
        self.second_template, self.fallback_template = second_template, fallback_template
        self.seed = check_seed(seed)

    def _fit(self, train):
        self.evidence_ = fit_evidence(
            train, items=self.items_ if self.items_ is not None else self.n_items_,
            users=self.users_ if self.users_ is not None else self.n_users_,
            aspects=self.aspects_, prior_strength=self.prior_strength, shrink=self.shrink)
        has_context = self.users_ is not None and "context" in self.users_
        self.contexts_ = self.users_["context"].astype(str).to_numpy() if has_context else None

    def count_params(self):
        """Size of the evidence arrays (user preferences + item sentiments)."""
        check_fitted(self, "fit_time_")
        ev = self.evidence_
        return int(ev.user_pref.size + ev.item_sentiment.size)

    def _pair(self, user, item):
        check_fitted(self, "fit_time_")
        if np.ndim(user) or np.ndim(item):
            raise ValueError(f"user and item must be one id each, got {user!r} and {item!r}")
        (user,) = check_ids("user", [user], self.n_users_)
        (item,) = check_ids("item", [item], self.n_items_)
        return int(user), int(item)

    def aspect_scores(self, user, item):
        """Score of each aspect the item has for this user, best first, as a
        DataFrame with columns aspect, preference, sentiment, score. An item
        with no known aspects is scored on every aspect of the vocabulary."""
        user, item = self._pair(user, item)
        ev = self.evidence_
        rows = []
        for a in ev.item_aspects[item] or ev.aspects:
            j = ev.index(a)
            p, s = ev.user_pref[user, j], ev.item_sentiment[item, j]
            rows.append((a, p, s, p * s))
        df = pd.DataFrame(rows, columns=["aspect", "preference", "sentiment", "score"])
        return df.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    def predicted_aspect(self, user, item):
        """The aspect the evidence says this user would talk about for this
        item (largest preference x |sentiment|), with its sentiment sign.
        Used to ground the neural generators."""
        df = self.aspect_scores(user, item)
        k = int(np.argmax(np.abs(df["score"].to_numpy())))
        row = df.iloc[k]
        return row["aspect"], "positive" if row["sentiment"] >= 0 else "negative"

    def _context(self, user, aspect):
        ev = self.evidence_
        if self.contexts_ is None or self.context_aspects is None:
            return ""
        if self.context_aspects == "auto":
            use = ev.user_context is not None and bool(ev.user_context[user, ev.index(aspect)])
        else:
            use = aspect in self.context_aspects
        if not use:
            return ""
        return CONTEXT_SUFFIX.format(context=self.contexts_[user])

    def _fallback(self, item):
        fields = _fields(self.fallback_template)
        if self.items_ is None or fields - set(self.items_.columns):
            return GENERIC_FALLBACK
        row = self.items_.iloc[item]
        return self.fallback_template.format(**{f: row[f] for f in fields})

    def generate_one(self, user, item, aspect=None, **decoding):
        """The template :class:`~reclib.protocol.Reason` for recommending
        ``item`` to ``user``: its text, the (aspect, sentiment) pairs it
        claims and its kind (``"aspect"`` or ``"popularity"``)."""
        check_decoding(decoding)
        if aspect is not None:
            raise ValueError("TemplateReasons is not grounded: do not pass aspect=")
        user, item = self._pair(user, item)
        df = self.aspect_scores(user, item)
        good = df[df["sentiment"] >= self.min_sentiment]
        if good.empty:
            return Reason(self._fallback(item), [], "popularity")
        rng = np.random.default_rng(None if self.seed is None else [self.seed, user, item])
        first = good.iloc[0]["aspect"]
        template = self.positive_templates[rng.integers(len(self.positive_templates))]
        text = template.format(aspect=first, ctx=self._context(user, first))
        aspects = [(first, "positive")]
        if self.second_aspect and len(good) > 1:
            second = good.iloc[1]["aspect"]
            text += self.second_template.format(aspect=second)
            aspects.append((second, "positive"))
        return Reason(text, aspects, "aspect")

    def _generate(self, users, items, aspects, **decoding):
        """The template texts; decoding options have no effect."""
        check_decoding(decoding)
        if aspects is not None:
            raise ValueError("TemplateReasons is not grounded (it picks the aspect from the "
                             "evidence): do not pass aspects=")
        return [self.generate_one(int(u), int(i)).text for u, i in zip(users, items)]


def behavioural_reason(train, items, user, item, item_factors=None, liked=4):
    """"Because you rated X ...": the user's best-liked training item most
    similar to ``item`` (cosine of ``item_factors`` if given, else the same
    ``category`` in the item table). Items are named by the item table's
    ``title`` column (or "item <id>" without one). ``liked`` is the smallest
    rating that counts as liked."""
    check_ratings(train, ("user_id", "item_id", "rating"), name="training ratings")
    check_table(items, (), "items")
    (user,) = check_ids("user", [user])
    (item,) = check_ids("item", [item], len(items))
    check_ids("item", train["item_id"].to_numpy(), len(items))
    own = train[(train["user_id"] == user) & (train["rating"] >= liked)]
    if own.empty:
        raise ValueError(f"user {user} has no liked (rating >= {liked:g}) training items")
    cand = own["item_id"].to_numpy()
    if item_factors is not None:
        f = np.asarray(item_factors, dtype=float)
        if f.ndim != 2 or len(f) < len(items):
            raise ValueError(f"item_factors must have one row per item, got shape {f.shape}")
        sims = f[cand] @ f[item] / (np.linalg.norm(f[cand], axis=1) * np.linalg.norm(f[item])
                                    + 1e-12)
    elif "category" in items:
        category = items["category"].to_numpy()
        sims = (category[cand] == category[item]).astype(float)
    else:
        raise ValueError("the item table has no category column: pass item_factors")
    best = int(cand[int(np.argmax(sims))])
    r = float(own.loc[own["item_id"] == best, "rating"].iloc[0])
    name = items["title"].iloc[best] if "title" in items else f"item {best}"
    return Reason(f"Because you rated the {name} {r:g} stars.", [], "behavioural")


def social_reason(train, evidence, user, item, n_neighbours=50, people="shoppers"):
    """"Shoppers like you rated it ...": the mean rating of ``item`` among the
    ``n_neighbours`` users whose aspect preferences (``evidence.user_pref``,
    from :func:`fit_evidence`) are closest to ``user``'s. ``people`` names
    them ("guests" for hotels)."""
    check_ratings(train, ("user_id", "item_id", "rating"), name="training ratings")
    n_neighbours = check_int("n_neighbours", n_neighbours)
    pref = evidence.user_pref
    (user,) = check_ids("user", [user], len(pref))
    (item,) = check_ids("item", [item], len(evidence.item_sentiment))
    raters = train[train["item_id"] == item]
    raters = raters[raters["user_id"] != user]
    if raters.empty:
        raise ValueError(f"item {item} has no training ratings from other users")
    p = pref[raters["user_id"].to_numpy()]
    sim = p @ pref[user] / (np.linalg.norm(p, axis=1) * np.linalg.norm(pref[user]))
    top = np.argsort(-sim)[:n_neighbours]
    mean = raters["rating"].to_numpy()[top].mean()
    return Reason(f"{len(top)} {people} with tastes like yours rated it {mean:.1f} out of 5 "
                  f"on average.", [], "social")
