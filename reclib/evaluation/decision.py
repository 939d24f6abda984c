"""Does a reason help the shopper decide? A simulated decision study, and the
grading of reason kinds on recommended items, with a simulator's known truth.

**The choice model** (:func:`simulate_decisions`). A shopper ``u`` is shown a
recommended item ``i``, with or without a reason, and inspects (takes) it or
skips it. ShopSim's mean latent utility is

    U(u, i) = global mean + b_u + b_i + sum_a w_ua x_ia,

with ``w_ua`` the shopper's weight on aspect ``a`` (most are 0) and ``x_ia``
the item's score on it. The item is *good* for this shopper when
``U >= good`` (default 3.5: without rating noise they would give it 4 or 5
stars) and *bad* otherwise. The shopper does not know ``U``; they estimate it
as

    Uhat = U + e_0 + sum over the aspects a they weigh and the item has of e_a,

with ``e_0 ~ N(0, base_noise)`` (what the shopper misjudges about the item as
a whole) and ``e_a ~ N(0, aspect_noise * |w_ua|)`` (how much they misjudge the
item on an aspect they care about: the more they care, the more it matters),
and take the item when ``Uhat >= good``. A reason's claims ``(aspect,
sentiment)`` change the estimate only for aspects the shopper weighs
(``w_ua != 0``); a claim about an aspect they do not weigh, or without a
sentiment, is ignored. The shopper believes the claim:

* the item has the aspect: its term becomes ``sign * |w_ua x_ia|``, the true
  contribution with the *claimed* sign. A true claim removes ``e_a`` (the
  estimate moves to the truth on that aspect); a false one puts the
  contribution on the wrong side (the estimate moves away from it);
* the item lacks the aspect (a hallucination): a term ``sign * |w_ua| * q``
  is added, ``q`` the mean ``|x|`` of the world's (item, aspect) scores; the
  truth contributes 0, so the estimate moves away from it.

The noise is drawn per pair from ``(seed, user, item)`` (:func:`pair_normals`): every condition (no
reason, template, ...) sees the same draws, so a difference between two
conditions is the reasons' doing, and a pair gets the same draws in any
subset. *Decision quality* is the share of correct decisions: good items
taken plus bad items skipped, over all shown items (:func:`decision_quality`
also gives the two parts).

This is the *effectiveness* criterion of the explanation literature (does the
explanation help users make good decisions?), measured under a stated model
rather than claimed; the model is an assumption, and a study with people
measures it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reclib.checks import check_int, check_non_negative, check_number, check_pairs, check_seed
from reclib.data.shopsim import ASPECTS, CATEGORY_ASPECTS
from reclib.evaluation.reasons import _check_world
from reclib.metrics import text as mt
from reclib.metrics.intervals import bootstrap
from reclib.reasons.kinds import unit_rows

__all__ = ["decision_quality", "grade_aspect_reasons", "grade_behavioural", "grade_social",
           "pair_normals", "simulate_decisions", "true_top_aspects", "user_bootstrap", "wrong_claims"]


#: What the decision study reads from a world (the one check is in evaluation.reasons).
_TRUTH = {"methods": ("utility", "item_aspect_set"),
          "attributes": ("user_weights", "item_aspects"), "aspects": ASPECTS}


def _pairs(world, users, items):
    _check_world(world, **_TRUTH)
    return check_pairs(users, items, world.n_users, world.n_items)


def _claims(claims, n):
    if claims is None:
        return [[] for _ in range(n)]
    if isinstance(claims, str):
        raise ValueError("claims must be a list with one list of (aspect, sentiment) per pair, "
                         "not a string")
    claims = list(claims)
    if len(claims) != n:
        raise ValueError(f"mismatched lengths: {n} pairs but {len(claims)} claim lists")
    index = {a: k for k, a in enumerate(ASPECTS)}
    out = []
    for k, c in enumerate(claims):
        if isinstance(c, str):
            raise ValueError(f"claims[{k}] must be a list of (aspect, sentiment) pairs, got a "
                             f"string {c!r}")
        row = []
        for m in c:
            if not isinstance(m, (tuple, list)) or len(m) != 2:
                raise ValueError(f"claims[{k}] must hold (aspect, sentiment) pairs, got {m!r}")
            a, s = m
            if a not in index:
                raise ValueError(f"claims[{k}]: unknown aspect {a!r}")
            if s not in ("positive", "negative", None):
                raise ValueError(f"claims[{k}]: sentiment must be 'positive', 'negative' or "
                                 f"None, got {s!r}")
            row.append((index[a], s))
        out.append(row)
    return out


_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(z):
    """SplitMix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = (z + np.uint64(0x9E3779B97F4A7C15)) & _M64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        return z ^ (z >> np.uint64(31))


def pair_normals(seed, users, items, stream=0):
    """Standard normal draws, one per (user, item) pair, that depend only on
    ``(seed, user, item, stream)`` (a counter-based generator: SplitMix64
    hashing and the Box-Muller transform), so a pair gets the same draw in
    any subset and in any order, and nothing is stored per pair."""
    u = np.asarray(users).astype(np.uint64)
    i = np.asarray(items).astype(np.uint64)
    base = _mix(_mix(_mix(np.full(u.shape, np.uint64(seed))) ^ u) ^ i)
    h1 = _mix(base ^ np.uint64(2 * stream + 1))
    h2 = _mix(base ^ np.uint64(2 * stream + 2))
    u1 = ((h1 >> np.uint64(11)).astype(float) + 0.5) * 2.0 ** -53
    u2 = (h2 >> np.uint64(11)).astype(float) * 2.0 ** -53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _aspect_mask(world):
    """items x aspects, True where the item has the aspect (its category's)."""
    return np.array([[a in world.item_aspect_set(i) for a in ASPECTS]
                     for i in range(world.n_items)])


def true_top_aspects(world, users, items):
    """Per pair, the item's aspects as ``(aspect, sentiment)`` ranked by the
    absolute size of their true contribution ``w_ua x_ia`` (what
    ``World.true_reasons`` lists, without building a DataFrame per pair)."""
    users, items = _pairs(world, users, items)
    category = world.items["category"].to_numpy()
    out = []
    for u, i in zip(users, items):  # in the category's order, as World.true_reasons
        has = [ASPECTS.index(a) for a in CATEGORY_ASPECTS[category[i]]]
        c = world.user_weights[u, has] * world.item_aspects[i, has]
        order = np.argsort(-np.abs(c), kind="stable")
        out.append([(ASPECTS[has[k]], "positive" if c[k] >= 0 else "negative") for k in order])
    return out


def simulate_decisions(world, users, items, claims=None, *, good=3.5, base_noise=0.3,
                       aspect_noise=1.0, seed=0):
    """Simulate the shopper's take-or-skip decision for each recommended pair.

    Parameters
    ----------
    world : ShopSim World (the truth)
    users, items : arrays of ids, one pair per shown recommendation
    claims : list of list of (aspect, sentiment), or None
        What the reason shown with each pair claims (e.g. read from its text
        with ``reclib.data.aspects.extract_aspects``); None: no reason.
    good : float
        Utility at or above which an item is good for the shopper.
    base_noise, aspect_noise : float
        Standard deviations of the shopper's misjudgement (module docstring).
    seed : int

    Returns
    -------
    pandas.DataFrame
        ``user_id, item_id, utility, good, estimate, take, correct``.
    """
    users, items = _pairs(world, users, items)
    if len(users) == 0:
        raise ValueError("empty input: no (user, item) pairs")
    good = check_number("good", good)
    base_noise = check_non_negative("base_noise", base_noise)
    aspect_noise = check_non_negative("aspect_noise", aspect_noise)
    seed = check_seed(seed)
    if seed is None:
        raise ValueError("seed must be an integer: the conditions must share their noise")
    parsed = _claims(claims, len(users))
    has = _aspect_mask(world)[items]
    x_all = world.item_aspects
    q = float(np.abs(x_all[_aspect_mask(world)]).mean())
    w, x = world.user_weights[users], x_all[items]
    contrib = np.where(has, w * x, 0.0)
    utility = np.asarray(world.utility(users, items), dtype=float)
    e0 = pair_normals(seed, users, items, 0)
    ea = np.stack([pair_normals(seed, users, items, 1 + a) for a in range(len(ASPECTS))], 1)
    term = np.where(has, contrib + aspect_noise * np.abs(w) * ea, 0.0)
    for k, row in enumerate(parsed):
        for a, s in row:
            if w[k, a] == 0 or s is None:
                continue
            sign = 1.0 if s == "positive" else -1.0
            term[k, a] = sign * (abs(contrib[k, a]) if has[k, a] else abs(w[k, a]) * q)
    estimate = utility - contrib.sum(1) + term.sum(1) + base_noise * e0
    is_good = utility >= good
    take = estimate >= good
    return pd.DataFrame({"user_id": users, "item_id": items, "utility": utility,
                         "good": is_good, "estimate": estimate, "take": take,
                         "correct": take == is_good})


def decision_quality(decisions):
    """``{"decision quality", "good taken", "bad skipped"}`` of a
    :func:`simulate_decisions` table: the share of correct decisions, the
    share of good items taken and the share of bad items skipped (NaN when
    there are none)."""
    _check_decisions(decisions)
    good = decisions["good"].to_numpy(bool)
    take = decisions["take"].to_numpy(bool)
    return {"decision quality": float(decisions["correct"].mean()),
            "good taken": float(take[good].mean()) if good.any() else float("nan"),
            "bad skipped": float((~take[~good]).mean()) if (~good).any() else float("nan")}


def _check_decisions(decisions):
    if not isinstance(decisions, pd.DataFrame):
        raise TypeError(f"decisions must be a DataFrame from simulate_decisions, got "
                        f"{type(decisions).__name__}")
    missing = [c for c in ("user_id", "good", "take", "correct") if c not in decisions]
    if missing:
        raise ValueError(f"decisions is missing column(s) {missing}: use simulate_decisions")
    if decisions.empty:
        raise ValueError("decisions is empty")


def user_bootstrap(conditions, n_boot=2000, column="correct", seed=0):
    """Mean of ``column`` per condition with a 95% bootstrap interval over users.

    ``conditions`` maps a name to a :func:`simulate_decisions` table; all
    must hold the same users. The same resampled users serve every condition
    (:func:`reclib.metrics.intervals.bootstrap` with one statistic per
    condition: the resampled users' sum of ``column`` over their number of
    decisions), so intervals are comparable. Returns a DataFrame with
    ``mean, 2.5%, 97.5%`` per condition.
    """
    if not isinstance(conditions, dict) or not conditions:
        raise ValueError("conditions must be a non-empty dict {name: decisions}")
    n_boot = check_int("n_boot", n_boot)
    per_user = {}
    for name, d in conditions.items():
        _check_decisions(d)
        if column not in d:
            raise ValueError(f"condition {name!r} has no column {column!r}")
        per_user[name] = d.groupby("user_id")[column].agg(["sum", "count"])
    first = next(iter(per_user.values())).index
    for name, t in per_user.items():
        if not t.index.equals(first):
            raise ValueError(f"condition {name!r} holds other users than the first condition")
    sums = np.stack([t["sum"].to_numpy(float) for t in per_user.values()], 1)
    counts = np.stack([t["count"].to_numpy(float) for t in per_user.values()], 1)
    mean, low, high = bootstrap(lambda s, c: s.sum(0) / c.sum(0), sums, counts,
                                n_boot=n_boot, seed=seed)
    return pd.DataFrame({"mean": mean, "2.5%": low, "97.5%": high}, index=list(per_user))


def wrong_claims(world, users, items):
    """A deliberately wrong reason per pair: the aspect with the largest true
    contribution for this shopper, with the opposite of its true sign (the
    control of the decision study)."""
    flip = {"positive": "negative", "negative": "positive"}
    return [[(top[0][0], flip[top[0][1]])] if top else []
            for top in true_top_aspects(world, users, items)]


def grade_aspect_reasons(world, users, items, claims, m=2):
    """Grade aspect reasons against the truth.

    ``claims``: per pair, the ``(aspect, sentiment)`` pairs the reason names.
    Returns ``{"names aspect", "faithfulness", "hallucination", "personal"}``:
    faithfulness and hallucination as in :mod:`reclib.metrics.text` (every
    named aspect among the true top-``m`` with its true sign; an aspect the
    item lacks or a wrong sign), and *personal*, the share of reasons that
    name at least one aspect and only aspects the shopper truly weighs
    (``w_ua != 0``).
    """
    users, items = _pairs(world, users, items)
    _claims(claims, len(users))  # checks
    claims = [list(c) for c in claims]
    top = true_top_aspects(world, users, items)
    has = [world.item_aspect_set(int(i)) for i in items]
    index = {a: k for k, a in enumerate(ASPECTS)}
    personal = [bool(c) and all(world.user_weights[u, index[a]] != 0 for a, _ in c)
                for u, c in zip(users, claims)]
    return {"names aspect": float(np.mean([bool(c) for c in claims])),
            "faithfulness": mt.faithfulness(claims, top, m=m),
            "hallucination": mt.hallucination_rate(claims, has, top),
            "personal": float(np.mean(personal))}


def grade_behavioural(world, train, evidence, similar=0.5, good=3.5):
    """Is what a behavioural reason cites true?

    ``evidence``: ``BehaviouralReasons.evidence`` (``user_id, item_id,
    cited_item, cited_rating``). Returns ``{"cited purchase real", "truly
    similar", "evidence true", "recommended item good"}``: the share whose
    cited item the user did rate in ``train`` with the stated rating; whose
    cited item is truly similar to the recommended one (cosine of their
    true aspect scores at least ``similar``); both (the reason's evidence is
    true); and whose recommended item is truly good for the user
    (``U >= good``: the reason's implication, "you will like it too").
    """
    _check_world(world, **_TRUTH)
    need = ("user_id", "item_id", "cited_item", "cited_rating")
    if not isinstance(evidence, pd.DataFrame) or any(c not in evidence for c in need):
        raise ValueError(f"evidence must be a DataFrame with columns {list(need)} "
                         f"(BehaviouralReasons.evidence)")
    if evidence.empty:
        raise ValueError("evidence is empty")
    similar = check_number("similar", similar, -1, 1)
    users, items = _pairs(world, evidence["user_id"], evidence["item_id"])
    cited = check_pairs(users, evidence["cited_item"], world.n_users, world.n_items)[1]
    given = dict(zip(zip(train["user_id"].astype(int), train["item_id"].astype(int)),
                     train["rating"].astype(float)))
    real = np.array([given.get((int(u), int(j))) == float(r)
                     for u, j, r in zip(users, cited, evidence["cited_rating"])])
    cosine = (unit_rows(world.item_aspects[cited]) * unit_rows(world.item_aspects[items])).sum(1)
    sim = cosine >= similar
    liked = np.asarray(world.utility(users, items)) >= good
    return {"cited purchase real": float(real.mean()), "truly similar": float(sim.mean()),
            "evidence true": float((real & sim).mean()),
            "recommended item good": float(liked.mean())}


def grade_social(world, train, evidence, good=3.5):
    """Is what a social reason cites true?

    ``evidence``: ``SocialReasons.evidence`` (``user_id, item_id, n_cited,
    mean_rating, neighbours``). Returns ``{"cites someone", "mean rating
    real", "tastes truly match", "evidence true", "verdict right",
    "recommended item good"}``:
    the share citing at least one shopper; whose stated mean equals the
    cited shoppers' mean rating in ``train``; whose cited shoppers' true
    aspect weights are closer to the user's (mean cosine) than those of the
    item's other training raters (so "whose tastes match yours" is better
    than picking raters at random; a reason citing every rater is not); both;
    *verdict right*: the cited mean rating is on the same side of ``good``
    as the user's true utility (the reason points the right way); and whose
    recommended item is truly good for the user.
    """
    _check_world(world, **_TRUTH)
    need = ("user_id", "item_id", "n_cited", "mean_rating", "neighbours")
    if not isinstance(evidence, pd.DataFrame) or any(c not in evidence for c in need):
        raise ValueError(f"evidence must be a DataFrame with columns {list(need)} "
                         f"(SocialReasons.evidence)")
    if evidence.empty:
        raise ValueError("evidence is empty")
    users, items = _pairs(world, evidence["user_id"], evidence["item_id"])
    w = world.user_weights
    unit = unit_rows(w)
    order = np.argsort(train["item_id"].to_numpy(), kind="stable")
    t_item = train["item_id"].to_numpy()[order]
    t_user = train["user_id"].to_numpy()[order].astype(np.int64)
    t_rating = train["rating"].to_numpy(float)[order]
    start = np.searchsorted(t_item, np.arange(world.n_items + 1))
    cites, real, match = [], [], []
    for u, i, mean, who in zip(users, items, evidence["mean_rating"], evidence["neighbours"]):
        who = np.asarray(list(who), dtype=np.int64)
        cites.append(len(who) > 0)
        if not len(who):
            real.append(False)
            match.append(False)
            continue
        raters = t_user[start[i]:start[i + 1]]
        ratings = t_rating[start[i]:start[i + 1]]
        cited = np.isin(raters, who)
        real.append(bool(cited.sum() == len(who) and
                         abs(ratings[cited].mean() - float(mean)) < 1e-9))
        others = raters[~cited & (raters != u)]
        cited_cos = (unit[who] @ unit[u]).mean()
        other_cos = (unit[others] @ unit[u]).mean() if len(others) else -np.inf
        match.append(bool(cited_cos > other_cos))
    real, match = np.array(real), np.array(match)
    liked = np.asarray(world.utility(users, items)) >= good
    high = evidence["mean_rating"].to_numpy(float) >= good  # NaN (nobody cited): False
    return {"cites someone": float(np.mean(cites)), "mean rating real": float(real.mean()),
            "tastes truly match": float(match.mean()), "evidence true": float((real & match).mean()),
            "verdict right": float(np.mean(np.array(cites) & (high == liked))),
            "recommended item good": float(liked.mean())}
