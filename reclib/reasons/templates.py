"""Template recommendation reasons built from evidence in the training data.

A reason for (user, item) must be *personal* (about what this user cares
about) and *true* (about an aspect the item has, with the sentiment its
reviews support). Both are estimated from what users wrote and rated in the
training split, never from the world's hidden truth:

* the user's aspect preference: how often each aspect is the feature word of
  the user's own reviews (smoothed towards the overall frequencies);
* the item's aspect sentiment: the mean sentiment (+1 / -1) of the training
  reviews of the item about each aspect, shrunk towards 0 when there are few.

Three kinds of reason come from here: aspect-based (:meth:`TemplateReasons.generate`),
behavioural ("you liked a similar item", :func:`behavioural_reason`) and
social ("shoppers like you", :func:`social_reason`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reclib.data.shopsim import ASPECTS
from reclib.data.splits import check_ratings
from reclib.models._checks import check_ids


@dataclass
class Reason:
    """A recommendation reason: its text and the aspects it names, each with
    the sentiment it claims ("positive" / "negative")."""

    text: str
    aspects: list = field(default_factory=list)
    kind: str = "aspect"

    def __str__(self):
        return self.text


POSITIVE_TEMPLATES = [
    "Shoppers rate its {aspect} as excellent, and {aspect} is what you care about most{ctx}.",
    "Reviewers love its {aspect}, and your reviews show that {aspect} matters to you{ctx}.",
    "Its {aspect} is great according to other buyers, which fits what you look for{ctx}.",
]
SECOND_TEMPLATE = " Reviewers also find the {aspect} good."
FALLBACK_TEMPLATE = "A well-rated {category} from {brand}, popular with shoppers like you."
CONTEXT_SUFFIX = ", especially for {context}"
# Aspects for which the user's use context ("my commute", "hiking trips") makes sense.
CONTEXT_ASPECTS = {"battery", "weight", "comfort", "durability", "storage", "warmth",
                   "fit", "sound", "speed"}


@dataclass
class Evidence:
    """What the training data say: ``user_pref`` (users x aspects, rows sum
    to 1), ``item_sentiment`` (items x aspects, in [-1, 1], 0 without
    evidence) and ``item_support`` (number of reviews per item and aspect)."""

    user_pref: np.ndarray
    item_sentiment: np.ndarray
    item_support: np.ndarray
    item_aspects: list


def fit_evidence(train, items, prior_strength=2.0, shrink=2.0):
    """Estimate user aspect preferences and item aspect sentiment from the
    training reviews (columns ``user_id, item_id, aspect, sentiment``).

    ``items`` is the public item table (its ``aspects`` column lists the
    aspects each item has, separated by ``;``).
    """
    check_ratings(train, ("user_id", "item_id", "aspect", "sentiment"))
    unknown = set(train["aspect"]) - set(ASPECTS)
    if unknown:
        raise ValueError(f"unknown aspect(s) in reviews: {sorted(unknown)}")
    bad = set(train["sentiment"]) - {"positive", "negative"}
    if bad:
        raise ValueError(f"sentiment must be 'positive' or 'negative', got {sorted(bad)}")
    n_items = len(items)
    n_users = int(train["user_id"].max()) + 1
    check_ids("item", train["item_id"].to_numpy(), n_items)
    a = train["aspect"].map(ASPECTS.index).to_numpy()
    u = train["user_id"].to_numpy()
    i = train["item_id"].to_numpy()
    s = np.where(train["sentiment"].to_numpy() == "positive", 1.0, -1.0)
    n_a = len(ASPECTS)
    counts = np.zeros((n_users, n_a))
    np.add.at(counts, (u, a), 1.0)
    overall = counts.sum(0) / counts.sum()
    pref = (counts + prior_strength * overall) / (counts.sum(1, keepdims=True) + prior_strength)
    sent = np.zeros((n_items, n_a))
    support = np.zeros((n_items, n_a))
    np.add.at(sent, (i, a), s)
    np.add.at(support, (i, a), 1.0)
    sentiment = sent / (support + shrink)
    item_aspects = [str(x).split(";") for x in items["aspects"]]
    return Evidence(pref, sentiment, support, item_aspects)


class TemplateReasons:
    """Aspect-based template reasons from training evidence.

    ``fit(train, items, users)`` then ``generate(user, item)`` returns a
    :class:`Reason` naming the aspect with the best
    (user preference x item sentiment) among the aspects the item has and
    whose reviews are positive; if there is no such evidence, a generic reason
    that names no aspect.
    """

    def __init__(self, min_sentiment=0.2, second_aspect=True, seed=0):
        self.min_sentiment = min_sentiment
        self.second_aspect = second_aspect
        self.seed = seed

    def fit(self, train, items, users=None):
        self.evidence_ = fit_evidence(train, items)
        self.items_ = items.reset_index(drop=True)
        self.users_ = users.reset_index(drop=True) if users is not None else None
        return self

    def aspect_scores(self, user, item):
        """Score of each aspect the item has for this user, best first, as a
        DataFrame with columns aspect, preference, sentiment, score."""
        ev = self.evidence_
        (item,) = check_ids("item", [item], len(ev.item_sentiment))
        if not 0 <= user < len(ev.user_pref):
            raise ValueError(f"unknown user id {user}: no training reviews")
        rows = []
        for a in ev.item_aspects[item]:
            j = ASPECTS.index(a)
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

    def generate(self, user, item):
        """The template reason for recommending ``item`` to ``user``."""
        df = self.aspect_scores(user, item)
        good = df[df["sentiment"] >= self.min_sentiment]
        rng = np.random.default_rng([self.seed, int(user), int(item)])
        if good.empty:
            row = self.items_.iloc[int(item)]
            return Reason(FALLBACK_TEMPLATE.format(category=row["category"], brand=row["brand"]),
                          [], "popularity")
        first = good.iloc[0]["aspect"]
        ctx = ""
        if self.users_ is not None and "context" in self.users_ and first in CONTEXT_ASPECTS:
            ctx = CONTEXT_SUFFIX.format(context=self.users_.at[int(user), "context"])
        text = POSITIVE_TEMPLATES[rng.integers(len(POSITIVE_TEMPLATES))].format(
            aspect=first, ctx=ctx)
        aspects = [(first, "positive")]
        if self.second_aspect and len(good) > 1:
            second = good.iloc[1]["aspect"]
            text += SECOND_TEMPLATE.format(aspect=second)
            aspects.append((second, "positive"))
        return Reason(text, aspects, "aspect")


def behavioural_reason(train, items, user, item, item_factors=None):
    """"Because you liked X": the user's best-rated training item most similar
    to ``item`` (cosine of ``item_factors`` if given, else same category)."""
    check_ratings(train, ("user_id", "item_id", "rating"))
    own = train[(train["user_id"] == user) & (train["rating"] >= 4)]
    if own.empty:
        raise ValueError(f"user {user} has no liked (rating >= 4) training items")
    cand = own["item_id"].to_numpy()
    if item_factors is not None:
        f = np.asarray(item_factors)
        sims = f[cand] @ f[item] / (np.linalg.norm(f[cand], axis=1) * np.linalg.norm(f[item]) + 1e-12)
    else:
        sims = (items["category"].to_numpy()[cand] == items.at[item, "category"]).astype(float)
    best = int(cand[int(np.argmax(sims))])
    r = int(own.loc[own["item_id"] == best, "rating"].iloc[0])
    return Reason(f"Because you rated the {items.at[best, 'title']} {r} stars.", [], "behavioural")


def social_reason(train, evidence, user, item, n_neighbours=50):
    """"Shoppers like you rated it ...": the mean rating of ``item`` among the
    ``n_neighbours`` users whose aspect preferences are closest to ``user``'s."""
    check_ratings(train, ("user_id", "item_id", "rating"))
    pref = evidence.user_pref
    if not 0 <= user < len(pref):
        raise ValueError(f"unknown user id {user}")
    raters = train[train["item_id"] == item]
    raters = raters[raters["user_id"] != user]
    if raters.empty:
        raise ValueError(f"item {item} has no training ratings from other users")
    p = pref[raters["user_id"].to_numpy()]
    sim = p @ pref[user] / (np.linalg.norm(p, axis=1) * np.linalg.norm(pref[user]))
    top = np.argsort(-sim)[:n_neighbours]
    mean = raters["rating"].to_numpy()[top].mean()
    return Reason(f"{len(top)} shoppers with tastes like yours rated it {mean:.1f} out of 5 on average.",
                  [], "social")
