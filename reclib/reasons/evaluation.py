"""An evaluation harness for reason generators on held-out (user, item) pairs.

Three functions do the work of chapter 8's head-to-head table:

* :func:`evaluate_reasons` scores one list of reasons: the literature's
  metrics (BLEU-1/4, ROUGE-1/2/L, USR, FMR, FCR, DIV, as in PETER; Li, Zhang
  and Chen, ACL 2021) against the held-out reviews, and ShopSim's ground-truth
  metrics (faithfulness, hallucination, personalization);
* :func:`head_to_head` runs several fitted generators on the same pairs,
  scores their reasons before and after the guard
  (:func:`reclib.reasons.guard.guard_reasons`) and returns one table with
  their sizes and training times;
* :func:`compare_rows` turns two rows of that table into a per-column
  verdict ("which one is better, or is the difference within the noise?").

Grounded generators are given, for each pair, the aspect predicted from the
*training* evidence (:meth:`TemplateReasons.predicted_aspect`), never the
held-out review's feature word, which is the answer FMR checks.
"""
from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
import pandas as pd

from reclib.data.shopsim import ASPECTS
from reclib.metrics import text as mt
from reclib.reasons.guard import guard_reasons
from reclib.reasons.templates import TemplateReasons

#: The keys of :func:`evaluate_reasons`, in order.
METRICS = ("BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-2", "ROUGE-L", "USR", "FMR", "FCR",
           "DIV", "faithfulness", "hallucination", "personalization", "names aspect")

#: +1 if larger is better, -1 if smaller is better (for :func:`compare_rows`).
DIRECTION = {"BLEU-1": 1, "BLEU-4": 1, "ROUGE-1": 1, "ROUGE-2": 1, "ROUGE-L": 1, "USR": 1,
             "FMR": 1, "FCR": 1, "DIV": -1, "faithfulness": 1, "hallucination": -1,
             "personalization": 1, "names aspect": 1, "faithfulness+guard": 1,
             "FMR+guard": 1, "USR+guard": 1, "hallucination+guard": -1, "rejected": -1,
             "parameters": -1, "train s": -1}


# ===================================================================== checks
def _check_pairs(world, test_pairs):
    """User and item id arrays of ``test_pairs`` (a DataFrame), checked."""
    if not isinstance(test_pairs, pd.DataFrame):
        raise ValueError(f"test_pairs must be a pandas DataFrame with columns user_id and "
                         f"item_id, got {type(test_pairs).__name__}")
    missing = [c for c in ("user_id", "item_id") if c not in test_pairs.columns]
    if missing:
        raise ValueError(f"test_pairs is missing column(s) {missing}")
    if len(test_pairs) == 0:
        raise ValueError("empty input: test_pairs has no (user, item) pairs")
    users = test_pairs["user_id"].to_numpy()
    items = test_pairs["item_id"].to_numpy()
    for name, ids, n in (("user", users, len(world.users)), ("item", items, len(world.items))):
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"test_pairs {name}_id must hold integer ids, got dtype {ids.dtype}")
        bad = ids[(ids < 0) | (ids >= n)]
        if bad.size:
            raise ValueError(f"unknown {name} id {bad[0]}: the world has ids 0..{n - 1}")
    return users, items


def _column_or(test_pairs, values, column, what):
    if values is None:
        if column not in test_pairs.columns:
            raise ValueError(f"no {what} given and test_pairs has no {column!r} column")
        values = test_pairs[column]
    if isinstance(values, str):
        raise ValueError(f"{what} must be a list (one per pair), not a single string")
    values = list(values)
    if len(values) != len(test_pairs):
        raise ValueError(f"mismatched lengths: {len(test_pairs)} pairs but {len(values)} {what}")
    return values


def ground_truth(world, test_pairs):
    """ShopSim's hidden truth for each pair, computed once and reusable.

    Returns a dict with ``true_reasons`` (a list of ``World.true_reasons``
    DataFrames) and ``item_aspects`` (a list of aspect sets), in pair order.
    """
    users, items = _check_pairs(world, test_pairs)
    return {"true_reasons": [world.true_reasons(u, i) for u, i in zip(users, items)],
            "item_aspects": [world.item_aspect_set(i) for i in items]}


# ===================================================================== one list of reasons
def evaluate_reasons(world, test_pairs, texts, references=None, feature_words=None,
                     all_features=ASPECTS, m=2, truth=None, level="word"):
    """Score one generated reason per held-out (user, item) pair.

    Parameters
    ----------
    world : reclib.data.shopsim.World
        Gives the hidden truth (true reasons, item aspects).
    test_pairs : pandas.DataFrame
        Columns ``user_id`` and ``item_id`` (one row per pair), and usually
        ``text`` and ``aspect``: the held-out review and its feature word.
    texts : list of str
        The generated reasons, in the order of ``test_pairs``.
    references : list of str, optional
        Reference texts for BLEU/ROUGE (default: ``test_pairs["text"]``).
    feature_words : list of str, optional
        True feature word per pair for FMR (default: ``test_pairs["aspect"]``).
    all_features : collection of str
        The feature vocabulary for FCR and DIV and for reading aspects.
    m : int
        Faithfulness counts a mention as true when it is among the user's
        true top-``m`` aspects with the true sentiment.
    truth : dict, optional
        :func:`ground_truth` of the same pairs, to avoid recomputing it.
    level : {"word", "char"}

    Returns
    -------
    dict
        Keys :data:`METRICS`: ``BLEU-1``, ``BLEU-4``, ``ROUGE-1``, ``ROUGE-2``,
        ``ROUGE-L`` (percent), ``USR``, ``FMR``, ``FCR``, ``DIV`` (as in
        PETER), ``faithfulness``, ``hallucination`` (wrong aspect or wrong
        sentiment), ``personalization`` (NaN when no item occurs twice among
        the pairs) and ``names aspect`` (share of reasons that name at least
        one aspect; hallucination and DIV are only meaningful next to it).
    """
    users, items = _check_pairs(world, test_pairs)
    if isinstance(texts, str):
        raise ValueError("texts must be a list of strings (one per pair), not a single string")
    texts = list(texts)
    if len(texts) != len(test_pairs):
        raise ValueError(f"mismatched lengths: {len(test_pairs)} pairs but {len(texts)} texts")
    if len(texts) < 2:
        raise ValueError("need at least 2 pairs (DIV and USR compare reasons with each other)")
    for k, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"texts[{k}] must be a string, got {type(t).__name__} ({t!r})")
    references = _column_or(test_pairs, references, "text", "references")
    feature_words = _column_or(test_pairs, feature_words, "aspect", "feature words")
    if truth is None:
        truth = ground_truth(world, test_pairs)
    elif len(truth.get("true_reasons", ())) != len(texts) or \
            len(truth.get("item_aspects", ())) != len(texts):
        raise ValueError("truth does not match test_pairs: compute it with "
                         "ground_truth(world, test_pairs)")
    if isinstance(m, bool) or not isinstance(m, Integral) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m!r}")

    out = {"BLEU-1": mt.bleu(references, texts, 1, level),
           "BLEU-4": mt.bleu(references, texts, 4, level)}
    r = mt.rouge(references, texts, level)
    out.update({"ROUGE-1": r["rouge1"], "ROUGE-2": r["rouge2"], "ROUGE-L": r["rougeL"]})
    out["USR"] = mt.usr(texts, level)
    out["FMR"] = mt.fmr(texts, feature_words, level)
    out["FCR"] = mt.fcr(texts, all_features, level)
    out["DIV"] = mt.div(texts, all_features, level)
    mentioned = [mt.extract_aspects(t, list(all_features), level=level) for t in texts]
    out["faithfulness"] = mt.faithfulness(mentioned, truth["true_reasons"], m=m)
    out["hallucination"] = mt.hallucination_rate(mentioned, truth["item_aspects"],
                                                 truth["true_reasons"])
    try:
        out["personalization"] = mt.personalization(users, items, texts, level)
    except ValueError as e:  # no item shown twice: undefined, not zero
        if "at least 2 users" not in str(e):
            raise
        out["personalization"] = float("nan")
    out["names aspect"] = float(np.mean([bool(x) for x in mentioned]))
    return out


# ===================================================================== several generators
def count_parameters(generator):
    """Learned numbers of a fitted generator: ``param_count()`` when it has
    one; for :class:`TemplateReasons`, the estimated user preferences and item
    sentiments (its evidence tables)."""
    if isinstance(generator, TemplateReasons):
        if not hasattr(generator, "evidence_"):
            raise ValueError("TemplateReasons is not fitted: call fit(train, items) first")
        ev = generator.evidence_
        return int(ev.user_pref.size + ev.item_sentiment.size)
    if not hasattr(generator, "param_count"):
        raise ValueError(f"{type(generator).__name__} has no param_count(): cannot count "
                         "its parameters")
    return int(generator.param_count())


def _is_fitted(generator):
    if isinstance(generator, TemplateReasons):
        return hasattr(generator, "evidence_")
    try:
        generator.param_count()
    except ValueError:
        return False
    return True


def _entry(name, value, defaults):
    """(generator, grounded, generate kwargs, fit_time override) of one entry."""
    if isinstance(value, dict):
        if "model" not in value:
            raise ValueError(f"generators[{name!r}] is a dict but has no 'model' key")
        opts = dict(value)
        gen = opts.pop("model")
    else:
        gen, opts = value, {}
    grounded = opts.pop("grounded", getattr(gen, "grounded", False))
    fit_time = opts.pop("fit_time", None)
    if not hasattr(gen, "generate"):
        raise ValueError(f"generators[{name!r}] has no generate method: "
                         f"{type(gen).__name__}")
    kw = {**defaults, **opts}
    return gen, bool(grounded), kw, fit_time


def head_to_head(generators, world, train, test_sample, template=None, grounding=None,
                 generate_kw=None, m=2, return_texts=False):
    """Run several generators on the same held-out pairs and score them.

    Parameters
    ----------
    generators : dict
        ``{name: generator}`` or ``{name: {"model": generator, **options}}``.
        A generator is a :class:`TemplateReasons` (called pair by pair) or any
        object with ``generate(users, items, aspects=None, **kw)``; one that
        is not fitted yet is fitted here on ``(train, world.items,
        world.users)`` and timed. Options: ``grounded`` (pass the grounding
        aspects; default: the generator's own ``grounded`` attribute, so set
        it to True to ground a :class:`RetrievalReasons`), ``fit_time``
        (seconds to report instead of the generator's ``fit_time_``, e.g.
        pre-training plus fine-tuning for a GAN), and decoding keywords
        (``method``, ``temperature``, ``seed``...) that override
        ``generate_kw``.
    world : reclib.data.shopsim.World
    train : pandas.DataFrame
        The training reviews (used to fit ``template`` when it is None, and
        unfitted generators).
    test_sample : pandas.DataFrame
        Held-out pairs with ``user_id, item_id, text, aspect``.
    template : TemplateReasons, optional
        Fitted on ``train``: gives the grounding aspects and the guard's
        evidence and fallback reasons. Fitted here when None.
    grounding : list, optional
        Per pair, the aspect (or (aspect, sentiment)) for grounded
        generators. Default: ``template.predicted_aspect(user, item)``, from
        training evidence only.
    generate_kw : dict, optional
        Decoding keywords passed to every generator (not to the template).
    m : int
        Top-``m`` for faithfulness.
    return_texts : bool
        Also return ``{name: {"raw": texts, "guarded": texts}}``.

    Returns
    -------
    pandas.DataFrame (and the texts, if ``return_texts``)
        One row per generator. Columns: every key of :func:`evaluate_reasons`;
        ``faithfulness+guard``, ``FMR+guard``, ``USR+guard``,
        ``hallucination+guard`` (the same after the guard replaced rejected
        reasons with template ones); ``rejected`` (share replaced);
        ``parameters``; ``train s`` (training seconds; NaN when unknown).
    """
    if not isinstance(generators, dict) or not generators:
        raise ValueError("generators must be a non-empty dict {name: generator}")
    users, items = _check_pairs(world, test_sample)
    if len(test_sample) < 2:
        raise ValueError("need at least 2 held-out pairs")
    missing = [c for c in ("text", "aspect") if c not in test_sample.columns]
    if missing:
        raise ValueError(f"test_sample is missing column(s) {missing} (the held-out review "
                         "and its feature word)")
    if generate_kw is not None and not isinstance(generate_kw, dict):
        raise ValueError(f"generate_kw must be a dict, got {type(generate_kw).__name__}")
    entries = {name: _entry(name, v, generate_kw or {}) for name, v in generators.items()}
    if template is None:
        template = TemplateReasons().fit(train, world.items, world.users)
    elif not hasattr(template, "evidence_"):
        raise ValueError("template is not fitted: call TemplateReasons().fit(train, items)")
    if grounding is None:
        grounding = [template.predicted_aspect(int(u), int(i)) for u, i in zip(users, items)]
    elif isinstance(grounding, str) or len(list(grounding)) != len(test_sample):
        raise ValueError(f"mismatched lengths: grounding must hold one aspect per pair "
                         f"({len(test_sample)})")
    grounding = list(grounding)
    truth = ground_truth(world, test_sample)

    rows, texts = {}, {}
    for name, (gen, grounded, kw, fit_time) in entries.items():
        fitted_here = None
        if not _is_fitted(gen):
            t0 = time.perf_counter()
            gen.fit(train, world.items, world.users)
            fitted_here = time.perf_counter() - t0
        if isinstance(gen, TemplateReasons):
            raw = [gen.generate(int(u), int(i)).text for u, i in zip(users, items)]
        else:
            raw = gen.generate(users, items, aspects=grounding if grounded else None, **kw)
        guarded, report = guard_reasons(raw, users, items, template)
        row = evaluate_reasons(world, test_sample, raw, m=m, truth=truth)
        mentioned = [mt.extract_aspects(t, ASPECTS) for t in guarded]
        row["faithfulness+guard"] = mt.faithfulness(mentioned, truth["true_reasons"], m=m)
        row["FMR+guard"] = mt.fmr(guarded, list(test_sample["aspect"]))
        row["USR+guard"] = mt.usr(guarded)
        row["hallucination+guard"] = mt.hallucination_rate(mentioned, truth["item_aspects"],
                                                           truth["true_reasons"])
        row["rejected"] = len(report) / len(raw)
        row["parameters"] = count_parameters(gen)
        if fit_time is None:
            fit_time = fitted_here if fitted_here is not None else getattr(gen, "fit_time_", None)
        row["train s"] = float("nan") if fit_time is None else float(fit_time)
        rows[name] = row
        texts[name] = {"raw": raw, "guarded": guarded}
    table = pd.DataFrame(rows).T
    table["parameters"] = table["parameters"].astype("int64")
    table = table.astype({c: float for c in table.columns if c != "parameters"})
    return (table, texts) if return_texts else table


# ===================================================================== verdicts
def compare_rows(table, challenger, baseline, noise=None, columns=None):
    """Per-column verdict: is ``challenger`` better than ``baseline``?

    Parameters
    ----------
    table : pandas.DataFrame
        Rows are generators (e.g. from :func:`head_to_head`).
    challenger, baseline : str
        Row names.
    noise : dict or pandas.Series, optional
        Per column, the smallest difference that counts: ``|difference| <=
        noise[col]`` is a ``"tie"``. Columns without a value use 0.
    columns : list of str, optional
        Columns to compare (default: those of ``table`` listed in
        :data:`DIRECTION`).

    Returns
    -------
    pandas.DataFrame
        Index: columns; ``challenger``, ``baseline``, ``difference``
        (challenger minus baseline), ``noise``, ``verdict``: ``"<challenger>
        better"``, ``"<baseline> better"`` or ``"tie"``, using
        :data:`DIRECTION` (for DIV, hallucination, size and time smaller is
        better).
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a DataFrame, got {type(table).__name__}")
    for r in (challenger, baseline):
        if r not in table.index:
            raise ValueError(f"no row {r!r} in the table; rows: {list(table.index)}")
    if columns is None:
        columns = [c for c in table.columns if c in DIRECTION]
    if not columns:
        raise ValueError("no columns to compare")
    noise = {} if noise is None else dict(noise)
    rows = []
    for c in columns:
        if c not in DIRECTION:
            raise ValueError(f"unknown direction for column {c!r}; known: {sorted(DIRECTION)}")
        if c not in table.columns:
            raise ValueError(f"no column {c!r} in the table")
        a, b = float(table.at[challenger, c]), float(table.at[baseline, c])
        tol = float(noise.get(c, 0.0))
        if not isinstance(tol, Real) or tol < 0 or np.isnan(tol):
            raise ValueError(f"noise[{c!r}] must be a number >= 0, got {noise.get(c)!r}")
        d = a - b
        if np.isnan(d):
            verdict = "undefined"
        elif abs(d) <= tol:
            verdict = "tie"
        else:
            verdict = f"{challenger} better" if d * DIRECTION[c] > 0 else f"{baseline} better"
        rows.append((c, a, b, d, tol, verdict))
    return pd.DataFrame(rows, columns=["column", challenger, baseline, "difference", "noise",
                                       "verdict"]).set_index("column")
