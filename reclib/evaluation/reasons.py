"""An evaluation harness for reason generators on held-out (user, item) pairs.

Three functions do the work of chapter 9's head-to-head table:

* :func:`evaluate_reasons` scores one list of reasons: the literature's
  metrics (BLEU-1/4, ROUGE-1/2/L, USR, FMR, FCR, DIV, as in PETER; Li, Zhang
  and Chen, ACL 2021) against the held-out reviews, which work on any review
  data, and, when a simulator's truth is given (``world=`` or ``truth=``),
  faithfulness and hallucination;
* :func:`head_to_head` runs several fitted generators (anything that follows
  :class:`reclib.protocol.ReasonGenerator`, templates included) on the same
  pairs, scores their reasons before and after the guard
  (:func:`reclib.reasons.guard.guard_reasons`) and returns one table with
  their sizes and training times;
* :func:`compare_rows` turns two rows of that table into a per-column
  verdict ("which one is better, or is the difference within the noise?");
* :func:`regrade` grades the texts :func:`head_to_head` returned again, with
  another reader, without generating them again.

The truth columns depend on a *reader* that turns a reason into the
``(aspect, sentiment)`` pairs it states: by default the rule-based
:func:`~reclib.data.aspects.extract_aspects`, which the guard uses too; pass
``reader=`` (e.g. a fitted :class:`reclib.metrics.reader.TrainedReader`) to
grade with one the guard does not use. The guard always reads with the rules.

Grounded generators are given, for each pair, the aspect predicted from the
*training* evidence (:meth:`TemplateReasons.predicted_aspect`), never the
held-out review's feature word, which is the answer FMR checks.

A *world* is a simulator that knows why a user liked an item: an object
with ``true_reasons(user, item)`` (a DataFrame of ``aspect`` and
``sentiment``, ranked by contribution) and ``item_aspect_set(item)``, such as
the book's ShopSim ``World``. Real data have none: then the truth-based
columns are NaN and everything else is computed as usual.
"""
from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd

from reclib.checks import (aspects_of, check_int, check_pairs, check_table, check_texts)
from reclib.metrics import text as mt
from reclib.metrics.reader import RuleReader
from reclib.protocol import ReasonGenerator
from reclib.reasons.guard import guard_reasons
from reclib.reasons.templates import TemplateReasons

#: The keys of :func:`evaluate_reasons`, in order.
METRICS = ("BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-2", "ROUGE-L", "USR", "FMR", "FCR",
           "DIV", "faithfulness", "hallucination", "personalization", "names aspect")
#: The columns that need a simulator's truth (NaN without one).
TRUTH_METRICS = ("faithfulness", "hallucination", "faithfulness+guard", "hallucination+guard")

#: +1 if larger is better, -1 if smaller is better (for :func:`compare_rows`).
DIRECTION = {"BLEU-1": 1, "BLEU-4": 1, "ROUGE-1": 1, "ROUGE-2": 1, "ROUGE-L": 1, "USR": 1,
             "FMR": 1, "FCR": 1, "DIV": -1, "faithfulness": 1, "hallucination": -1,
             "personalization": 1, "names aspect": 1, "faithfulness+guard": 1,
             "FMR+guard": 1, "USR+guard": 1, "hallucination+guard": -1, "rejected": -1,
             "parameters": -1, "train s": -1}


# ===================================================================== checks
def _check_world(world, methods=("true_reasons", "item_aspect_set"), attributes=(),
                 aspects=None):
    """The one check that ``world`` is a simulator with a known truth (a
    ShopSim World): it has the callable ``methods`` and the ``attributes``,
    and, with ``aspects``, ``world.item_aspects`` has one column per aspect.
    Used here and by :mod:`reclib.evaluation.decision`."""
    missing = [m for m in methods if not callable(getattr(world, m, None))]
    missing += [a for a in attributes if not hasattr(world, a)]
    if missing:
        raise TypeError(f"world must be a simulator with a known truth (e.g. ShopSim's World) "
                        f"with {', '.join(map(repr, (*methods, *attributes)))}; got "
                        f"{type(world).__name__} without {', '.join(map(repr, missing))}")
    if aspects is not None and np.shape(world.item_aspects)[1] != len(aspects):
        raise ValueError(f"world has {np.shape(world.item_aspects)[1]} aspects, the evaluation "
                         f"expects {len(aspects)}")


def _pairs(test_pairs, world=None):
    """User and item id arrays of ``test_pairs`` (a DataFrame), checked
    (against the world's ids when a world is given)."""
    check_table(test_pairs, ("user_id", "item_id"), "test_pairs")
    n_users = n_items = None
    if world is not None:
        n_users = len(world.users) if hasattr(world, "users") else None
        n_items = len(world.items) if hasattr(world, "items") else None
    return check_pairs(test_pairs["user_id"].to_numpy(), test_pairs["item_id"].to_numpy(),
                       n_users, n_items)


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
    """A simulator's hidden truth for each pair, computed once and reusable.

    Returns a dict with ``true_reasons`` (a list of ``world.true_reasons``
    DataFrames) and ``item_aspects`` (a list of aspect sets), in pair order.
    """
    _check_world(world)
    users, items = _pairs(test_pairs, world)
    return {"true_reasons": [world.true_reasons(u, i) for u, i in zip(users, items)],
            "item_aspects": [world.item_aspect_set(i) for i in items]}


def _truth(world, truth, test_pairs):
    if truth is None:
        return None if world is None else ground_truth(world, test_pairs)
    if not isinstance(truth, dict) or len(truth.get("true_reasons", ())) != len(test_pairs) \
            or len(truth.get("item_aspects", ())) != len(test_pairs):
        raise ValueError("truth does not match test_pairs: compute it with "
                         "ground_truth(world, test_pairs)")
    return truth


def reader_for(reader, aspects, level="word"):
    """The reader to grade with: ``reader`` (anything with ``read(texts)``),
    checked, or for None the rule reader of ``aspects``
    (:class:`reclib.metrics.reader.RuleReader`, its tables built once)."""
    if reader is None:
        return RuleReader(list(aspects), level=level)
    if not callable(getattr(reader, "read", None)):
        raise TypeError(f"reader must have a read(texts) method returning one list of "
                        f"(aspect, sentiment) pairs per text (e.g. reclib.metrics.reader."
                        f"TrainedReader), got {type(reader).__name__}")
    return reader


def read_all(reader, texts):
    """``reader.read(texts)``, checked: one reading per text."""
    mentioned = reader.read(list(texts))
    if isinstance(mentioned, str) or len(mentioned) != len(texts):
        raise ValueError(f"reader.read returned {len(mentioned)} readings for {len(texts)} texts")
    return mentioned


def _truth_scores(texts, aspects, truth, m, level="word", reader=None, mentioned=None):
    """(faithfulness, hallucination) of texts, or NaNs without truth."""
    if truth is None:
        return float("nan"), float("nan")
    if mentioned is None:
        mentioned = read_all(reader_for(reader, aspects, level), texts)
    return (mt.faithfulness(mentioned, truth["true_reasons"], m=m),
            mt.hallucination_rate(mentioned, truth["item_aspects"], truth["true_reasons"]))


# ===================================================================== one list of reasons
def evaluate_reasons(test_pairs, texts, *, aspects, world=None, truth=None,
                     references=None, feature_words=None, m=2, level="word", reader=None):
    """Score one generated reason per held-out (user, item) pair.

    Parameters
    ----------
    test_pairs : pandas.DataFrame
        Columns ``user_id`` and ``item_id`` (one row per pair), and usually
        ``text`` and ``aspect``: the held-out review and its feature word.
    texts : list of str
        The generated reasons, in the order of ``test_pairs``.
    aspects : collection of str
        The feature vocabulary for FCR and DIV and for reading the aspects a
        reason names: the training data's, e.g. a fitted generator's
        ``aspects_`` (the held-out sample may lack some, which would change
        FCR and hide mentions).
    world : simulator, optional
        Gives the hidden truth (see the module docstring); without it (and
        without ``truth``) faithfulness and hallucination are NaN.
    truth : dict, optional
        :func:`ground_truth` of the same pairs, to avoid recomputing it.
    references : list of str, optional
        Reference texts for BLEU/ROUGE (default: ``test_pairs["text"]``).
    feature_words : list of str, optional
        True feature word per pair for FMR (default: ``test_pairs["aspect"]``).
    m : int
        Faithfulness counts a mention as true when it is among the user's
        true top-``m`` aspects with the true sentiment.
    level : {"word", "char"}
    reader : object with ``read(texts)``, optional
        Reads the ``(aspect, sentiment)`` pairs each reason states, for
        faithfulness, hallucination and ``names aspect`` (default: the rule
        reader :func:`~reclib.data.aspects.extract_aspects` with ``aspects``),
        e.g. a fitted :class:`reclib.metrics.reader.TrainedReader`.

    Returns
    -------
    dict
        Keys :data:`METRICS`: ``BLEU-1``, ``BLEU-4``, ``ROUGE-1``, ``ROUGE-2``,
        ``ROUGE-L`` (percent), ``USR``, ``FMR``, ``FCR``, ``DIV`` (as in
        PETER), ``faithfulness``, ``hallucination`` (wrong aspect or wrong
        sentiment; both NaN without truth), ``personalization`` (NaN when no
        item occurs twice among the pairs) and ``names aspect`` (share of
        reasons that name at least one aspect; hallucination and DIV are
        only meaningful next to it).
    """
    users, items = _pairs(test_pairs, world)
    texts = check_texts(texts)
    if len(texts) != len(test_pairs):
        raise ValueError(f"mismatched lengths: {len(test_pairs)} pairs but {len(texts)} texts")
    if len(texts) < 2:
        raise ValueError("need at least 2 pairs (DIV and USR compare reasons with each other)")
    references = _column_or(test_pairs, references, "text", "references")
    feature_words = _column_or(test_pairs, feature_words, "aspect", "feature words")
    aspects = aspects_of(None, aspects)
    m = check_int("m", m)
    if world is not None:
        _check_world(world)
    truth = _truth(world, truth, test_pairs)
    mentioned = read_all(reader_for(reader, aspects, level), texts)

    out = {"BLEU-1": mt.bleu(references, texts, 1, level),
           "BLEU-4": mt.bleu(references, texts, 4, level)}
    r = mt.rouge(references, texts, level)
    out.update({"ROUGE-1": r["rouge1"], "ROUGE-2": r["rouge2"], "ROUGE-L": r["rougeL"]})
    out["USR"] = mt.usr(texts, level)
    out["FMR"] = mt.fmr(texts, feature_words, level)
    out["FCR"] = mt.fcr(texts, aspects, level)
    out["DIV"] = mt.div(texts, aspects, level)
    out["faithfulness"], out["hallucination"] = _truth_scores(texts, aspects, truth, m, level,
                                                              mentioned=mentioned)
    out["personalization"] = personalization_or_nan(users, items, texts, level)
    out["names aspect"] = float(np.mean([bool(x) for x in mentioned]))
    return {k: out[k] for k in METRICS}


def personalization_or_nan(users, items, texts, level="word"):
    """:func:`reclib.metrics.text.personalization`, or NaN when no item is shown
    to two users (undefined, not zero)."""
    try:
        return mt.personalization(users, items, texts, level)
    except ValueError as e:
        if "at least 2 users" not in str(e):
            raise
        return float("nan")


# ===================================================================== several generators
def _entry(name, value, defaults):
    """(generator, grounded, generate kwargs, fit_time override) of one entry."""
    if isinstance(value, dict):
        if "model" not in value:
            raise ValueError(f"generators[{name!r}] is a dict but has no 'model' key")
        opts = dict(value)
        gen = opts.pop("model")
    else:
        gen, opts = value, {}
    if not isinstance(gen, ReasonGenerator):
        raise ValueError(f"generators[{name!r}] must be a reason generator "
                         f"(a reclib.protocol.ReasonGenerator), got {type(gen).__name__}")
    grounded = opts.pop("grounded", gen.grounded)
    fit_time = opts.pop("fit_time", None)
    return gen, bool(grounded), {**defaults, **opts}, fit_time


def head_to_head(generators, test_sample, *, template=None, train=None, items=None, users=None,
                 world=None, grounding=None, generate_kw=None, m=2, return_texts=False,
                 reader=None):
    """Run several generators on the same held-out pairs and score them.

    Parameters
    ----------
    generators : dict
        ``{name: generator}`` or ``{name: {"model": generator, **options}}``,
        each a :class:`reclib.protocol.ReasonGenerator`; one that is not
        fitted yet is fitted here on ``train`` (with ``items`` and ``users``).
        Options: ``grounded`` (pass the grounding aspects; default: the
        generator's own ``grounded`` attribute, so set it to True to ground
        a :class:`RetrievalReasons`), ``fit_time`` (seconds to report instead
        of the generator's ``fit_time_``, e.g. pre-training plus fine-tuning
        for a GAN), and decoding keywords (``method``, ``temperature``,
        ``seed``...) that override ``generate_kw``.
    test_sample : pandas.DataFrame
        Held-out pairs with ``user_id, item_id, text, aspect``.
    template : TemplateReasons, optional
        Fitted on the training reviews: gives the aspect vocabulary, the
        grounding aspects and the guard's evidence and fallback reasons.
        Fitted here on ``train`` when None.
    train : pandas.DataFrame, optional
        The training reviews (needed when ``template`` or a generator is
        not fitted yet).
    items, users : optional
        Item and user tables (or sizes) for the fits done here (default:
        the world's, when a world is given).
    world : simulator, optional
        The hidden truth for the truth-based columns (NaN without it).
    grounding : list, optional
        Per pair, the aspect (or (aspect, sentiment)) for grounded
        generators. Default: ``template.predicted_aspect(user, item)``, from
        training evidence only.
    generate_kw : dict, optional
        Decoding keywords passed to every generator.
    m : int
        Top-``m`` for faithfulness.
    return_texts : bool
        Also return ``{name: {"raw": texts, "guarded": texts}}``.
    reader : object with ``read(texts)``, optional
        The reader that grades the reasons (see :func:`evaluate_reasons`;
        default: the rule reader). The guard always reads with the rule
        reader, so a different reader here grades the "+guard" columns
        with something the guard did not use.

    Returns
    -------
    pandas.DataFrame (and the texts, if ``return_texts``)
        One row per generator. Columns: every key of :func:`evaluate_reasons`;
        ``faithfulness+guard``, ``FMR+guard``, ``USR+guard``,
        ``hallucination+guard`` (the same after the guard replaced rejected
        reasons with template ones); ``rejected`` (share replaced);
        ``parameters`` (``count_params()``); ``train s`` (training seconds).
    """
    if not isinstance(generators, dict) or not generators:
        raise ValueError("generators must be a non-empty dict {name: generator}")
    if world is not None:
        _check_world(world)
    users_, items_ = _pairs(test_sample, world)
    if len(test_sample) < 2:
        raise ValueError("need at least 2 held-out pairs")
    check_table(test_sample, ("text", "aspect"), "test_sample (the held-out reviews)")
    if generate_kw is not None and not isinstance(generate_kw, dict):
        raise ValueError(f"generate_kw must be a dict, got {type(generate_kw).__name__}")
    entries = {name: _entry(name, v, generate_kw or {}) for name, v in generators.items()}
    if world is not None:
        items = world.items if items is None else items
        users = world.users if users is None else users
    if template is None:
        if train is None:
            raise ValueError("give template= (a fitted TemplateReasons) or train= to fit one")
        template = TemplateReasons().fit(train, items=items, users=users)
    elif not isinstance(template, TemplateReasons) or not hasattr(template, "fit_time_"):
        raise ValueError("template must be a fitted TemplateReasons: call "
                         "TemplateReasons().fit(train, items=...) first")
    if grounding is None:
        grounding = [template.predicted_aspect(int(u), int(i)) for u, i in zip(users_, items_)]
    elif isinstance(grounding, str) or len(list(grounding)) != len(test_sample):
        raise ValueError(f"mismatched lengths: grounding must hold one aspect per pair "
                         f"({len(test_sample)})")
    grounding = list(grounding)
    truth = None if world is None else ground_truth(world, test_sample)
    aspects = template.aspects_
    reader = reader_for(reader, aspects)
    feature_words = list(test_sample["aspect"])

    rows, texts = {}, {}
    for name, (gen, grounded, kw, fit_time) in entries.items():
        if not hasattr(gen, "fit_time_"):
            if train is None:
                raise ValueError(f"generators[{name!r}] is not fitted and no train= is given")
            gen.fit(train, items=items, users=users)
        raw = gen.generate(users_, items_, aspects=grounding if grounded else None, **kw)
        guarded, report = guard_reasons(raw, users_, items_, template)
        row = evaluate_reasons(test_sample, raw, aspects=aspects, truth=truth, m=m,
                               reader=reader)
        row["faithfulness+guard"], row["hallucination+guard"] = \
            _truth_scores(guarded, aspects, truth, m, reader=reader)
        row["FMR+guard"] = mt.fmr(guarded, feature_words)
        row["USR+guard"] = mt.usr(guarded)
        row["rejected"] = len(report) / len(raw)
        row["parameters"] = gen.count_params()
        row["train s"] = float(gen.fit_time_ if fit_time is None else fit_time)
        rows[name] = row
        texts[name] = {"raw": raw, "guarded": guarded}
    order = list(METRICS) + ["faithfulness+guard", "FMR+guard", "USR+guard",
                             "hallucination+guard", "rejected", "parameters", "train s"]
    table = pd.DataFrame(rows).T[order]
    table = table.astype({c: float for c in order if c != "parameters"})
    table["parameters"] = table["parameters"].astype("int64")
    return (table, texts) if return_texts else table


def regrade(texts, truth, *, aspects, reader=None, m=2):
    """The truth columns of a head-to-head table, graded again by ``reader``.

    Parameters
    ----------
    texts : dict
        ``{name: {"raw": texts, "guarded": texts}}``, what
        :func:`head_to_head` returns with ``return_texts=True``.
    truth : dict
        :func:`ground_truth` of the same pairs.
    aspects : collection of str
        The aspect vocabulary (for the default rule reader).
    reader : object with ``read(texts)``, optional
        Default: the rule reader of ``aspects``.
    m : int
        Top-``m`` for faithfulness.

    Returns
    -------
    pandas.DataFrame
        One row per generator, columns :data:`TRUTH_METRICS`.
    """
    if not isinstance(texts, dict) or not texts:
        raise ValueError("texts must be a non-empty dict {name: {'raw': [...], 'guarded': "
                         "[...]}}, as head_to_head(..., return_texts=True) returns")
    if not isinstance(truth, dict) or "true_reasons" not in truth:
        raise ValueError("truth must be ground_truth(world, pairs) of the same pairs")
    aspects = aspects_of(None, aspects)
    m = check_int("m", m)
    reader = reader_for(reader, aspects)
    rows = {}
    for name, pair in texts.items():
        if not isinstance(pair, dict) or set(pair) < {"raw", "guarded"}:
            raise ValueError(f"texts[{name!r}] must be a dict with 'raw' and 'guarded' lists")
        row = {}
        for kind, suffix in (("raw", ""), ("guarded", "+guard")):
            got = check_texts(pair[kind], name=f"texts[{name!r}][{kind!r}]")
            if len(got) != len(truth["true_reasons"]):
                raise ValueError(f"mismatched lengths: texts[{name!r}][{kind!r}] has "
                                 f"{len(got)} texts, truth {len(truth['true_reasons'])} pairs")
            row["faithfulness" + suffix], row["hallucination" + suffix] = \
                _truth_scores(got, aspects, truth, m, reader=reader)
        rows[name] = row
    return pd.DataFrame(rows).T[list(TRUTH_METRICS)].astype(float)


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
        better"``, ``"<baseline> better"``, ``"tie"`` or ``"undefined"``
        (a NaN), using :data:`DIRECTION` (for DIV, hallucination, size and
        time smaller is better).
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
        tol = noise.get(c, 0.0)
        if isinstance(tol, bool) or not isinstance(tol, Real) or tol < 0 or np.isnan(tol):
            raise ValueError(f"noise[{c!r}] must be a number >= 0, got {tol!r}")
        d = a - b
        if np.isnan(d):
            verdict = "undefined"
        elif abs(d) <= float(tol):
            verdict = "tie"
        else:
            verdict = f"{challenger} better" if d * DIRECTION[c] > 0 else f"{baseline} better"
        rows.append((c, a, b, d, float(tol), verdict))
    return pd.DataFrame(rows, columns=["column", challenger, baseline, "difference", "noise",
                                       "verdict"]).set_index("column")
