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

Every claim a template sentence makes is backed by the evidence it names,
or the sentence is not used. An aspect reason makes two kinds of claim:

* about the *item*: its reviews about the aspect are mostly good (the item's
  mean review sentiment about it is at least ``min_sentiment``, so more of
  them are positive than negative);
* about the *user*, chosen by what the user's own training reviews show:
  "X is what you care about most" only when X is the aspect the user has
  written about most often (strictly more often than any other, and at
  least twice); "your reviews show that X matters to you" only when at least
  a fifth of the user's reviews (and two) are about X; no personal claim at
  all otherwise. The use context
  (", especially for your commute") is added only when the user's own
  reviews of X mention it, turned into the second person.

The fallback sentence, used when no aspect of the item has good reviews,
states the item's mean training rating and how many ratings it rests on
(counted, never "popular"). :mod:`reclib.metrics.claims` reads the personal
claims back out of any reason and grades them.

Three kinds of reason come from here: aspect-based (:class:`TemplateReasons`),
behavioural ("you liked a similar item", :func:`behavioural_reason`) and
social ("shoppers like you", :func:`social_reason`).
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclib.checks import (aspects_of, check_bool, check_fitted, check_ids, check_int,
                           check_non_negative, check_number, check_one_pair, check_ratings,
                           check_reviews, check_seed, check_table)
from reclib.protocol import Reason, ReasonGenerator, sizes
from reclib.reasons.options import check_decoding

__all__ = ["Evidence", "Reason", "TemplateReasons", "behavioural_reason", "fit_evidence",
           "second_person", "social_reason"]

#: The item's reviews about the aspect are mostly good; the user has written
#: about the aspect more often than about any other (and at least twice).
TOP_TEMPLATES = (
    "Most reviews of its {aspect} are good, and your reviews show that {aspect} is what you "
    "care about most{ctx}.",
    "Other buyers find its {aspect} good, and {aspect} is what you care about most, going by "
    "your reviews{ctx}.",
)
#: The item's reviews about the aspect are mostly good; at least two of the
#: user's reviews, and at least ``matters_share`` of them, are about the aspect.
MATTERS_TEMPLATES = (
    "Reviewers find its {aspect} good, and your reviews show that {aspect} matters to you{ctx}.",
    "Its {aspect} is good according to other buyers, and your reviews show that {aspect} "
    "matters to you{ctx}.",
)
#: The item's reviews about the aspect are mostly good; nothing is said about
#: the user (whose reviews do not show that the aspect matters to them).
ITEM_TEMPLATES = (
    "Most reviews of its {aspect} are good.",
    "Other buyers find its {aspect} good.",
)
#: Every aspect sentence, by the personal claim it makes (see TemplateReasons.personal_claim).
TEMPLATES = {"top": TOP_TEMPLATES, "matters": MATTERS_TEMPLATES, "item": ITEM_TEMPLATES}
SECOND_TEMPLATE = " Reviewers also find the {aspect} good."
#: The fallback: the item's mean training rating and the number of ratings.
FALLBACK_TEMPLATE = "A {category} from {brand}, rated {mean_rating} out of 5 on average over " \
                    "{n_ratings}."
#: The fallback for an item nobody has rated in the training data.
UNRATED_TEMPLATE = "A {category} from {brand} that nobody has rated yet."
#: The fallbacks when the item table lacks a field of the templates above.
GENERIC_FALLBACK = "Rated {mean_rating} out of 5 on average over {n_ratings}."
GENERIC_UNRATED = "Nobody has rated it yet."
#: ``{mean_rating}`` and ``{n_ratings}`` are counted from the training ratings.
COUNTED_FIELDS = frozenset({"mean_rating", "n_ratings"})
CONTEXT_SUFFIX = ", especially for {context}"

_FIRST_TO_SECOND = {"i": "you", "me": "you", "my": "your", "mine": "yours",
                    "myself": "yourself", "i'm": "you're", "i've": "you've"}


def second_person(phrase):
    """A use context as the reader would be addressed: "my commute" ->
    "your commute" (I, me, my, mine, myself become you, you, your, yours,
    yourself); a phrase without a first-person word is returned unchanged."""
    if not isinstance(phrase, str):
        raise ValueError(f"phrase must be a string, got {type(phrase).__name__} ({phrase!r})")
    return re.sub(r"\b(i'm|i've|i|me|my|mine|myself)\b",
                  lambda m: _FIRST_TO_SECOND[m.group(0).lower()], phrase, flags=re.IGNORECASE)


@dataclass
class Evidence:
    """What the training data say, over the aspect vocabulary ``aspects``:
    ``user_pref`` (users x aspects, rows sum to 1), ``item_sentiment``
    (items x aspects, in [-1, 1], 0 without evidence), ``item_support``
    (number of reviews per item and aspect), ``item_aspects`` (per item, the
    aspects it has) and ``user_context`` (users x aspects, True where the
    user's own reviews of the aspect mention their use context; None without
    a ``context`` column in the users table), ``user_counts`` (users x
    aspects: how many training reviews each user wrote about each aspect) and
    ``item_positive`` (items x aspects: how many of them are positive)."""

    user_pref: np.ndarray
    item_sentiment: np.ndarray
    item_support: np.ndarray
    item_aspects: list
    aspects: tuple = ()
    user_context: np.ndarray | None = None
    user_counts: np.ndarray | None = None
    item_positive: np.ndarray | None = None

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
    positive = np.zeros((n_items, n_a))
    np.add.at(positive, (i, a), (s > 0).astype(float))
    return Evidence(pref, sentiment, support, item_aspects, tuple(aspects), context, counts,
                    positive)


def _fields(template):
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _check_templates(name, templates, allowed):
    if isinstance(templates, str) or not templates:
        raise ValueError(f"{name} must be a non-empty list of strings")
    for t in templates:
        if not isinstance(t, str) or "aspect" not in _fields(t) or _fields(t) - allowed:
            slots = " and ".join("{" + f + "}" for f in sorted(allowed))
            raise ValueError(f"each of {name} must be a string with {{aspect}} (slots allowed: "
                             f"{slots} only), got {t!r}")
    return tuple(templates)


class TemplateReasons(ReasonGenerator):
    """Aspect-based template reasons from training evidence.

    ``fit(train, *, items=None, users=None, aspects=None)``; ``generate(users,
    items)`` returns one text per pair, like every generator, and
    ``generate_one(user, item)`` the :class:`~reclib.protocol.Reason` with
    the aspects it claims (from the evidence, not read back from the text)
    and its ``kind``. A reason names the aspect with the best (user
    preference x item sentiment) among the aspects the item has and whose
    reviews are mostly good (sentiment >= ``min_sentiment``), and a second
    one if ``second_aspect``; without such evidence, a fallback sentence that
    names no aspect and states the item's mean training rating and number of
    ratings (``kind="popularity"``).

    What the sentence says about the user depends on what the user's own
    training reviews show (:meth:`personal_claim`): "X is what you care about
    most" (:data:`TOP_TEMPLATES`) only if X is the aspect they wrote about
    most often (strictly, and at least twice), "your reviews show that X
    matters to you" (:data:`MATTERS_TEMPLATES`) if at least
    ``matters_share`` of their reviews (and two) are about X, and nothing
    about them (:data:`ITEM_TEMPLATES`) otherwise. (One review about an
    aspect shows little: on ShopSim, users truly weigh only 4% of the aspects
    they wrote about once, and 95% of those that make a fifth of their
    reviews.)

    Parameters
    ----------
    min_sentiment : float
        Smallest item sentiment (in (0, 1]) an aspect needs to be praised:
        above 0, more of its reviews are positive than negative.
    second_aspect : bool
    matters_share : float
        Share of the user's training reviews that must be about an aspect for
        "your reviews show that X matters to you".
    prior_strength, shrink : float
        Passed to :func:`fit_evidence`.
    context_aspects : collection of str, "auto" or None
        With a users table that has a ``context`` column (a use context such
        as "my commute"), a personal reason about one of these aspects ends
        with ", especially for <the user's context, in the second person>",
        provided the user's own training reviews of that aspect mention
        the context (the claim needs evidence). ``"auto"``: any aspect (on
        ShopSim, whose review openers name the context whatever the aspect,
        that is most of them). None (default): never.
    top_templates, matters_templates : list of str
        The wording of the two personal claims: ``{aspect}`` and ``{ctx}``.
    item_templates : list of str
        The wording without a personal claim: ``{aspect}`` only.
    second_template : str
        The second aspect: ``{aspect}`` only.
    fallback_template, unrated_template : str
        Item-table columns (``{category}``, ``{brand}``) and, in the first,
        ``{mean_rating}`` and ``{n_ratings}`` (counted from the training
        ratings); :data:`GENERIC_FALLBACK` / :data:`GENERIC_UNRATED` when the
        table lacks a column.
    seed : int
        Picks the wording of each pair (deterministically).

    ``count_params()`` counts the evidence arrays it estimates (user
    preferences and item sentiments), so that the head-to-head table can
    compare sizes; there are no trained weights.
    """

    grounded = False

    def __init__(self, min_sentiment=0.2, second_aspect=True, matters_share=0.2,
                 prior_strength=2.0, shrink=2.0,
                 context_aspects=None, top_templates=TOP_TEMPLATES,
                 matters_templates=MATTERS_TEMPLATES, item_templates=ITEM_TEMPLATES,
                 second_template=SECOND_TEMPLATE, fallback_template=FALLBACK_TEMPLATE,
                 unrated_template=UNRATED_TEMPLATE, seed=0):
        self.min_sentiment = check_number("min_sentiment", min_sentiment, 0, 1, low_open=True)
        self.second_aspect = check_bool("second_aspect", second_aspect)
        self.matters_share = check_number("matters_share", matters_share, 0, 1)
        self.prior_strength = check_non_negative("prior_strength", prior_strength)
        self.shrink = check_non_negative("shrink", shrink)
        if context_aspects is not None and not (isinstance(context_aspects, str)
                                                and context_aspects == "auto"):
            if isinstance(context_aspects, str):
                raise ValueError(f"context_aspects must be a collection of aspects, 'auto' or "
                                 f"None, got {context_aspects!r}")
            context_aspects = frozenset(context_aspects)
        self.context_aspects = context_aspects
        self.top_templates = _check_templates("top_templates", top_templates, {"aspect", "ctx"})
        self.matters_templates = _check_templates("matters_templates", matters_templates,
                                                  {"aspect", "ctx"})
        self.item_templates = _check_templates("item_templates", item_templates, {"aspect"})
        if not isinstance(second_template, str) or _fields(second_template) - {"aspect"}:
            raise ValueError(f"second_template must be a string with {{aspect}} only, "
                             f"got {second_template!r}")
        for name, t in (("fallback_template", fallback_template),
                        ("unrated_template", unrated_template)):
            if not isinstance(t, str):
                raise ValueError(f"{name} must be a string, got {t!r}")
        if _fields(unrated_template) & COUNTED_FIELDS:
            raise ValueError(f"unrated_template is for items nobody rated: it cannot use "
                             f"{sorted(COUNTED_FIELDS)}, got {unrated_template!r}")
        self.second_template = second_template
        self.fallback_template, self.unrated_template = fallback_template, unrated_template
        self.seed = check_seed(seed)

    def _fit(self, train):
        self.evidence_ = fit_evidence(
            train, items=self.items_ if self.items_ is not None else self.n_items_,
            users=self.users_ if self.users_ is not None else self.n_users_,
            aspects=self.aspects_, prior_strength=self.prior_strength, shrink=self.shrink)
        has_context = self.users_ is not None and "context" in self.users_
        self.contexts_ = self.users_["context"].astype(str).to_numpy() if has_context else None
        i = train["item_id"].to_numpy()
        self.item_n_ratings_ = np.bincount(i, minlength=self.n_items_)
        total = np.bincount(i, weights=train["rating"].to_numpy(float), minlength=self.n_items_)
        self.item_mean_rating_ = total / np.maximum(self.item_n_ratings_, 1)

    def count_params(self):
        """Size of the evidence arrays (user preferences + item sentiments)."""
        check_fitted(self, "fit_time_")
        ev = self.evidence_
        return int(ev.user_pref.size + ev.item_sentiment.size)

    def _pair(self, user, item):
        check_fitted(self, "fit_time_")
        return check_one_pair(user, item, self.n_users_, self.n_items_)

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

    def personal_claim(self, user, aspect):
        """What the user's own training reviews support saying about them and
        ``aspect``: ``"top"`` (at least two of their reviews are about it, more
        than about any other aspect), ``"matters"`` (at least two, and at least
        ``matters_share`` of their reviews) or ``"item"`` (say nothing about
        the user)."""
        check_fitted(self, "fit_time_")
        (user,) = check_ids("user", [user], self.n_users_)
        ev = self.evidence_
        if aspect not in ev.aspects:
            raise ValueError(f"unknown aspect {aspect!r}; known: {list(ev.aspects)}")
        counts = ev.user_counts[int(user)]
        j = ev.index(aspect)
        others = np.delete(counts, j)
        if counts[j] >= 2 and (others.size == 0 or counts[j] > others.max()):
            return "top"
        if counts[j] >= 2 and counts[j] >= self.matters_share * counts.sum():
            return "matters"
        return "item"

    def _context(self, user, aspect):
        """", especially for your <context>" when the user's own reviews of
        ``aspect`` mention their context (and the aspect is a context aspect)."""
        ev = self.evidence_
        if self.contexts_ is None or self.context_aspects is None or ev.user_context is None:
            return ""
        if self.context_aspects != "auto" and aspect not in self.context_aspects:
            return ""
        if not ev.user_context[user, ev.index(aspect)]:
            return ""
        return CONTEXT_SUFFIX.format(context=second_person(self.contexts_[user]))

    def _fallback(self, item):
        n = int(self.item_n_ratings_[item])
        template, generic = ((self.fallback_template, GENERIC_FALLBACK) if n else
                             (self.unrated_template, GENERIC_UNRATED))
        counted = {"mean_rating": f"{self.item_mean_rating_[item]:.1f}" if n else "",
                   "n_ratings": f"{n} rating" + ("" if n == 1 else "s")}
        fields = _fields(template) - COUNTED_FIELDS
        if fields and (self.items_ is None or fields - set(self.items_.columns)):
            return generic.format(**counted)
        row = self.items_.iloc[item] if fields else {}
        return template.format(**{f: row[f] for f in fields}, **counted)

    def generate_one(self, user, item, aspect=None, **decoding):
        """The template :class:`~reclib.protocol.Reason` for recommending
        ``item`` to ``user``: its text, the (aspect, sentiment) pairs it
        claims and its kind (``"aspect"`` or ``"popularity"``, the counted
        fallback)."""
        check_decoding(decoding)
        if aspect is not None:
            raise ValueError("TemplateReasons is not grounded: do not pass aspect=")
        user, item = self._pair(user, item)
        ev = self.evidence_
        names = ev.item_aspects[item] or ev.aspects
        cols = [ev.index(a) for a in names]
        sentiment = ev.item_sentiment[item, cols]
        score = ev.user_pref[user, cols] * sentiment
        order = np.argsort(-score, kind="stable")  # the order of aspect_scores
        good = [names[k] for k in order if sentiment[k] >= self.min_sentiment]
        if not good:
            return Reason(self._fallback(item), [], "popularity")
        rng = np.random.default_rng(None if self.seed is None else [self.seed, user, item])
        first = good[0]
        claim = self.personal_claim(user, first)
        choices = {"top": self.top_templates, "matters": self.matters_templates,
                   "item": self.item_templates}[claim]
        template = choices[rng.integers(len(choices))]
        ctx = self._context(user, first) if claim != "item" else ""
        text = template.format(aspect=first, ctx=ctx) if "ctx" in _fields(template) \
            else template.format(aspect=first)
        aspects = [(first, "positive")]
        if self.second_aspect and len(good) > 1:
            second = good[1]
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
