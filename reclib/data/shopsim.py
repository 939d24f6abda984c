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
from dataclasses import dataclass, field
from math import pi, sqrt
from pathlib import Path

import numpy as np
import pandas as pd

from reclib.checks import check_choice, check_ids, check_int, check_pairs, check_positive
# Phrase banks (item-title words, review phrases) live in their own module.
from reclib.data.shopsim_phrases import (CLOSERS, JOINERS, MODEL_WORDS, OPENERS, PHRASES,
                                         TITLE_WORDS)

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


def _erf(x):
    """The error function, elementwise, to about 1e-15 (NumPy has none):
    its Taylor series up to 1.5, a continued fraction for erfc beyond."""
    x = np.asarray(x, dtype=float)
    a = np.minimum(np.abs(x), 10.0)  # erf(10) is 1 in double precision
    out = np.empty_like(a)
    near = a <= 1.5
    s = a[near]
    term, total = s.copy(), s.copy()
    for n in range(1, 40):  # sum (-1)^n s^(2n+1) / (n! (2n+1))
        term = -term * s * s / n
        total += term / (2 * n + 1)
    out[near] = 2 / sqrt(pi) * total
    b = a[~near]
    frac = np.zeros_like(b)
    for k in range(80, 0, -1):  # erfc(b) = exp(-b^2)/sqrt(pi) / (b + 1/2/(b + 1/(b + ...)))
        frac = (k / 2) / (b + frac)
    out[~near] = 1 - np.exp(-b * b) / sqrt(pi) / (b + frac)
    return np.sign(x) * out


def _normal_cdf(x):
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=float) / sqrt(2.0)))


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

    def _check_pairs(self, users, items):
        """Two id arrays of known users and items (whole numbers: 1.5 or "7" is an error)."""
        return check_pairs(users, items, self.n_users, self.n_items, allow_empty=True)

    def utility(self, users, items):
        """Mean latent utility (before noise) of each (user, item) pair
        (a float for one user id and one item id)."""
        one = np.ndim(users) == 0 and np.ndim(items) == 0
        users, items = self._check_pairs(users, items)
        inter = np.sum(self.user_weights[users] * self.item_aspects[items], axis=-1)
        out = self.global_mean + self.user_bias[users] + self.item_bias[items] + inter
        return float(out[0]) if one else out

    def rating_distribution(self, users, items):
        """P(rating = 1..5) for each pair, shape (n, 5): the observation model.

        A rating is ``clip(round(utility + noise), 1, 5)`` with Gaussian noise.
        """
        m = np.asarray(self.utility(users, items))[..., None]
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
        if np.ndim(user) != 0 or np.ndim(item) != 0:
            raise ValueError(f"true_reasons takes one user id and one item id, got "
                             f"{user!r} and {item!r}")
        (user,), (item,) = self._check_pairs([user], [item])
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
        if np.ndim(item) != 0:
            raise ValueError(f"item_aspect_set takes one item id, got {item!r}")
        (item,) = check_ids("item", [item], self.n_items)
        return set(CATEGORY_ASPECTS[self.items.at[item, "category"]])

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
             noise=0.85, seed=DEFAULT_SEED, reviews=True):
    """Generate a ShopSim world.

    The world is built in five steps, each a function below, all drawing
    from one random generator in this order: items (:func:`_make_items`),
    users (:func:`_make_users`), selection of who rates what
    (:func:`_select`), ratings and their times (:func:`_rate`), reviews
    (:func:`_write_reviews`).

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
    reviews : bool
        Write the reviews (default). ``False`` skips the text, by far the
        slowest step for large worlds (millions of ratings, e.g. for the
        Spark chapter): ``ratings`` then has only ``user_id, item_id, rating,
        timestamp``, the same rows and values as with reviews (the review
        step draws its random numbers last).

    Returns
    -------
    World
    """
    n_users = check_int("n_users", n_users)
    n_items = check_int("n_items", n_items)
    ratings_per_user = check_int("ratings_per_user", ratings_per_user)
    seed = check_int("seed", seed, low=0)
    check_positive("noise", noise)
    if not isinstance(reviews, (bool, np.bool_)):
        raise ValueError(f"reviews must be True or False, got {reviews!r}")
    categories = _check_categories(categories, n_items)
    rng = np.random.default_rng(seed)

    items, item_aspects, item_bias, item_cat = _make_items(rng, n_items, categories)
    users, user_weights, user_bias, user_traits, shopping = _make_users(
        rng, n_users, n_items, categories, ratings_per_user)
    mean_util = (GLOBAL_MEAN + user_bias[:, None] + item_bias[None, :]
                 + user_weights @ item_aspects.T)
    ru, ri = _select(rng, mean_util, items, item_cat, **shopping)
    rating, ts = _rate(rng, mean_util, ru, ri, noise, n_users)
    if reviews:
        ratings = _write_reviews(rng, ru, ri, rating, ts, user_weights, item_aspects, items,
                                 users)
    else:
        ratings = pd.DataFrame({"user_id": ru, "item_id": ri, "rating": rating,
                                "timestamp": ts}).sort_values(
            ["user_id", "timestamp"], kind="stable").reset_index(drop=True)
    params = dict(n_users=n_users, n_items=n_items, categories=categories,
                  ratings_per_user=ratings_per_user, noise=noise, seed=seed)
    if not reviews:
        params["reviews"] = False
    return World(items=items, users=users, ratings=ratings,
                 item_aspects=item_aspects, user_weights=user_weights,
                 user_bias=user_bias, item_bias=item_bias,
                 global_mean=GLOBAL_MEAN, noise=float(noise), seed=seed,
                 user_traits=user_traits, params=params)


def _check_categories(categories, n_items):
    """The list of categories to use (default all), checked against the catalogue size."""
    if categories is None:
        categories = CATEGORIES
    if isinstance(categories, str):
        raise ValueError(f"categories must be a list of category names, not the string "
                         f"{categories!r}; write [{categories!r}]")
    categories = list(categories)
    if not categories:
        raise ValueError("categories must not be empty")
    for c in categories:
        check_choice("category", c, CATEGORIES)
    if len(set(categories)) != len(categories):
        raise ValueError(f"categories must not repeat, got {categories}")
    if n_items < len(categories):
        raise ValueError(f"n_items ({n_items}) must be at least the number of "
                         f"categories ({len(categories)})")
    return categories


def _make_items(rng, n_items, categories):
    """Step 1, items: category (every one at least once), aspect scores,
    brand, price, popularity, hidden bias, title.

    Returns ``(items table, item_aspects, item_bias, item_cat)``;
    ``item_cat`` is each item's index into ``categories``.
    """
    n_a = len(ASPECTS)
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
    return items, item_aspects, item_bias, item_cat


def _make_users(rng, n_users, n_items, categories, ratings_per_user):
    """Step 2, users: personas, aspect weights, category affinities, bias,
    price sensitivity, activity, use context.

    Shoppers come in a few personas: a persona shops mostly in 2-3
    categories and cares about 2-3 of their aspects. A user takes a
    persona's aspects with individual strengths (and sometimes one aspect of
    their own) and a base weight of 0.15 on every aspect. Low-rank structure
    like this is what matrix factorization exploits.

    Returns ``(users table, user_weights, user_bias, user_traits, shopping)``;
    ``shopping`` holds what the selection step needs (``cat_aff``,
    ``price_sens``, ``activity``).
    """
    n_a, n_c = len(ASPECTS), len(categories)
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
    shopping = dict(cat_aff=cat_aff, price_sens=price_sens, activity=activity)
    return users, user_weights, user_bias, user_traits, shopping


def _select(rng, mean_util, items, item_cat, cat_aff, price_sens, activity):
    """Step 3, selection: which items each user rates (``activity[u]`` of them).

    Not at random: items are drawn without replacement (Gumbel top-k) with
    probability proportional to exp(0.8 utility + 0.8 log popularity + log
    category affinity - price sensitivity x standardized log price).
    Returns the (user, item) pairs as two arrays, by user, items ascending.
    """
    n_users, n_items = mean_util.shape
    price = items["price"].to_numpy()
    popularity = items["popularity"].to_numpy()
    z_price = np.zeros(n_items)
    for c in range(cat_aff.shape[1]):
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
    return np.concatenate(rows_u), np.concatenate(rows_i)


def _rate(rng, mean_util, ru, ri, noise, n_users):
    """Step 4, ratings and times: ``clip(round(utility + noise), 1, 5)``, and
    a timestamp in each user's active window (2.5-15 weeks inside 2024)."""
    util = mean_util[ru, ri] + rng.normal(0, noise, len(ru))
    rating = np.clip(np.round(util), 1, 5).astype(int)
    start = rng.uniform(0, 0.7 * YEAR, n_users)
    span = rng.uniform(0.05, 0.3, n_users) * YEAR
    ts = T0 + start[ru] + rng.uniform(0, 1, len(ru)) * span[ru]
    return rating, ts.astype(np.int64)


def _write_reviews(rng, ru, ri, rating, ts, user_weights, item_aspects, items, users):
    """Step 5, reviews: one sentence per rating about the aspect that
    contributed most (its feature word and sentiment), from the phrase banks
    of :mod:`reclib.data.shopsim_phrases`; half the time a second clause
    about the runner-up aspect. Returns the ratings table, sorted by user and
    time."""
    cat_names = items["category"].tolist()
    brand = items["brand"].tolist()
    context = users["context"].tolist()
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
    return ratings.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)


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
