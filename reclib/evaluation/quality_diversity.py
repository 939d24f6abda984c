"""Quality-diversity curves: a text generator decoded at several temperatures.

A single decoding temperature puts a generator at one point of a trade-off:
a low temperature writes the typical sentence (high overlap with real
reviews, little variety), a high one varied sentences that drift from the
data. Comparing two generators at one temperature can therefore mistake a
shift *along* the trade-off for a better model. Caccia et al. ("Language
GANs Falling Short", ICLR 2020) compare text GANs with maximum-likelihood
models by sweeping the temperature and plotting each model's whole curve of
quality against diversity; a model is better only where its curve lies above
the other's.

:func:`quality_diversity` does that for fitted reason generators on the same
held-out pairs. The measures, chosen to follow Caccia et al. in spirit with
what the book's metrics support:

* **quality** -- ``BLEU-4`` against the held-out review of each pair (corpus
  BLEU, as Caccia et al. use BLEU against the test set), and, when the
  simulator's truth is given, ``faithfulness`` (:mod:`reclib.metrics.text`):
  what a reason claims about the user checked against ShopSim's hidden
  truth, which real review data cannot give;
* **diversity** -- ``self-BLEU-4`` (:func:`self_bleu`, Caccia et al.'s
  diversity measure, from Zhu et al.'s Texygen: each generated text scored
  against all the *other* generated texts; lower means more diverse) and the
  book's ``USR`` (share of distinct texts; it saturates at 1 once sampling is
  hot enough, so self-BLEU keeps separating models where USR cannot).
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from reclib.checks import aspects_of, check_int, check_seed, check_table, check_texts
from reclib.data.text import tokenize
from reclib.evaluation.reasons import _pairs, _truth, _truth_scores
from reclib.metrics import text as mt
from reclib.protocol import ReasonGenerator

__all__ = ["QD_COLUMNS", "quality_diversity", "self_bleu"]

#: The columns of :func:`quality_diversity`, in order.
QD_COLUMNS = ("model", "seed", "temperature", "BLEU-4", "faithfulness", "self-BLEU-4", "USR")


def self_bleu(texts, n=4, level="word"):
    """Corpus self-BLEU-n in percent: each text scored against all the others.

    For each text, the references are all the *other* texts of the list;
    n-gram matches are clipped by the largest count of that n-gram in any one
    other text, the brevity penalty uses the other text closest in length
    (the shorter on ties), and counts are pooled over the corpus, exactly as
    :func:`reclib.metrics.text.bleu` (sacrebleu, no smoothing) would score
    the list against ``len(texts) - 1`` references per text. Computed from
    the two largest counts of each n-gram, in time linear in the number of
    n-grams (not quadratic in the number of texts).

    Parameters
    ----------
    texts : list of str
        At least two texts.
    n : int
        Maximum n-gram order (1 <= n <= 4).
    level : {"word", "char"}

    Returns
    -------
    float
        0-100; higher means the texts repeat each other's n-grams (less
        diverse). A list of one text repeated scores 100.
    """
    from sacrebleu.metrics import BLEU

    texts = check_texts(texts, "texts")
    if len(texts) < 2:
        raise ValueError(f"self_bleu needs at least 2 texts (each is scored against the "
                         f"others), got {len(texts)}")
    n = check_int("n", n, 1, 4)
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char', got {level!r}")
    tokens = [tokenize(t, level) for t in texts]
    lengths = np.array([len(t) for t in tokens])
    correct, total = [], []
    for order in range(1, n + 1):
        counts = [Counter(tuple(t[k:k + order]) for k in range(len(t) - order + 1))
                  for t in tokens]
        best = {}  # n-gram -> [largest count, its text, second largest count]
        for j, c in enumerate(counts):
            for g, v in c.items():
                b = best.get(g)
                if b is None:
                    best[g] = [v, j, 0]
                elif v > b[0]:
                    best[g] = [v, j, b[0]]
                elif v > b[2]:
                    b[2] = v
        hit = 0
        for j, c in enumerate(counts):
            for g, v in c.items():
                top, where, second = best[g]
                hit += min(v, second if where == j else top)
        correct.append(hit)
        total.append(int(sum(max(int(L) - order + 1, 0) for L in lengths)))
    ref_len = 0
    for j, L in enumerate(lengths):  # the other text closest in length, the shorter on ties
        others = np.delete(lengths, j)
        diff = np.abs(others - L)
        ref_len += int(others[diff == diff.min()].min())
    score = BLEU.compute_bleu(correct, total, int(lengths.sum()), ref_len,
                              smooth_method="none", max_ngram_order=n)
    return float(score.score)


def _entries(generators):
    if not isinstance(generators, dict) or not generators:
        raise ValueError("generators must be a non-empty dict {name: generator} or "
                         "{(name, training seed): generator}")
    out = []
    for key, gen in generators.items():
        if isinstance(key, tuple):
            if len(key) != 2 or not isinstance(key[0], str):
                raise ValueError(f"generators key {key!r} must be a name or a (name, training "
                                 f"seed) pair")
            name, seed = key
        elif isinstance(key, str):
            name, seed = key, getattr(gen, "seed", None)
        else:
            raise ValueError(f"generators key {key!r} must be a name or a (name, training "
                             f"seed) pair")
        if not isinstance(gen, ReasonGenerator):
            raise TypeError(f"generators[{key!r}] must be a reason generator "
                            f"(a reclib.protocol.ReasonGenerator), got {type(gen).__name__}")
        if not hasattr(gen, "fit_time_"):
            raise ValueError(f"generators[{key!r}] is not fitted: call fit first")
        out.append((name, seed, gen))
    return out


def _temperatures(temperatures):
    if isinstance(temperatures, (str, bytes)) or not hasattr(temperatures, "__iter__"):
        raise TypeError(f"temperatures must be a list of numbers, got "
                        f"{type(temperatures).__name__}")
    temps = list(temperatures)
    if not temps:
        raise ValueError("temperatures must hold at least one temperature")
    for t in temps:
        if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)) \
                or not np.isfinite(t) or t <= 0:
            raise ValueError(f"temperatures must be positive finite numbers, got {t!r}")
    if len(set(map(float, temps))) != len(temps):
        raise ValueError(f"temperatures must be distinct, got {temps}")
    return [float(t) for t in temps]


def quality_diversity(generators, test_pairs, temperatures, *, aspects, world=None,
                      truth=None, grounding=None, references=None, seed=0, m=2):
    """Decode fitted generators at several temperatures and score quality and diversity.

    Every generator samples one reason per pair of ``test_pairs`` at each
    temperature (``method="sample"``, the same decoding ``seed`` for every
    model and temperature), and each list of reasons is scored.

    Parameters
    ----------
    generators : dict
        ``{name: generator}`` (the ``seed`` column is then the generator's
        ``seed`` attribute, its training seed) or ``{(name, training_seed):
        generator}``; each a fitted :class:`reclib.protocol.ReasonGenerator`
        that samples with ``temperature``.
    test_pairs : pandas.DataFrame
        Held-out pairs: ``user_id``, ``item_id`` and (unless ``references``
        is given) ``text``, the held-out review.
    temperatures : list of float
        Positive, distinct sampling temperatures.
    aspects : collection of str
        The training data's aspect vocabulary (for reading which aspects a
        reason names, as in :func:`reclib.evaluation.reasons.evaluate_reasons`).
    world, truth : optional
        A simulator with a known truth, or its
        :func:`~reclib.evaluation.reasons.ground_truth` on ``test_pairs``;
        without either, ``faithfulness`` is NaN.
    grounding : list, optional
        Per pair, the aspect (or (aspect, sentiment)) given to generators
        whose ``grounded`` attribute is True (required if there is one); use
        an aspect predicted from training evidence, never the held-out one.
    references : list of str, optional
        Reference texts for BLEU-4 (default: ``test_pairs["text"]``).
    seed : int
        Seed of the sampling (the same for every generator and temperature,
        so two models are compared on the same random stream).
    m : int
        Faithfulness counts a mention among the user's true top-``m`` aspects.

    Returns
    -------
    pandas.DataFrame
        One row per (model, seed, temperature), columns :data:`QD_COLUMNS`:
        ``model``, ``seed`` (training seed), ``temperature``, ``BLEU-4``
        (percent), ``faithfulness`` (quality), ``self-BLEU-4`` (percent,
        lower is more diverse) and ``USR`` (diversity).
    """
    entries = _entries(generators)
    temps = _temperatures(temperatures)
    users, items = _pairs(test_pairs, world)
    if len(test_pairs) < 2:
        raise ValueError("need at least 2 held-out pairs (diversity compares texts)")
    if references is None:
        check_table(test_pairs, ("text",), "test_pairs (the held-out reviews)")
        references = list(test_pairs["text"])
    else:
        references = check_texts(references, "references")
        if len(references) != len(test_pairs):
            raise ValueError(f"mismatched lengths: {len(test_pairs)} pairs but "
                             f"{len(references)} references")
    aspects = aspects_of(None, aspects)
    seed = check_seed(seed)
    m = check_int("m", m)
    truth = _truth(world, truth, test_pairs)
    if any(getattr(gen, "grounded", False) for _, _, gen in entries):
        if grounding is None:
            raise ValueError("a generator is grounded: give grounding= (one aspect per pair, "
                             "predicted from training evidence)")
        if isinstance(grounding, str) or len(list(grounding)) != len(test_pairs):
            raise ValueError(f"mismatched lengths: grounding must hold one aspect per pair "
                             f"({len(test_pairs)})")
        grounding = list(grounding)
    rows = []
    for name, train_seed, gen in entries:
        given = grounding if getattr(gen, "grounded", False) else None
        for t in temps:
            texts = gen.generate(users, items, aspects=given, method="sample", temperature=t,
                                 seed=seed)
            faithful, _ = _truth_scores(texts, aspects, truth, m)
            rows.append({"model": name, "seed": train_seed, "temperature": t,
                         "BLEU-4": mt.bleu(references, texts, 4),
                         "faithfulness": faithful,
                         "self-BLEU-4": self_bleu(texts, 4),
                         "USR": mt.usr(texts)})
    return pd.DataFrame(rows, columns=list(QD_COLUMNS))
