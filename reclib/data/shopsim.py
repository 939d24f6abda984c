"""ShopSim: a synthetic shop whose ground truth is known.

Items have a category, a brand, a price, a popularity and hidden scores in
[-1, 1] on the aspects relevant to their category. Users have hidden aspect
weights (each cares strongly about 2-3 aspects), category affinities, a price
sensitivity, an activity level and a use context. A rating is a latent
utility, rounded and clipped to 1-5; which items a user rates depends on the
utility, the item's popularity, the user's category affinity and price
sensitivity (not uniform at random). Each rating comes with a one-sentence
review about the aspect that contributed most to it.

Because the truth is known, the world offers two oracles:
:func:`World.expected_rating` (the Bayes-optimal prediction; its RMSE is the
noise floor) and :func:`World.true_reasons` (aspects ranked by contribution).
"""
from __future__ import annotations

import json
import numbers
from dataclasses import dataclass, field
from math import erf, sqrt
from pathlib import Path

import numpy as np
import pandas as pd

ASPECTS = [
    "battery", "screen", "speed", "sound", "comfort", "fit", "weight",
    "durability", "design", "value", "warmth", "taste", "storage", "scent",
    "hydration",
]

CATEGORY_ASPECTS = {
    "phone": ["battery", "screen", "speed", "design", "value"],
    "headphones": ["sound", "battery", "comfort", "design"],
    "laptop": ["battery", "screen", "speed", "weight", "value"],
    "running shoes": ["comfort", "fit", "durability", "weight"],
    "jacket": ["warmth", "fit", "durability", "design", "value"],
    "coffee maker": ["taste", "speed", "durability", "value"],
    "backpack": ["storage", "comfort", "durability", "weight"],
    "skincare": ["scent", "hydration", "value", "design"],
    "smartwatch": ["battery", "screen", "fit", "design"],
    "tea": ["taste", "scent", "value", "design"],
}
CATEGORIES = list(CATEGORY_ASPECTS)

BRANDS = {
    "phone": ["Novaline", "Orbitel", "Kestrel", "Pixo"],
    "headphones": ["Audell", "Sonora", "Bassline", "Quill"],
    "laptop": ["Corvex", "Lumen", "Ardent", "Mistral"],
    "running shoes": ["Stride", "Fleetfoot", "Apex", "Tempo"],
    "jacket": ["Northwind", "Alpenglow", "Driftwood", "Summit"],
    "coffee maker": ["Brewster", "Crema", "Roastwell", "Percola"],
    "backpack": ["Trailhead", "Packwell", "Vagabond", "Ridgeline"],
    "skincare": ["Verdance", "Lumiere", "Solace", "Aurelle"],
    "smartwatch": ["Chronos", "Pulse", "Tickwise", "Helix"],
    "tea": ["Leafhouse", "Steepwell", "Camellia", "Oolong & Co"],
}

CONTEXTS = ["my commute", "travel", "workouts", "long office days",
            "hiking trips", "everyday use", "school", "weekend trips"]

# Price level (median, in currency units) per category.
PRICE_LEVEL = {"phone": 600, "headphones": 150, "laptop": 1100,
               "running shoes": 120, "jacket": 180, "coffee maker": 140,
               "backpack": 90, "skincare": 35, "smartwatch": 300, "tea": 15}

# Words an item title uses for an aspect it is good at (used by the title
# CNN of chapter 3: titles carry a noisy, public hint of aspect quality).
TITLE_WORDS = {
    "battery": "all-day", "screen": "vivid", "speed": "turbo",
    "sound": "hi-fi", "comfort": "cushioned", "fit": "tailored",
    "weight": "ultralight", "durability": "rugged", "design": "sleek",
    "value": "essential", "warmth": "thermal", "taste": "barista",
    "storage": "roomy", "scent": "fragrant", "hydration": "hydrating",
}
MODEL_WORDS = ["One", "Pro", "Air", "Max", "Lite", "Plus", "Go", "X", "S",
               "Neo", "Prime", "Mini"]

# Review phrase banks: several paraphrases per aspect and sentiment. Every
# phrase contains the aspect keyword itself, so the feature word of a review
# always appears in its text.
PHRASES = {
    "battery": {
        "positive": ["the battery lasts all day", "the battery life is excellent",
                     "the battery easily gets me through {context}",
                     "I rarely need to charge the battery",
                     "the battery holds up far better than my old one"],
        "negative": ["the battery drains far too fast",
                     "the battery barely lasts through {context}",
                     "I have to charge the battery twice a day",
                     "the battery life is disappointing",
                     "the battery is weak"],
    },
    "screen": {
        "positive": ["the screen is bright and sharp", "the screen looks gorgeous",
                     "the screen is easy to read even outdoors",
                     "colors on the screen really pop",
                     "the screen is crisp"],
        "negative": ["the screen is dim and washed out",
                     "the screen is hard to read in sunlight",
                     "the screen scratches too easily",
                     "the screen looks grainy",
                     "the screen is a letdown"],
    },
    "speed": {
        "positive": ["the speed is impressive", "everything runs at great speed",
                     "the speed makes {context} a breeze",
                     "it has plenty of speed for what I do",
                     "the speed never lets me down"],
        "negative": ["the speed is sluggish", "it lacks speed when I need it",
                     "the speed drops after a few minutes",
                     "the speed is frustrating during {context}",
                     "the speed is poor for the price"],
    },
    "sound": {
        "positive": ["the sound is rich and clear", "the sound quality is superb",
                     "the sound makes {context} so much better",
                     "the sound has deep bass and clean highs",
                     "the sound is wonderfully balanced"],
        "negative": ["the sound is tinny", "the sound distorts at high volume",
                     "the sound is muddy", "the sound quality is poor",
                     "the sound lacks any bass"],
    },
    "comfort": {
        "positive": ["the comfort is outstanding", "the comfort lasts for hours",
                     "the comfort is perfect for {context}",
                     "I love the comfort", "the comfort surprised me"],
        "negative": ["the comfort is lacking after an hour",
                     "the comfort is poor during {context}",
                     "comfort is not its strength", "the comfort is disappointing",
                     "the comfort is awful"],
    },
    "fit": {
        "positive": ["the fit is spot on", "the fit is true to size",
                     "the fit stays secure during {context}",
                     "the fit feels made for me", "the fit is excellent"],
        "negative": ["the fit is too tight", "the fit runs small",
                     "the fit is loose and sloppy",
                     "the fit is off during {context}", "the fit is poor"],
    },
    "weight": {
        "positive": ["the weight is barely noticeable", "the low weight is a joy",
                     "the weight is perfect for {context}",
                     "the weight feels light as a feather",
                     "I appreciate the light weight"],
        "negative": ["the weight is too heavy", "the weight drags me down",
                     "the weight is a burden during {context}",
                     "the weight is more than I expected",
                     "the weight makes it tiring to carry"],
    },
    "durability": {
        "positive": ["the durability is impressive", "the durability is rock solid",
                     "the durability holds up to {context}",
                     "after months the durability still shows",
                     "the durability is excellent"],
        "negative": ["the durability is poor", "the durability is a letdown",
                     "the durability did not survive {context}",
                     "it fell apart, so much for durability",
                     "the durability is worse than expected"],
    },
    "design": {
        "positive": ["the design is beautiful", "the design is clean and modern",
                     "the design gets compliments at {context}",
                     "I love the design", "the design is elegant"],
        "negative": ["the design is dull", "the design feels cheap",
                     "the design is clunky", "the design looks dated",
                     "the design is ugly"],
    },
    "value": {
        "positive": ["the value is unbeatable", "the value for money is great",
                     "the value is excellent for the price",
                     "it is great value", "the value is hard to beat"],
        "negative": ["the value is poor for the price", "the value is not there",
                     "the value is disappointing", "it is poor value",
                     "the value does not justify the cost"],
    },
    "warmth": {
        "positive": ["the warmth is amazing on cold days",
                     "the warmth keeps me cozy during {context}",
                     "the warmth is just right", "the warmth is superb",
                     "the warmth holds even in the wind"],
        "negative": ["the warmth is lacking", "the warmth is not enough in winter",
                     "the warmth fades during {context}",
                     "the warmth is disappointing", "the warmth is poor"],
    },
    "taste": {
        "positive": ["the taste is rich and smooth", "the taste is delicious",
                     "the taste makes my mornings", "the taste is wonderful",
                     "the taste is full and balanced"],
        "negative": ["the taste is bitter", "the taste is flat",
                     "the taste is weak and watery", "the taste is disappointing",
                     "the taste is off"],
    },
    "storage": {
        "positive": ["the storage is generous", "the storage fits everything for {context}",
                     "the storage is well organized", "the storage is roomy",
                     "the storage is excellent"],
        "negative": ["the storage is cramped", "the storage is too small for {context}",
                     "the storage is badly organized", "the storage is disappointing",
                     "the storage is poor"],
    },
    "scent": {
        "positive": ["the scent is lovely", "the scent is fresh and subtle",
                     "the scent lingers just enough", "the scent is delightful",
                     "the scent is calming"],
        "negative": ["the scent is overpowering", "the scent is artificial",
                     "the scent gives me a headache", "the scent is unpleasant",
                     "the scent is too strong"],
    },
    "hydration": {
        "positive": ["the hydration lasts all day", "the hydration is excellent",
                     "the hydration keeps my skin soft", "the hydration is superb",
                     "the hydration works wonders"],
        "negative": ["the hydration wears off quickly", "the hydration is weak",
                     "the hydration is not enough for dry skin",
                     "the hydration is disappointing", "the hydration is poor"],
    },
}

OPENERS = {
    "positive": ["", "Love {this} {category}: ", "Great {category}, ",
                 "Really happy with {this} {brand}: ",
                 "Bought {this} {category} for {context} and ",
                 "{This} {brand} {category} {is} a winner, ",
                 "So far so good with the {brand}: ",
                 "Five weeks in with {this} {brand} {category} and "],
    "negative": ["", "Not happy with {this} {category}: ",
                 "Disappointed by {this} {brand}: ",
                 "Bought {this} {category} for {context} but ",
                 "{This} {brand} {category} {falls} short, ",
                 "Mixed feelings about the {brand}: ",
                 "A few weeks in with {this} {brand} {category} and "],
}
JOINERS = {("positive", "positive"): [" and ", ", and also ", "; plus "],
           ("positive", "negative"): [", but ", "; however ", " although "],
           ("negative", "positive"): [", but ", "; still, ", " although "],
           ("negative", "negative"): [" and ", "; also ", ", and "]}
CLOSERS = {"positive": ["", "", " Highly recommend.", " Would buy again.",
                        " Five stars from me.", " Perfect for {context}.",
                        " {Brand} got this one right."],
           "negative": ["", "", " Would not buy again.",
                        " Expected more from {brand}.", " Returning it.",
                        " Not great for {context}.",
                        " {Brand} can do better."]}

DEFAULT_SEED = 2024
N_PERSONAS = 6
WEIGHT_SCALE = 1.5
GLOBAL_MEAN = 3.2
SELECT_UTIL = 0.8
EXTRA_ASPECT_P = 0.0
USER_SPREAD = 0.3
PERSONA_ASPECTS = 2
PERSONA_CATEGORIES = 4
T0 = 1_704_067_200  # 2024-01-01 00:00:00 UTC
YEAR = 365 * 24 * 3600


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _normal_cdf(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))


@dataclass
class World:
    """A ShopSim world: public tables plus the hidden truth behind them.

    Public: ``items``, ``users``, ``ratings`` (with reviews). Hidden:
    ``item_aspects`` (items x aspects, scores in [-1, 1], 0 where the item's
    category lacks the aspect), ``user_weights`` (users x aspects),
    ``user_bias``, ``item_bias``, ``global_mean``, ``noise``, ``user_traits``
    (persona, price sensitivity). Models must
    learn from the public tables only; the hidden truth is for the oracles.
    """

    items: pd.DataFrame
    users: pd.DataFrame
    ratings: pd.DataFrame
    item_aspects: np.ndarray
    user_weights: np.ndarray
    user_bias: np.ndarray
    item_bias: np.ndarray
    global_mean: float
    noise: float
    seed: int | None = None
    user_traits: pd.DataFrame | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_users(self):
        return len(self.users)

    @property
    def n_items(self):
        return len(self.items)

    def _check_ids(self, users, items):
        users = np.asarray(users)
        items = np.asarray(items)
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same shape, got "
                             f"{users.shape} and {items.shape}")
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise ValueError(f"unknown user id: ids must lie in [0, {self.n_users})")
        if items.size and (items.min() < 0 or items.max() >= self.n_items):
            raise ValueError(f"unknown item id: ids must lie in [0, {self.n_items})")
        return users.astype(int), items.astype(int)

    def utility(self, users, items):
        """Mean latent utility (before noise) of each (user, item) pair."""
        users, items = self._check_ids(users, items)
        inter = np.sum(self.user_weights[users] * self.item_aspects[items], axis=-1)
        return self.global_mean + self.user_bias[users] + self.item_bias[items] + inter

    def rating_distribution(self, users, items):
        """P(rating = 1..5) for each pair, shape (n, 5): the observation model.

        A rating is ``clip(round(utility + noise), 1, 5)`` with Gaussian noise.
        """
        m = self.utility(users, items)[..., None]
        edges = np.array([-np.inf, 1.5, 2.5, 3.5, 4.5, np.inf])
        cdf = _normal_cdf((edges - m) / self.noise)
        return np.diff(cdf, axis=-1)

    def expected_rating(self, users, items):
        """The Bayes-optimal prediction E[rating | user, item].

        Its RMSE on any split is the noise floor no model can beat in
        expectation.
        """
        return self.rating_distribution(users, items) @ np.arange(1, 6)

    def true_reasons(self, user, item):
        """Aspects of ``item`` ranked by their contribution to ``user``'s utility.

        Returns a DataFrame with columns ``aspect``, ``contribution`` (weight x
        score) and ``sentiment`` ("positive" or "negative"), largest absolute
        contribution first. Only aspects the item has are listed.
        """
        (user,), (item,) = self._check_ids([user], [item])
        cat = self.items.at[item, "category"]
        rows = []
        for a in CATEGORY_ASPECTS[cat]:
            j = ASPECTS.index(a)
            c = float(self.user_weights[user, j] * self.item_aspects[item, j])
            rows.append((a, c, "positive" if c >= 0 else "negative"))
        df = pd.DataFrame(rows, columns=["aspect", "contribution", "sentiment"])
        order = np.argsort(-np.abs(df["contribution"].to_numpy()), kind="stable")
        return df.iloc[order].reset_index(drop=True)

    def item_aspect_set(self, item):
        """The aspects an item has (public: they follow from its category)."""
        return set(CATEGORY_ASPECTS[self.items.at[int(item), "category"]])

    def stats(self):
        """Sizes and review-text statistics of the world, as a dict."""
        texts = self.ratings["text"]
        tokens = texts.str.lower().str.findall(r"[a-z&'-]+")
        vocab = set(t for toks in tokens for t in toks)
        return {
            "users": self.n_users,
            "items": self.n_items,
            "categories": self.items["category"].nunique(),
            "aspects": len(ASPECTS),
            "ratings": len(self.ratings),
            "density": len(self.ratings) / (self.n_users * self.n_items),
            "mean_rating": float(self.ratings["rating"].mean()),
            "vocabulary": len(vocab),
            "mean_review_words": float(tokens.str.len().mean()),
            "unique_review_share": texts.nunique() / len(texts),
        }


def generate(n_users=2000, n_items=600, categories=None, ratings_per_user=33,
             noise=0.85, seed=DEFAULT_SEED):
    """Generate a ShopSim world.

    Parameters
    ----------
    n_users, n_items : int
        Sizes of the world.
    categories : list of str, optional
        Subset of :data:`CATEGORIES` to use (default: all ten).
    ratings_per_user : int
        Mean number of ratings per user (activity is log-normal around it,
        at least 8 per user).
    noise : float
        Standard deviation of the Gaussian noise on the latent utility.
    seed : int
        Everything is deterministic given the seed.

    Returns
    -------
    World
    """
    _check_positive_int("n_users", n_users)
    _check_positive_int("n_items", n_items)
    _check_positive_int("ratings_per_user", ratings_per_user)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(noise, numbers.Real) or not noise > 0:
        raise ValueError(f"noise must be a positive number, got {noise!r}")
    if categories is None:
        categories = CATEGORIES
    categories = list(categories)
    if not categories:
        raise ValueError("categories must not be empty")
    for c in categories:
        if c not in CATEGORY_ASPECTS:
            raise ValueError(f"unknown category {c!r}; known: {CATEGORIES}")
    if len(set(categories)) != len(categories):
        raise ValueError("categories must not repeat")
    if n_items < len(categories):
        raise ValueError(f"n_items ({n_items}) must be at least the number of "
                         f"categories ({len(categories)})")
    rng = np.random.default_rng(int(seed))
    n_a = len(ASPECTS)

    # --- items -----------------------------------------------------------
    item_cat = np.concatenate([np.arange(len(categories)),
                               rng.integers(0, len(categories), n_items - len(categories))])
    item_cat = np.sort(item_cat)
    cat_names = [categories[c] for c in item_cat]
    item_aspects = np.zeros((n_items, n_a))
    for i, cat in enumerate(cat_names):
        for a in CATEGORY_ASPECTS[cat]:
            item_aspects[i, ASPECTS.index(a)] = np.clip(rng.normal(0.1, 0.5), -1, 1)
    brand = [BRANDS[cat][rng.integers(0, 4)] for cat in cat_names]
    log_price = np.array([np.log(PRICE_LEVEL[c]) for c in cat_names]) \
        + 0.35 * rng.normal(size=n_items) + 0.15 * item_aspects.sum(axis=1)
    price = np.round(np.exp(log_price), 2)
    popularity = rng.pareto(1.5, n_items) + 1.0
    popularity = np.round(popularity / popularity.max(), 4)
    item_bias = rng.normal(0, 0.3, n_items)
    titles = []
    for i, cat in enumerate(cat_names):
        scores = item_aspects[i]
        good = [ASPECTS[j] for j in np.argsort(-scores) if scores[j] > 0.35][:2]
        words = [brand[i], MODEL_WORDS[rng.integers(0, len(MODEL_WORDS))]]
        words += [TITLE_WORDS[a] for a in good] + [cat]
        titles.append(" ".join(words))
    items = pd.DataFrame({
        "item_id": np.arange(n_items), "category": cat_names, "brand": brand,
        "title": titles, "price": price, "popularity": popularity,
        "aspects": [";".join(CATEGORY_ASPECTS[c]) for c in cat_names],
    })

    # --- users -----------------------------------------------------------
    # Shoppers come in a few personas: a persona shops mostly in 2-3
    # categories and cares about 2-3 of their aspects. A user takes a
    # persona's aspects with individual strengths (and sometimes one aspect of
    # their own) and a base weight of 0.15 on every aspect. Low-rank structure
    # like this is what matrix factorization exploits.
    n_c = len(categories)
    persona_cats, persona_aspects = [], []
    for _ in range(N_PERSONAS):
        cats = rng.choice(n_c, size=min(n_c, PERSONA_CATEGORIES), replace=False)
        # aspects weighted by how many of the persona's categories have them,
        # so what a persona cares about matters for most of what it buys
        count = np.zeros(n_a)
        for c in cats:
            for a in CATEGORY_ASPECTS[categories[c]]:
                count[ASPECTS.index(a)] += 1
        prob = count ** 3 / (count ** 3).sum()
        size = min(int((count > 0).sum()), PERSONA_ASPECTS)
        persona_cats.append(cats)
        persona_aspects.append(rng.choice(n_a, size=size, replace=False, p=prob))
    persona_strength = [rng.uniform(0.7, 1.3, size=len(a)) for a in persona_aspects]
    persona = rng.integers(0, N_PERSONAS, n_users)
    user_weights = np.full((n_users, n_a), 0.15)
    cat_aff = np.zeros((n_users, n_c))
    for u in range(n_users):
        cared = persona_aspects[persona[u]]
        user_weights[u, cared] = WEIGHT_SCALE * persona_strength[persona[u]] \
            * rng.uniform(1 - USER_SPREAD, 1 + USER_SPREAD)
        if rng.random() < EXTRA_ASPECT_P:
            user_weights[u, rng.integers(0, n_a)] = WEIGHT_SCALE * rng.uniform(0.7, 1.3)
        alpha = np.full(n_c, 0.1)
        alpha[persona_cats[persona[u]]] = 2.0
        cat_aff[u] = rng.dirichlet(alpha)
    user_bias = rng.normal(0, 0.35, n_users)
    price_sens = rng.gamma(2.0, 0.4, n_users)
    activity = np.maximum(8, np.round(rng.lognormal(np.log(ratings_per_user) - 0.15,
                                                    0.55, n_users))).astype(int)
    activity = np.minimum(activity, n_items)
    context = [CONTEXTS[j] for j in rng.integers(0, len(CONTEXTS), n_users)]
    users = pd.DataFrame({"user_id": np.arange(n_users), "context": context})
    user_traits = pd.DataFrame({"persona": persona,
                                "price_sensitivity": np.round(price_sens, 3)})

    global_mean = GLOBAL_MEAN
    world = World(items=items, users=users, ratings=pd.DataFrame(),
                  item_aspects=item_aspects, user_weights=user_weights,
                  user_bias=user_bias, item_bias=item_bias,
                  global_mean=global_mean, noise=float(noise), seed=int(seed),
                  user_traits=user_traits,
                  params=dict(n_users=n_users, n_items=n_items,
                              categories=categories,
                              ratings_per_user=ratings_per_user, noise=noise,
                              seed=int(seed)))

    # --- selection: who rates what ----------------------------------------
    mean_util = (global_mean + user_bias[:, None] + item_bias[None, :]
                 + user_weights @ item_aspects.T)
    z_price = np.zeros(n_items)
    for c in range(len(categories)):
        m = item_cat == c
        lp = np.log(price[m])
        z_price[m] = (lp - lp.mean()) / (lp.std() + 1e-9)
    logits = (SELECT_UTIL * mean_util + 0.8 * np.log(popularity)[None, :]
              + np.log(cat_aff[:, item_cat] + 1e-3)
              - price_sens[:, None] * z_price[None, :])
    rows_u, rows_i = [], []
    for u in range(n_users):
        g = rng.gumbel(size=n_items)  # Gumbel top-k = sampling without replacement
        chosen = np.argpartition(-(logits[u] + g), activity[u] - 1)[:activity[u]]
        rows_u.append(np.full(activity[u], u))
        rows_i.append(np.sort(chosen))
    ru = np.concatenate(rows_u)
    ri = np.concatenate(rows_i)
    util = mean_util[ru, ri] + rng.normal(0, noise, len(ru))
    rating = np.clip(np.round(util), 1, 5).astype(int)

    # timestamps: each user is active over a window inside one year
    start = rng.uniform(0, 0.7 * YEAR, n_users)
    span = rng.uniform(0.05, 0.3, n_users) * YEAR
    ts = T0 + start[ru] + rng.uniform(0, 1, len(ru)) * span[ru]
    ts = ts.astype(np.int64)

    # --- reviews ----------------------------------------------------------
    texts, feats, sents = [], [], []
    for u, i, r in zip(ru, ri, rating):
        contrib = user_weights[u] * item_aspects[i]
        has = np.flatnonzero(item_aspects[i] != 0)
        if has.size == 0:  # all scores happened to be exactly 0
            has = np.array([ASPECTS.index(CATEGORY_ASPECTS[cat_names[i]][0])])
        order = has[np.argsort(-np.abs(contrib[has]), kind="stable")]
        a1 = order[0]
        s1 = "positive" if contrib[a1] >= 0 else "negative"
        this = "these" if cat_names[i] in ("headphones", "running shoes") else "this"
        plural = this == "these"
        slots = dict(brand=brand[i], Brand=brand[i], category=cat_names[i],
                     context=context[u], this=this, This=this.capitalize(),
                     **{"is": "are" if plural else "is", "falls": "fall" if plural else "falls"})
        text = _pick(rng, OPENERS[s1]).format(**slots)
        clause = _pick(rng, PHRASES[ASPECTS[a1]][s1]).format(**slots)
        text += clause
        if len(order) > 1 and rng.random() < 0.5 and \
                abs(contrib[order[1]]) > 0.15:
            a2 = order[1]
            s2 = "positive" if contrib[a2] >= 0 else "negative"
            text += _pick(rng, JOINERS[(s1, s2)])
            text += _pick(rng, PHRASES[ASPECTS[a2]][s2]).format(**slots)
        text += "."
        text += _pick(rng, CLOSERS[s1]).format(**slots)
        texts.append(text[0].upper() + text[1:])
        feats.append(ASPECTS[a1])
        sents.append(s1)

    ratings = pd.DataFrame({"user_id": ru, "item_id": ri, "rating": rating,
                            "timestamp": ts, "text": texts, "aspect": feats,
                            "sentiment": sents})
    ratings = ratings.sort_values(["user_id", "timestamp"], kind="stable") \
        .reset_index(drop=True)
    world.ratings = ratings
    return world


def _pick(rng, options):
    return options[rng.integers(0, len(options))]


# --- files -----------------------------------------------------------------

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "shopsim"


def save(world, folder):
    """Write a world to ``folder`` as CSV files (public tables and truth)."""
    folder = Path(folder)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    world.items.to_csv(folder / "items.csv", index=False, lineterminator="\n")
    world.users.to_csv(folder / "users.csv", index=False, lineterminator="\n")
    world.ratings.to_csv(folder / "ratings.csv", index=False, lineterminator="\n")
    ia = pd.DataFrame(np.round(world.item_aspects, 6), columns=ASPECTS)
    ia.insert(0, "item_bias", np.round(world.item_bias, 6))
    ia.insert(0, "item_id", world.items["item_id"])
    ia.to_csv(folder / "truth" / "item_aspects.csv", index=False, lineterminator="\n")
    uw = pd.DataFrame(np.round(world.user_weights, 6), columns=ASPECTS)
    uw.insert(0, "user_bias", np.round(world.user_bias, 6))
    uw.insert(0, "price_sensitivity", world.user_traits["price_sensitivity"])
    uw.insert(0, "persona", world.user_traits["persona"])
    uw.insert(0, "user_id", world.users["user_id"])
    uw.to_csv(folder / "truth" / "user_weights.csv", index=False, lineterminator="\n")
    meta = dict(world.params, global_mean=world.global_mean)
    (folder / "truth" / "params.json").write_text(json.dumps(meta, indent=2) + "\n")


def load(folder=None):
    """Read a world written by :func:`save` (default: the committed one)."""
    folder = Path(folder) if folder is not None else DATA_DIR
    if not (folder / "ratings.csv").exists():
        raise ValueError(f"no ShopSim world in {folder} (ratings.csv missing); "
                         "run `make data` to regenerate it")
    items = pd.read_csv(folder / "items.csv")
    users = pd.read_csv(folder / "users.csv")
    ratings = pd.read_csv(folder / "ratings.csv")
    ia = pd.read_csv(folder / "truth" / "item_aspects.csv")
    uw = pd.read_csv(folder / "truth" / "user_weights.csv")
    meta = json.loads((folder / "truth" / "params.json").read_text())
    return World(items=items, users=users, ratings=ratings,
                 item_aspects=ia[ASPECTS].to_numpy(),
                 user_weights=uw[ASPECTS].to_numpy(),
                 user_bias=uw["user_bias"].to_numpy(),
                 item_bias=ia["item_bias"].to_numpy(),
                 global_mean=float(meta["global_mean"]),
                 noise=float(meta["noise"]), seed=meta.get("seed"),
                 user_traits=uw[["persona", "price_sensitivity"]].copy(),
                 params={k: v for k, v in meta.items() if k != "global_mean"})
