"""Reasons for the items a recommender recommends, graded by a simulator's truth.

Chapter 9's head-to-head (:func:`reclib.evaluation.reasons.head_to_head`)
grades reasons on held-out *reviewed* pairs: items the user chose and then
reviewed. A shop shows reasons for something else, the items its recommender
puts in each user's top-``k``. Those pairs have no review, so nothing that
needs a reference can be computed (BLEU, ROUGE, FMR), but a simulator that
knows why a user would like an item (ShopSim's ``World``) can still grade
what each reason *says*:

* :func:`recommended_pairs` builds the ``(user, item)`` pairs of each user's
  top-``k`` list (items rated in training excluded, as
  :meth:`reclib.protocol.Recommender.recommend_all` does);
* :func:`evaluate_recommended` generates a reason per pair with each
  generator (grounded generators get
  :meth:`TemplateReasons.predicted_aspect`, from training evidence, as in
  ``head_to_head``), passes them through the guard, and returns the columns
  that need no reference, before and after the guard
  (:data:`RECOMMENDED_METRICS`);
* :func:`truth_each` gives the per-pair 0/1 values that faithfulness,
  hallucination and ``names aspect`` average, for bootstrap intervals (over
  users: :func:`reclib.metrics.intervals.bootstrap`).

The generators' entries, the truth (:func:`~reclib.evaluation.reasons.ground_truth`),
the guard and the metric functions (:mod:`reclib.metrics.text`,
:mod:`reclib.metrics.claims`) are those of :mod:`reclib.evaluation.reasons`,
so the two tables are graded the same way and differ only in the pairs (a
test checks that the columns agree with ``evaluate_reasons`` and
``head_to_head`` run on the same pairs). The rule reader's tables are built
once per list of reasons and the truth converted once, which makes grading
several generators on 1,000 pairs a few times faster than calling
``evaluate_reasons`` for each.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reclib.checks import aspects_of, check_ids, check_int, check_k, check_seed, check_texts
from reclib.evaluation.reasons import (_check_world, _entry, _truth, _truth_scores,
                                       personalization_or_nan, read_all, reader_for)
from reclib.metrics import text as mt
from reclib.metrics.claims import personal_claim_scores
from reclib.protocol import Recommender
from reclib.reasons.guard import guard_reasons
from reclib.reasons.templates import TemplateReasons

__all__ = ["RECOMMENDED_METRICS", "evaluate_recommended", "recommended_pairs", "truth_each"]

#: The columns of :func:`evaluate_recommended`, in order: the reference-free
#: columns of :func:`reclib.evaluation.reasons.evaluate_reasons`, the
#: personal-claim grade (:mod:`reclib.metrics.claims`), and the same after
#: the guard.
RECOMMENDED_METRICS = ("USR", "FCR", "DIV", "faithfulness", "hallucination", "personalization",
                       "names aspect", "personal claims", "personal: train", "personal: truth",
                       "faithfulness+guard", "hallucination+guard", "USR+guard",
                       "personal: truth+guard", "rejected")


# ===================================================================== pairs
def _sample_users(users, n_users, seed):
    """Checked, distinct user ids: the ids given, or ``users`` (an int) drawn
    without replacement from ``0..n_users-1`` by a generator seeded with
    ``seed`` (the global random state is not touched)."""
    if isinstance(users, (int, np.integer)) and not isinstance(users, bool):
        n = check_int("users", users, low=1, high=n_users)
        rng = np.random.default_rng(check_seed(seed))
        return np.sort(rng.choice(n_users, n, replace=False)).astype(np.int64)
    if users is None or isinstance(users, (str, bool, float)):
        raise ValueError(f"users must be a list of user ids or a number of users to draw, "
                         f"got {users!r}")
    ids = check_ids("user", users, n_users)
    if len(ids) == 0:
        raise ValueError("users is empty: give at least one user id")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("users must not repeat (each user's top-k list is graded once)")
    return ids


def recommended_pairs(recommender, users, k=10, *, seed=0):
    """The ``(user, item)`` pairs of each user's top-``k`` recommendations.

    Parameters
    ----------
    recommender : reclib.protocol.Recommender
        Fitted; its lists skip the items each user rated in training
        (``recommend_all(k, users, exclude_rated=True)``).
    users : sequence of int or int
        The users (distinct ids), or how many users to draw at random.
    k : int
        Length of each list.
    seed : int
        Seeds the draw when ``users`` is a number.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id``, ``item_id``, ``rank`` (1 = the recommender's
        first choice), users in the order given (sorted when drawn), each
        user's items best first. A user with fewer than ``k`` unrated items
        has fewer rows.
    """
    if not isinstance(recommender, Recommender):
        raise TypeError(f"recommender must be a fitted reclib recommender (a "
                        f"reclib.protocol.Recommender), got {type(recommender).__name__}")
    if not hasattr(recommender, "fit_time_"):
        raise ValueError(f"{type(recommender).__name__} is not fitted yet: call fit(...) first")
    k = check_k(k)
    users = _sample_users(users, recommender.n_users_, seed)
    lists = recommender.recommend_all(k, users=users, exclude_rated=True)
    rows = [(int(u), int(i), r + 1) for u in users for r, i in enumerate(lists[int(u)])]
    pairs = pd.DataFrame(rows, columns=["user_id", "item_id", "rank"])
    if len(pairs) < 2:
        raise ValueError(f"only {len(pairs)} recommended pair(s): need at least 2 to grade "
                         f"(more users, or a larger k)")
    return pairs


# ===================================================================== per-pair truth
def truth_each(texts, pairs, *, aspects, world=None, truth=None, m=2, level="word",
               reader=None):
    """Per pair, the 0/1 values behind faithfulness, hallucination and
    ``names aspect`` (their means are the table's columns).

    Parameters
    ----------
    texts : list of str, or dict of lists
        One reason per row of ``pairs``; or ``{key: reasons}`` for several
        lists on the same pairs (the truth is then prepared once).
    pairs : pandas.DataFrame
        ``user_id`` and ``item_id`` (held-out pairs or :func:`recommended_pairs`).
    aspects : collection of str
        The aspect vocabulary the reasons are read with (a generator's ``aspects_``).
    world, truth
        The simulator, or :func:`reclib.evaluation.reasons.ground_truth` of
        the same pairs (one of the two is required).
    m : int
        Top-``m`` for faithfulness.
    reader : object with ``read(texts)``, optional
        Reads the ``(aspect, sentiment)`` pairs each reason states (default:
        the rule reader, :func:`reclib.data.aspects.extract_aspects`).

    Returns
    -------
    pandas.DataFrame, or a dict of them (one per key) for a dict of lists
        ``user_id``, ``item_id``, ``faithful``, ``hallucinated``,
        ``names aspect`` (floats 0.0 or 1.0), one row per pair, in order.
    """
    many = isinstance(texts, dict)
    lists = {k: check_texts(v, f"texts[{k!r}]") for k, v in texts.items()} if many else \
        {None: check_texts(texts)}
    if not lists:
        raise ValueError("texts is an empty dict: give at least one list of reasons")
    if not isinstance(pairs, pd.DataFrame) or not {"user_id", "item_id"} <= set(pairs.columns):
        raise ValueError("pairs must be a DataFrame with columns 'user_id' and 'item_id'")
    for v in lists.values():
        if len(v) != len(pairs):
            raise ValueError(f"mismatched lengths: {len(pairs)} pairs but {len(v)} texts")
    if world is None and truth is None:
        raise ValueError("give world= (a simulator with a known truth) or truth= "
                         "(ground_truth(world, pairs))")
    if world is not None:
        _check_world(world)
    truth = _truth(world, truth, pairs)
    aspects = list(aspects_of(None, aspects))
    m = check_int("m", m)
    reader = reader_for(reader, aspects, level)
    tops = _plain(truth)["true_reasons"]  # read once for every list of reasons
    out = {}
    for key, reasons in lists.items():
        mentioned = read_all(reader, reasons)
        faithful = mt.faithful_each(mentioned, tops, m=m)
        hallucinated = [mt.hallucination_rate([x], [has], [top]) for x, has, top in
                        zip(mentioned, truth["item_aspects"], tops)]
        out[key] = pd.DataFrame({"user_id": pairs["user_id"].to_numpy(),
                                 "item_id": pairs["item_id"].to_numpy(),
                                 "faithful": faithful,
                                 "hallucinated": np.asarray(hallucinated, float),
                                 "names aspect": [float(bool(x)) for x in mentioned]})
    return out if many else out[None]


# ===================================================================== one list of reasons
def _plain(truth):
    """The truth with each pair's true reasons as a list of ``(aspect,
    sentiment)`` (what the metric functions read from the DataFrames),
    converted once instead of once per metric and generator."""
    return {"true_reasons": [list(zip(r["aspect"], r["sentiment"]))
                             for r in truth["true_reasons"]],
            "item_aspects": truth["item_aspects"]}


def _reference_free(users, items, texts, aspects, plain, m, reader, level="word"):
    """The columns of ``evaluate_reasons`` that need no reference, computed
    by the same metric functions in the same way (``plain``: :func:`_plain`)."""
    mentioned = read_all(reader, texts)
    out = {"USR": mt.usr(texts, level), "FCR": mt.fcr(texts, aspects, level),
           "DIV": mt.div(texts, aspects, level)}
    out["faithfulness"], out["hallucination"] = _truth_scores(texts, aspects, plain, m,
                                                              mentioned=mentioned)
    out["personalization"] = personalization_or_nan(users, items, texts, level)
    out["names aspect"] = float(np.mean([bool(x) for x in mentioned]))
    return out


def _claim_options(world, aspects, claim_truth):
    """Keyword arguments for :func:`personal_claim_scores`: the aspect
    vocabulary and the truth (``claim_truth``, or for a ShopSim world its
    hidden aspect weights and use contexts)."""
    if claim_truth is not None:
        if not isinstance(claim_truth, dict):
            raise ValueError(f"claim_truth must be a dict of personal_claim_scores options "
                             f"(user_weights=, user_contexts=), got {type(claim_truth).__name__}")
        return {"aspects": aspects, **claim_truth}
    from reclib.data.shopsim import ASPECTS, World
    if isinstance(world, World):
        return {"aspects": aspects, "user_contexts": world.users["context"],
                "user_weights": pd.DataFrame(world.user_weights, columns=ASPECTS)}
    return {"aspects": aspects}


# ===================================================================== several generators
def evaluate_recommended(recommender, users, generators, *, world, template, k=10, train=None,
                         generate_kw=None, m=2, claim_truth=None, reader=None, seed=0,
                         return_details=False):
    """Generate and grade reasons for each user's top-``k`` recommended items.

    Parameters
    ----------
    recommender : reclib.protocol.Recommender
        Fitted; gives the pairs (:func:`recommended_pairs`).
    users : sequence of int or int
        The users whose lists are explained, or how many to draw (with ``seed``).
    generators : dict
        As for :func:`reclib.evaluation.reasons.head_to_head`: ``{name:
        generator}`` or ``{name: {"model": generator, "grounded": ...,
        **decoding}}``, each fitted (``fit_time`` is accepted and ignored).
    world : simulator
        Knows the truth (``true_reasons``, ``item_aspect_set``; a ShopSim
        ``World``): every column is graded against it.
    template : TemplateReasons
        Fitted on the training reviews: the aspect vocabulary, the grounding
        aspect of each pair (``predicted_aspect``) and the guard's evidence.
    k : int
        Length of each top-``k`` list.
    train : pandas.DataFrame, optional
        The training reviews, for the personal-claim grade (without them
        its columns are NaN).
    generate_kw : dict, optional
        Decoding keywords passed to every generator (e.g. ``method``,
        ``temperature``, ``seed``); an entry's own keywords override them.
        The reasons depend only on these seeds and the generators' own.
    m : int
        Top-``m`` for faithfulness.
    claim_truth : dict, optional
        ``user_weights=`` and ``user_contexts=`` for the personal-claim
        grade's truth (default for a ShopSim world: its hidden weights and
        contexts).
    reader : object with ``read(texts)``, optional
        Reads what each reason states for faithfulness, hallucination and
        ``names aspect`` (default: the rule reader; the guard always reads
        with the rules), e.g. a second reader the guard does not use.
    seed : int
        Seeds the draw of users when ``users`` is a number.
    return_details : bool
        Also return a dict with the ``pairs`` (:func:`recommended_pairs`),
        their ``truth`` (:func:`reclib.evaluation.reasons.ground_truth`,
        e.g. for :func:`truth_each`), the ``grounding`` aspects, and the
        ``texts``: ``{name: {"raw": [...], "guarded": [...]}}``.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, dict) with ``return_details``
        One row per generator, columns :data:`RECOMMENDED_METRICS`: ``USR``,
        ``FCR``, ``DIV``, ``faithfulness``, ``hallucination``,
        ``personalization``, ``names aspect`` (as in ``evaluate_reasons``),
        ``personal claims``, ``personal: train``, ``personal: truth`` (as in
        :func:`reclib.metrics.claims.personal_claim_scores`), and after the
        guard ``faithfulness+guard``, ``hallucination+guard``,
        ``USR+guard``, ``personal: truth+guard``, ``rejected``.
    """
    if not isinstance(generators, dict) or not generators:
        raise ValueError("generators must be a non-empty dict {name: generator}")
    _check_world(world)
    if not isinstance(template, TemplateReasons) or not hasattr(template, "fit_time_"):
        raise ValueError("template must be a fitted TemplateReasons: call "
                         "TemplateReasons().fit(train, items=...) first")
    if generate_kw is not None and not isinstance(generate_kw, dict):
        raise ValueError(f"generate_kw must be a dict, got {type(generate_kw).__name__}")
    if train is not None and not isinstance(train, pd.DataFrame):
        raise ValueError(f"train must be the training reviews (a DataFrame), got "
                         f"{type(train).__name__}")
    m = check_int("m", m)
    reader = reader_for(reader, template.aspects_)
    entries = {name: _entry(name, v, generate_kw or {}) for name, v in generators.items()}
    for name, (gen, *_rest) in entries.items():
        if not hasattr(gen, "fit_time_"):
            raise ValueError(f"generators[{name!r}] is not fitted: fit it on the training "
                             f"reviews first")
    pairs = recommended_pairs(recommender, users, k, seed=seed)
    if recommender.n_items_ > template.n_items_ or recommender.n_users_ > template.n_users_:
        raise ValueError(f"the recommender knows {recommender.n_users_} users and "
                         f"{recommender.n_items_} items, the template only "
                         f"{template.n_users_} and {template.n_items_}: fit both on one catalogue")
    users_, items_ = pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy()
    grounding = [template.predicted_aspect(int(u), int(i)) for u, i in zip(users_, items_)]
    truth = _truth(world, None, pairs)
    plain = _plain(truth)
    aspects = template.aspects_
    claims = _claim_options(world, aspects, claim_truth)

    def personal(texts):
        if train is None:
            return dict.fromkeys(("personal claims", "personal: train", "personal: truth"),
                                 float("nan"))
        return personal_claim_scores(texts, users_, train, **claims)

    rows, texts = {}, {}
    for name, (gen, grounded, kw, _fit_time) in entries.items():
        raw = gen.generate(users_, items_, aspects=grounding if grounded else None, **kw)
        guarded, report = guard_reasons(raw, users_, items_, template)
        row = _reference_free(users_, items_, raw, aspects, plain, m, reader)
        claim = personal(raw)
        for c in ("personal claims", "personal: train", "personal: truth"):
            row[c] = claim[c]
        row["faithfulness+guard"], row["hallucination+guard"] = \
            _truth_scores(guarded, aspects, plain, m, reader=reader)
        row["USR+guard"] = mt.usr(guarded)
        row["personal: truth+guard"] = personal(guarded)["personal: truth"]
        row["rejected"] = len(report) / len(raw)
        rows[name] = row
        texts[name] = {"raw": raw, "guarded": guarded}
    table = pd.DataFrame(rows).T[list(RECOMMENDED_METRICS)].astype(float)
    details = {"pairs": pairs, "truth": truth, "grounding": grounding, "texts": texts}
    return (table, details) if return_details else table
