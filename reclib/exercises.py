"""Exercises that check themselves.

A student calls :func:`check` with the label of an exercise and their answer
and gets an immediate :class:`Verdict`: correct, or wrong with a hint. The
right answer is computed *at check time*, from the library and the
student's ShopSim world, never read from a stored number, so the checks stay
right when a teacher gives every student a different world::

    export RECLIB_STUDENT_SEED=17        # before starting Jupyter
    >>> from reclib.exercises import check
    >>> check("ch01-ex3", rmse=0.93)

:func:`world` is the student's world: the committed default world when
``RECLIB_STUDENT_SEED`` is unset (or equals the default seed), otherwise
``shopsim.generate(seed=RECLIB_STUDENT_SEED)``. The student edition
(``make student``) loads the chapters' data through it.

Every exercise of the book is either in :data:`CHECKS` (checkable: its answer
is a number or a short fact the library can recompute) or in
:data:`NOT_CHECKABLE` with the reason (open-ended, or the answer needs a model
the chapter trains for minutes; its solution's asserts are the check).
``tests/test_exercises.py`` makes sure of both, for every chapter.

Each check states its tolerance in its docstring (``describe(label)``).
"""
import math
import os
from functools import lru_cache

import numpy as np

__all__ = ["CHECKS", "NOT_CHECKABLE", "Verdict", "check", "describe", "student_seed", "world"]

SEED_VARIABLE = "RECLIB_STUDENT_SEED"


def student_seed():
    """The student's world seed: ``$RECLIB_STUDENT_SEED``, or ShopSim's default seed."""
    from reclib.data.shopsim import DEFAULT_SEED
    raw = os.environ.get(SEED_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE} must be an integer, got {raw!r}") from None
    if seed < 0:
        raise ValueError(f"{SEED_VARIABLE} must be >= 0, got {seed}")
    return seed


@lru_cache(maxsize=4)
def _world(seed):
    from reclib.data import load_shopsim, shopsim
    if seed == shopsim.DEFAULT_SEED:
        return load_shopsim()
    return shopsim.generate(seed=seed)


def world(seed=None):
    """The student's ShopSim world (``seed``: default :func:`student_seed`).

    The default seed gives the committed world of the book; any other seed
    generates a world of the same size (about 5 s, cached per process).
    """
    if seed is None:
        seed = student_seed()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    return _world(int(seed))


class Verdict:
    """The result of a check: truthy when correct; shows the message in Jupyter."""

    def __init__(self, label, ok, message):
        self.label, self.ok, self.message = label, bool(ok), message

    def __bool__(self):
        return self.ok

    def __repr__(self):
        mark = "correct" if self.ok else "not yet"
        return f"[{self.label}] {mark}: {self.message}"

    def _repr_markdown_(self):
        mark = "**Correct.**" if self.ok else "**Not yet.**"
        return f"`{self.label}` {mark} {self.message}"


class _Check:
    def __init__(self, label, func, answers, template):
        self.label, self.func, self.answers, self.template = label, func, answers, template
        self.__doc__ = func.__doc__


CHECKS = {}


def _register(label, answers, template):
    def wrap(func):
        CHECKS[label] = _Check(label, func, answers, template)
        return func
    return wrap


def describe(label):
    """What the check of ``label`` expects, and its tolerance (its docstring)."""
    _known(label)
    return CHECKS[label].__doc__


def _known(label):
    if not isinstance(label, str):
        raise TypeError(f"label must be a string such as 'ch01-ex3', got {type(label).__name__}")
    if label not in CHECKS:
        hint = " (it is not auto-checked: see its solution)" if label in NOT_CHECKABLE else ""
        raise ValueError(f"no check for exercise {label!r}{hint}; checked: {', '.join(CHECKS)}")


def check(label, **answers):
    """Check the answer to exercise ``label``; returns a :class:`Verdict`.

    Pass the answer as the keyword arguments the exercise's check names
    (``describe(label)`` lists them); extra context such as ``seed=`` is
    accepted where the docstring says so.
    """
    _known(label)
    c = CHECKS[label]
    missing = [a for a in c.answers if a not in answers]
    if missing:
        raise TypeError(f"check({label!r}) needs {', '.join(missing)}: e.g. {c.template}")
    for name in c.answers:
        value = answers[name]
        if value is Ellipsis:
            return Verdict(label, False, f"no answer yet: replace ... after {name}= with yours.")
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            if not math.isfinite(float(value)):
                return Verdict(label, False, f"{name} is {value}: a finite number is expected.")
    ok, message = c.func(**answers)
    return Verdict(label, ok, message)


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        try:
            value = float(np.asarray(value).item())
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    return float(value)


def _close(value, right, tol):
    return abs(value - right) <= tol


# ---------------------------------------------------------------- chapter 1

def _mf_parameters(w, n_factors=16):
    from reclib.models.mf import MF
    return MF(n_factors=n_factors).build(w.n_users, w.n_items, 3.0).count_params()


@_register("ch01-ex2", ["power"], 'check("ch01-ex2", power=6)')
def _ch01_ex2(power, seed=None):
    """``power``: the exponent e such that GPT-3 has about 10^e times the
    parameters of the chapter's matrix factorization (16 factors, sized from
    the student's world). Accepted: within 0.5 of log10(175e9 / MF size),
    i.e. the nearest power of ten or a one-decimal value. A ratio (a number
    above 100) is read as the ratio itself."""
    power = _number("power", power)
    w = world(seed)
    mf_size = _mf_parameters(w)
    right = math.log10(175e9 / mf_size)
    if power > 100:                            # the ratio itself
        power = math.log10(power)
    if _close(power, right, 0.5):
        return True, f"GPT-3 / MF = 10^{right:.2f} ({mf_size:,} MF parameters)."
    if _close(power, math.log10(175e9 / 110e6), 0.5):
        return False, "that is GPT-3 against BERT-base; compare with the matrix factorization."
    if _close(power, math.log10(175e9), 0.5):
        return False, "that is GPT-3's own size; divide by the MF model's parameter count."
    return False, (f"count MF's parameters with mf.model_.count_params() "
                   f"(users and items times factors + 1) and take log10 of the ratio.")


@lru_cache(maxsize=4)
def _ch01_rmse(seed, n_factors):
    from reclib.data.splits import random_split
    from reclib.metrics.rating import rmse
    from reclib.models.baselines import Biases
    from reclib.models.mf import MF
    w = world(seed)
    train, test = random_split(w.ratings, test_fraction=0.2, seed=42)
    u, i, y = test["user_id"], test["item_id"], test["rating"]
    small = MF(n_factors=n_factors, seed=42).fit(train, items=w.items, users=w.users)
    biases = Biases().fit(train, items=w.items, users=w.users)
    return {"mf": rmse(y, small.predict(u, i)), "biases": rmse(y, biases.predict(u, i)),
            "oracle": rmse(y, w.expected_rating(u, i)),
            "train": rmse(train["rating"], small.predict(train["user_id"], train["item_id"]))}


@_register("ch01-ex3", ["rmse"], 'check("ch01-ex3", rmse=0.95)')
def _ch01_ex3(rmse, seed=None):
    """``rmse``: the test RMSE of ``MF(n_factors=2, seed=42)`` fitted on the
    chapter's split (``random_split(..., 0.2, seed=42)``) of the student's
    world. The check refits it (a few seconds, same seed, so the same
    numbers up to float rounding). Accepted: within 0.002 of the refit, a
    third of the gap between MF(2) and the biases baseline in the book's
    world."""
    value = _number("rmse", rmse)
    w_seed = student_seed() if seed is None else seed
    r = _ch01_rmse(int(w_seed), 2)
    if _close(value, r["mf"], 0.002):
        return True, (f"MF(2) gets {r['mf']:.3f}; the biases baseline gets {r['biases']:.3f} "
                      f"and the noise floor is {r['oracle']:.3f}.")
    if value < r["oracle"] - 0.002 or _close(value, r["train"], 0.002):
        return False, (f"your RMSE is {value:.3f}; the noise floor is {r['oracle']:.3f} and "
                       f"MF(2) scores {r['train']:.3f} on its own training ratings: did you "
                       "compute it on the training split?")
    if _close(value, r["biases"], 0.002):
        return False, (f"{value:.3f} is the biases baseline's RMSE; fit MF(n_factors=2) "
                       "and predict the test pairs with it.")
    full = _ch01_rmse(int(w_seed), 16)["mf"]
    if _close(value, full, 0.002):
        return False, f"{value:.3f} is the 16-factor model's RMSE; refit with n_factors=2."
    return False, (f"your RMSE is {value:.3f}; fit MF(n_factors=2, seed=SEED) on `train` and "
                   f"score `test` (the biases baseline gets {r['biases']:.3f}).")


# ---------------------------------------------------------------- chapter 2

@_register("ch02-ex2", ["temporal", "leave_last_out"],
           'check("ch02-ex2", temporal=0.25, leave_last_out=0.0)')
def _ch02_ex2(temporal, leave_last_out, seed=None):
    """``temporal``, ``leave_last_out``: the share of test ratings whose user
    has no training rating, in the temporal split (20%) and in leave-last-out.
    Recomputed from the splits of the student's world; accepted within 0.001
    (a share of counted rows)."""
    from reclib.data.splits import leave_last_out as llo, temporal_split
    t, l = _number("temporal", temporal), _number("leave_last_out", leave_last_out)
    ratings = world(seed).ratings
    tr, te = temporal_split(ratings, test_fraction=0.2)
    right_t = float(np.mean(~te["user_id"].isin(set(tr["user_id"]))))
    tr, te = llo(ratings)
    right_l = float(np.mean(~te["user_id"].isin(set(tr["user_id"]))))
    ok_t, ok_l = _close(t, right_t, 1e-3), _close(l, right_l, 1e-3)
    if ok_t and ok_l:
        return True, (f"{right_t:.1%} of the temporal test ratings come from unseen users, "
                      f"{right_l:.0%} in leave-last-out.")
    if _close(t, right_l, 1e-3) and _close(l, right_t, 1e-3):
        return False, "the two values are swapped."
    if not ok_t and t > 1:
        return False, "give a share between 0 and 1, not a count."
    if not ok_t:
        return False, ("temporal: count the test ratings whose user_id is not in the "
                       "*training* split's user ids (adapt the lookup on train_t only).")
    return False, "leave-last-out keeps every user in training: what share can be unseen?"


@_register("ch02-ex3", ["warm", "cold"], 'check("ch02-ex3", warm=1.05, cold=1.10)')
def _ch02_ex3(warm, cold, seed=None):
    """``warm``, ``cold``: RMSE of ``Biases`` (fitted on the temporal training
    split) divided by the oracle's RMSE on the same rows, for test users with
    and without training ratings. Recomputed; accepted within 0.002."""
    from reclib.data.splits import temporal_split
    from reclib.metrics.rating import rmse
    from reclib.models.baselines import Biases
    wv, cv = _number("warm", warm), _number("cold", cold)
    w = world(seed)
    tr, te = temporal_split(w.ratings, test_fraction=0.2)
    model = Biases().fit(tr, items=w.items, users=w.users)
    is_warm = te["user_id"].isin(set(tr["user_id"]))
    right, plain = {}, {}
    for name, part in (("warm", te[is_warm]), ("cold", te[~is_warm])):
        u, i, y = part["user_id"], part["item_id"], part["rating"]
        plain[name] = rmse(y, model.predict(u, i))
        right[name] = plain[name] / rmse(y, w.expected_rating(u, i))
    if _close(wv, right["warm"], 2e-3) and _close(cv, right["cold"], 2e-3):
        return True, f"warm {right['warm']:.3f} x oracle, cold {right['cold']:.3f} x oracle."
    if _close(wv, plain["warm"], 2e-3) or _close(cv, plain["cold"], 2e-3):
        return False, "that is the plain RMSE; divide it by the oracle's RMSE on the same rows."
    if _close(wv, right["cold"], 2e-3) and _close(cv, right["warm"], 2e-3):
        return False, "warm and cold are swapped: warm users have training ratings."
    return False, ("fit Biases on train_t only and split test_t by whether the user has "
                   "training ratings.")


@_register("ch02-ex4", ["shown", "half"], 'check("ch02-ex4", shown=0.02, half=0.2)')
def _ch02_ex4(shown, half, seed=None):
    """``shown``: the share of the catalogue in the union of the Popularity
    top-10 lists (fitted on the leave-last-out training split, all users);
    ``half``: the share of items that hold half of all interactions (most
    popular first). Recomputed; accepted within 0.002 (one item in 500)."""
    from reclib.data.splits import leave_last_out
    from reclib.models.baselines import Popularity
    s, h = _number("shown", shown), _number("half", half)
    w = world(seed)
    train, _ = leave_last_out(w.ratings)
    pop = Popularity().fit(train, items=w.items, users=w.users)
    right_s = len({i for top in pop.recommend_all(k=10).values() for i in top}) / w.n_items
    counts = w.ratings.groupby("item_id").size().sort_values(ascending=False)
    right_h = (int(np.searchsorted(counts.cumsum().to_numpy(), counts.sum() / 2)) + 1) / w.n_items
    if _close(s, right_s, 2e-3) and _close(h, right_h, 2e-3):
        return True, f"popularity shows {right_s:.1%} of the catalogue; {right_h:.1%} hold half."
    if s >= 1 or h >= 1:
        return False, "give shares of the catalogue (between 0 and 1), not counts."
    if _close(s, 10 / w.n_items, 2e-3):
        return False, ("that is one list; take the union of every user's top-10 (lists "
                       "differ because each excludes the user's own items).")
    if not _close(h, right_h, 2e-3):
        return False, ("for `half`, sort items by interactions, most first, and count how "
                       "many it takes to reach half of all interactions.")
    return False, "for `shown`, take the union of all users' top-10 lists over n_items."


# ---------------------------------------------------------------- chapter 5

def _grid():
    x = np.linspace(-10, 10, 4001)
    return x, x[1] - x[0]


@_register("ex-gan-equilibrium", ["d_star", "value", "l_d", "l_g"],
           'check("ex-gan-equilibrium", d_star=0.5, value=-1.39, l_d=1.39, l_g=0.69)')
def _gan_equilibrium(d_star, value, l_d, l_g):
    """At ``p_g = p_data``: D*, V(D*, G), L_D and the non-saturating L_G.
    Recomputed with ``gan1d`` on a grid for the chapter's mixture; accepted
    within 0.01 (two decimals are enough)."""
    from reclib import gan1d
    vals = {k: _number(k, v) for k, v in dict(d_star=d_star, value=value, l_d=l_d, l_g=l_g).items()}
    x, dx = _grid()
    p = gan1d.mixture_density(x, [-5.0, 0.0, 5.0], 0.5)
    d = gan1d.optimal_discriminator(p, p)
    v = float(np.sum(p * np.log(d) + p * np.log1p(-d)) * dx)
    logit = np.log(d / (1 - d)).astype("float32")
    right = {"d_star": float(np.median(d)), "value": v,
             "l_d": float(gan1d.discriminator_loss(logit, logit)),
             "l_g": float(gan1d.generator_loss(logit))}
    wrong = [k for k in right if not _close(vals[k], right[k], 0.01)]
    if not wrong:
        return True, "D* = 1/2, V = -log 4, L_D = log 4, L_G = log 2."
    if "value" in wrong and _close(vals["value"], -right["value"], 0.01):
        return False, "V has the wrong sign: log(1/2) is negative."
    if "l_g" in wrong and _close(vals["l_g"], -right["l_g"], 0.01):
        return False, "L_G = -log D(G(z)) is positive; check its sign."
    if "l_d" in wrong and _close(vals["l_d"], right["l_g"], 0.01):
        return False, "L_D has two terms, one for real and one for fake samples."
    return False, f"check {', '.join(wrong)}: start from D* = p_data / (p_data + p_g)."


@_register("ex-gan-crossover", ["crossing", "larger_above"],
           'check("ex-gan-crossover", crossing=0.5, larger_above="saturating")')
def _gan_crossover(crossing, larger_above):
    """``crossing``: the D(G(z)) where the two generator gradients (w.r.t.
    the logit) have equal magnitude; ``larger_above``: ``"saturating"`` or
    ``"non_saturating"``, the larger one above it. Recomputed with
    ``gan1d.generator_logit_gradient`` on a fine grid; accepted within 0.01."""
    from reclib import gan1d
    c = _number("crossing", crossing)
    if not isinstance(larger_above, str):
        raise TypeError("larger_above must be 'saturating' or 'non_saturating'")
    kind = larger_above.strip().lower().replace("-", "_").replace(" ", "_")
    if kind not in ("saturating", "non_saturating"):
        raise ValueError(f"larger_above must be 'saturating' or 'non_saturating', got {larger_above!r}")
    d = np.linspace(0.0005, 0.9995, 19991)
    gap = (np.abs(gan1d.generator_logit_gradient(d, "saturating"))
           - np.abs(gan1d.generator_logit_gradient(d, "non_saturating")))
    right = float(d[np.argmin(np.abs(gap))])
    above = "saturating" if np.mean(gap[d > right + 0.01] > 0) > 0.5 else "non_saturating"
    if _close(c, right, 0.01) and kind == above:
        return True, f"equal at D(G(z)) = {right:.2f}; above it the {above} gradient is larger."
    if not _close(c, right, 0.01):
        return False, "write both derivatives as functions of D = sigmoid(l) and set |.| equal."
    return False, "at D(G(z)) = 0.9, compare D with 1 - D."


@_register("ex-gan-jsd-flat", ["jsd_far"], 'check("ex-gan-jsd-flat", jsd_far=0.69)')
def _gan_jsd_flat(jsd_far):
    """``jsd_far``: JSD(N(0, 0.5^2) || N(6, 0.5^2)) in nats, the value the
    curve flattens at. Recomputed with ``gan1d.js_divergence``; accepted
    within 0.005."""
    from reclib import gan1d
    j = _number("jsd_far", jsd_far)
    x, dx = _grid()
    right = float(gan1d.js_divergence(gan1d.mixture_density(x, [0.0], 0.5),
                                      gan1d.mixture_density(x, [6.0], 0.5), dx))
    if _close(j, right, 5e-3):
        return True, f"JSD = {right:.4f}, i.e. log 2: no overlap, no gradient."
    if _close(j, math.log2(2), 5e-3):
        return False, "that is 1 bit; the book uses natural logarithms (nats)."
    return False, "with no overlap each half of the mixture contributes log 2 / 2."


@_register("ex-gan-baseline", ["best_baseline", "theta", "reward"],
           'check("ex-gan-baseline", best_baseline=best_b, theta=theta, reward=reward)')
def _gan_baseline(best_baseline, theta, reward):
    """``best_baseline``: the constant b that minimises the total variance of
    the one-sample REINFORCE estimate for logits ``theta`` and ``reward``
    (the toy of section 5.7). The exact minimiser,
    ``E[R |g|^2] / E[|g|^2]`` with ``g = e_k - softmax(theta)``, is computed;
    accepted within 0.15 (a 0.1 grid plus Monte Carlo error at 20,000
    samples)."""
    b = _number("best_baseline", best_baseline)
    theta, reward = np.asarray(theta, float), np.asarray(reward, float)
    if theta.shape != reward.shape or theta.ndim != 1:
        raise ValueError(f"theta and reward must be 1-D of the same length, got {theta.shape} "
                         f"and {reward.shape}")
    p = np.exp(theta - theta.max())
    p /= p.sum()
    g2 = np.array([np.sum((np.eye(len(p))[k] - p) ** 2) for k in range(len(p))])
    right = float(np.sum(p * reward * g2) / np.sum(p * g2))
    mean = float(p @ reward)
    if _close(b, right, 0.15):
        return True, (f"the optimum is b = {right:.2f}, near the mean reward {mean:.2f} "
                      "but weighted by |grad log p|^2.")
    if _close(b, 0.0, 0.05):
        return False, "b = 0 is no baseline at all; scan b and take the smallest variance."
    return False, (f"your b = {b:.2f}; sum the per-parameter variances of the estimates "
                   "for each b and take the argmin.")


# ---------------------------------------------------------------- chapter 9

@lru_cache(maxsize=4)
def _ch09_any_rating(seed):
    from reclib.data.splits import random_split
    from reclib.metrics.ranking import ranking_report
    from reclib.models.baselines import Popularity
    from reclib.protocol import top_k_lists
    w = world(seed)
    train, test = random_split(w.ratings, 0.2, seed=0)
    everyone = np.arange(w.n_users)
    rated = train.groupby("user_id")["item_id"].apply(list).to_dict()
    utility = w.utility(np.repeat(everyone, w.n_items),
                        np.tile(np.arange(w.n_items), w.n_users)).reshape(w.n_users, w.n_items)
    lists = {"popularity": Popularity().fit(train, items=w.items, users=w.users).recommend_all(10),
             "oracle": top_k_lists(utility, everyone, 10, rated)}
    out = {}
    for name, rel in (("any", {u: set(g["item_id"]) for u, g in test.groupby("user_id")}),
                      ("liked", {u: set(g["item_id"][g["rating"] >= 4])
                                 for u, g in test.groupby("user_id")})):
        for model, l in lists.items():
            out[model, name] = ranking_report(l, rel, 10, w.n_items)["recall@10"]
    return out


@_register("ch09-ex4", ["popularity", "oracle"], 'check("ch09-ex4", popularity=0.05, oracle=0.03)')
def _ch09_ex4(popularity, oracle, seed=None):
    """``popularity``, ``oracle``: Recall@10 of the popularity lists and of
    the true-utility oracle when every held-out item is relevant (chapter 9's
    split, ``random_split(..., 0.2, seed=0)``, training items excluded).
    Recomputed; accepted within 0.002."""
    p, o = _number("popularity", popularity), _number("oracle", oracle)
    r = _ch09_any_rating(student_seed() if seed is None else int(seed))
    if _close(p, r["popularity", "any"], 2e-3) and _close(o, r["oracle", "any"], 2e-3):
        return True, (f"popularity {r['popularity', 'any']:.3f} vs oracle "
                      f"{r['oracle', 'any']:.3f}: choices, not liking.")
    if _close(p, r["popularity", "liked"], 2e-3) or _close(o, r["oracle", "liked"], 2e-3):
        return False, ("those are the values with relevance = rating >= 4; count every "
                       "held-out item as relevant.")
    if _close(p, r["oracle", "any"], 2e-3) and _close(o, r["popularity", "any"], 2e-3):
        return False, "the two values are swapped."
    return False, "use set(g['item_id']) per user of `test` as the relevant items."


# ---------------------------------------------------------------- Spark chapter

@_register("ex-spark-mae", ["mae", "predictions"],
           'check("ex-spark-mae", mae=spark_mae, predictions=local)')
def _spark_mae(mae, predictions):
    """``mae``: the MAE computed on Spark; ``predictions``: the collected
    pandas table with ``rating`` and ``prediction``. The check computes
    ``reclib.metrics.rating.mae`` (which clips to 1-5) on it; accepted within
    1e-9 (the same sum in another engine)."""
    from reclib.metrics.rating import mae as mae_
    m = _number("mae", mae)
    for col in ("rating", "prediction"):
        if col not in getattr(predictions, "columns", ()):
            raise ValueError(f"predictions must be a table with a {col!r} column")
    y, pred = predictions["rating"].to_numpy(float), predictions["prediction"].to_numpy(float)
    right = mae_(y, pred)
    if _close(m, right, 1e-9):
        return True, f"MAE {right:.4f} on both engines."
    if _close(m, float(np.mean(np.abs(pred - y))), 1e-9):
        return False, "clip the predictions to 1-5 before taking |error| (F.least/F.greatest)."
    if _close(m, float(np.sqrt(np.mean((np.clip(pred, 1, 5) - y) ** 2))), 1e-9):
        return False, "that is the RMSE; MAE averages the absolute errors."
    return False, f"your MAE is {m:.4f}; reclib's mae on the collected rows gives another value."


# ---------------------------------------------------------------- not checkable

_TRAINED = "its answer depends on a model the chapter trains; the solution's asserts check it"
NOT_CHECKABLE = {
    "ch01-ex1": "open reading: compare reasons with a user's own reviews (asserted in the solution)",
    "ch02-ex1": "a table the student builds; the solution asserts which rows clean_ratings keeps",
    "ch03-ex1": _TRAINED, "ch03-ex2": _TRAINED, "ch03-ex3": _TRAINED, "ch03-ex4": _TRAINED,
    "ch04-ex1": _TRAINED, "ch04-ex2": _TRAINED, "ch04-ex3": _TRAINED,
    "ch04-ex4": "a qualitative finding (where SGD diverges) that depends on the shuffling seed",
    "ch06-ex1": _TRAINED, "ch06-ex2": _TRAINED, "ch06-ex3": _TRAINED, "ch06-ex4": _TRAINED,
    "ch06-ex5": "open-ended: the student designs a lexicon; the solution asserts the trade-off",
    "ch07-ex1": _TRAINED, "ch07-ex2": _TRAINED, "ch07-ex3": _TRAINED, "ch07-ex4": _TRAINED,
    "ch08-ex1": "a numerical identity the student checks themselves (asserted in the solution)",
    "ch08-ex2": "needs the chapter's fine-tuned language model",
    "ch08-ex3": "needs the chapter's fine-tuned language model and its tokenizer",
    "ch09-ex1": _TRAINED, "ch09-ex2": _TRAINED, "ch09-ex3": _TRAINED,
    "ch10-ex1": _TRAINED, "ch10-ex2": _TRAINED,
    "ch10-ex3": "reruns the chapter's decision study; the solution asserts the trend",
    "ch10-ex4": _TRAINED,
    "ch11-ex1": _TRAINED, "ch11-ex2": "trains two risk models on a new world; asserted in the "
    "solution", "ch11-ex3": "the student writes a report writer; the solution asserts its scores",
    "ch11-ex4": _TRAINED,
    "ex-spark-partitions": "a Spark model and a timing; the solution asserts the RMSE",
    "ex-spark-exclude": "needs the chapter's Spark model; the solution asserts it",
    "ex-spark-reasons-users": "needs the chapter's Spark model; the solution asserts it",
    "ch12-ex1": _TRAINED, "ch12-ex2": _TRAINED, "ch12-ex4": _TRAINED,
    "ch12-ex3": "measured on the chapter's course world and recommendations; the solution "
    "asserts it",
    "ch14-ex1": "a timing and a growth on the reader's machine; the solution asserts what grows",
    "ch14-ex2": _TRAINED, "ch14-ex3": _TRAINED,
    "ex-faq-lr-scale": "trains GANs over seeds; the solution asserts the modes they cover",
    "ex-faq-rank-first": "reads the appendix's learning curve; the solution asserts the order",
}
