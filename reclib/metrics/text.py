"""Metrics for generated recommendation reasons.

Two groups:

1. **Metrics of the explainable-recommendation literature** (NRT, Att2Seq,
   PETER): BLEU-1/4 and ROUGE-1/2/L against the user's real review;
   USR (unique sentence ratio); FMR, FCR and DIV, which look for *feature
   words* (aspects such as "battery") in the generated texts. They are
   defined as in Li et al., "Personalized Transformer for Explainable
   Recommendation" (PETER, ACL 2021) and its code (``utils.py``). BLEU and
   ROUGE are returned **in percent (0-100)** as in those papers; USR, FMR,
   FCR and DIV are fractions/counts as in the papers' tables.
2. **Ground-truth metrics** that only a simulator can provide (ShopSim knows
   why a user liked an item): :func:`faithfulness` and
   :func:`hallucination_rate`; and :func:`personalization`, which needs no
   truth. :func:`extract_aspects` (from :mod:`reclib.data.aspects`,
   re-exported here) is the small rule-based reader that turns a reason into
   ``[(aspect, sentiment), ...]``.

All texts are tokenized by :func:`reclib.data.text.tokenize` (``level="word"``:
lowercase words and punctuation marks; ``level="char"``: characters, for
Chinese), so every metric here sees the same tokens as the vocabulary.

Sentiments are written ``"positive"``/``"negative"`` (``+1``/``-1`` are
accepted too); :func:`extract_aspects` may return ``None`` when it finds no
sentiment cue.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from numbers import Integral

import numpy as np

from reclib.checks import check_int, check_optional_int, check_same_length, check_texts
from reclib.data.aspects import (NEGATIVE_CUES, NEGATORS, POSITIVE_CUES,  # noqa: F401
                                 _contains, extract_aspects)
from reclib.data.text import check_level, tokenize

_SIGNS = {"positive": 1, "negative": -1, 1: 1, -1: -1}

# ===================================================================== helpers


def _feature_phrases(features, level, name):
    if isinstance(features, str):
        raise ValueError(f"{name} must be a collection of feature words, not a single string")
    out = {}
    for f in features:
        if not isinstance(f, str):
            raise ValueError(f"{name} must hold strings, got {f!r}")
        toks = tuple(tokenize(f, level))
        if not toks:
            raise ValueError(f"{name} contains an empty feature word {f!r}")
        out[f] = toks
    if not out:
        raise ValueError(f"empty input: {name} has no feature words")
    return out


def _features_found(token_lists, phrases):
    return [{f for f, p in phrases.items() if _contains(toks, p)} for toks in token_lists]


# ===================================================================== BLEU / ROUGE


def bleu(references, hypotheses, n=4, level="word"):
    """Corpus BLEU-n in percent (0-100), computed by sacrebleu.

    Parameters
    ----------
    references : list of str
        One reference (the real review) per hypothesis.
    hypotheses : list of str
        Generated texts.
    n : int
        Maximum n-gram order: 1 for BLEU-1, 4 for BLEU-4 (1 <= n <= 4).
    level : {"word", "char"}
        Tokenization (:func:`reclib.data.text.tokenize`); the tokens are
        passed to sacrebleu with ``tokenize="none"``.

    Returns
    -------
    float
        ``100 * BP * exp(mean_{m<=n} log p_m)`` from n-gram counts pooled over
        the corpus (not a mean of sentence scores), without smoothing, as in
        the NRT/PETER evaluation code.

    Notes
    -----
    BLEU rewards copying the reference's words: a generic "great product"
    reason can score well while saying nothing specific, and a true reason
    phrased differently scores low. With one reference per reason, BLEU-4 of
    short texts is small (a few percent) even for good models.
    """
    import sacrebleu

    references = check_texts(references, "references")
    hypotheses = check_texts(hypotheses, "hypotheses")
    check_same_length(references=references, hypotheses=hypotheses)
    n = check_int("n", n, 1, 4)
    check_level(level)
    refs = [" ".join(tokenize(t, level)) for t in references]
    hyps = [" ".join(tokenize(t, level)) for t in hypotheses]
    metric = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none",
                                    max_ngram_order=int(n), force=True)
    return float(metric.corpus_score(hyps, [refs]).score)


class _RougeTokenizer:
    """Adapter so that rouge-score uses reclib's tokenizer."""

    def __init__(self, level):
        self.level = level

    def tokenize(self, text):
        """Tokens of ``text`` at this level."""
        return tokenize(text, self.level)


def rouge(references, hypotheses, level="word"):
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 in percent, averaged over pairs (rouge-score).

    Parameters
    ----------
    references, hypotheses : list of str
        Paired texts, same length.
    level : {"word", "char"}
        Tokenization; reclib's tokenizer replaces rouge-score's default one
        (which drops every non-ASCII character, so it would score Chinese as
        empty). Unlike that default, punctuation marks count as tokens and no
        stemming is done.

    Returns
    -------
    dict
        ``{"rouge1": ..., "rouge2": ..., "rougeL": ...}``, each the mean F1
        over pairs, times 100.

    Notes
    -----
    ROUGE measures word overlap with the reference, so it shares BLEU's
    blind spots (generic texts score well, paraphrases badly).
    """
    from rouge_score import rouge_scorer

    references = check_texts(references, "references")
    hypotheses = check_texts(hypotheses, "hypotheses")
    check_same_length(references=references, hypotheses=hypotheses)
    check_level(level)
    types = ["rouge1", "rouge2", "rougeL"]
    scorer = rouge_scorer.RougeScorer(types, tokenizer=_RougeTokenizer(level))
    sums = dict.fromkeys(types, 0.0)
    for r, h in zip(references, hypotheses):
        s = scorer.score(r, h)
        for t in types:
            sums[t] += s[t].fmeasure
    return {t: 100.0 * v / len(references) for t, v in sums.items()}


# ===================================================================== USR / FMR / FCR / DIV


def usr(texts, level="word"):
    """Unique sentence ratio: distinct generated texts / all generated texts.

    Parameters
    ----------
    texts : list of str
    level : {"word", "char"}
        Texts are compared as token sequences, so case and spacing do not
        make two texts different.

    Returns
    -------
    float
        In (0, 1]. A model that gives everyone the same reason scores
        ``1 / len(texts)``.

    Notes
    -----
    Counts *different* texts, not *different content*: swapping one word
    makes a new sentence. Repeating a text for the same item to different
    users lowers USR even when that is correct; see :func:`personalization`.
    """
    texts = check_texts(texts, "texts")
    return len({tuple(tokenize(t, level)) for t in texts}) / len(texts)


def fmr(texts, feature_words, level="word"):
    """Feature matching ratio: share of texts that contain their true feature word.

    Parameters
    ----------
    texts : list of str
        Generated reasons.
    feature_words : list of str
        The feature word (aspect) of the real review of each pair.
    level : {"word", "char"}
        A feature matches as a whole token (or a contiguous run of tokens, for
        multi-word features and for characters): "battery" does not match
        "batteries".

    Returns
    -------
    float
        In [0, 1].

    Notes
    -----
    Rewards *naming* the feature, whatever is said about it: "the battery
    is weak" matches "battery" even if the user loved the battery. The
    ground-truth :func:`faithfulness` checks the sentiment as well.
    """
    texts = check_texts(texts, "texts")
    if isinstance(feature_words, str):
        raise ValueError("feature_words must be a list, one feature word per text")
    feature_words = list(feature_words)
    check_same_length(texts=texts, feature_words=feature_words)
    hits = 0
    for t, f in zip(texts, feature_words):
        if not isinstance(f, str) or not tokenize(f, level):
            raise ValueError(f"feature word must be a non-empty string, got {f!r}")
        hits += _contains(tokenize(t, level), tuple(tokenize(f, level)))
    return hits / len(texts)


def fcr(texts, all_features, level="word"):
    """Feature coverage ratio: distinct features named in the texts / all features.

    Parameters
    ----------
    texts : list of str
        Generated reasons.
    all_features : collection of str
        The feature vocabulary (PETER uses every feature word of the data
        set); duplicates are ignored.
    level : {"word", "char"}

    Returns
    -------
    float
        In [0, 1].

    Notes
    -----
    Depends on the denominator: a larger feature vocabulary lowers FCR for
    the same texts. Naming many features says nothing about naming the
    right one for each pair.
    """
    texts = check_texts(texts, "texts")
    phrases = _feature_phrases(set(all_features) if not isinstance(all_features, str)
                               else all_features, level, "all_features")
    found = set().union(*_features_found([tokenize(t, level) for t in texts], phrases))
    return len(found) / len(phrases)


def div(texts, all_features, level="word"):
    """Feature diversity (DIV, PETER): mean pairwise overlap of feature sets; lower is better.

    For each text ``i`` let ``F_i`` be the set of feature words it contains.
    ``DIV = sum_{i<j} |F_i ∩ F_j| / (N (N-1) / 2)``, the definition of
    ``feature_diversity`` in PETER's ``utils.py`` (an average *count*, not
    a Jaccard ratio, so it can exceed 1). It is computed in O(N) via
    ``sum_f C(c_f, 2)``, with ``c_f`` the number of texts containing ``f``.

    Parameters
    ----------
    texts : list of str
        Generated reasons (at least 2).
    all_features : collection of str
        The feature vocabulary.
    level : {"word", "char"}

    Returns
    -------
    float
        >= 0; 0 when no two texts share a feature.

    Notes
    -----
    Texts that name no feature at all get a perfect 0, so a model that
    never mentions features looks maximally diverse: read DIV together with
    FMR and FCR.
    """
    texts = check_texts(texts, "texts")
    if len(texts) < 2:
        raise ValueError("div needs at least 2 texts (it averages over pairs)")
    phrases = _feature_phrases(set(all_features) if not isinstance(all_features, str)
                               else all_features, level, "all_features")
    sets = _features_found([tokenize(t, level) for t in texts], phrases)
    counts = Counter(f for s in sets for f in s)
    n = len(texts)
    return sum(c * (c - 1) / 2 for c in counts.values()) / (n * (n - 1) / 2)


# ===================================================================== ground truth


def _sign(value, where, allow_none=False):
    if value is None and allow_none:
        return None
    key = value
    if isinstance(value, (bool, np.bool_)):
        key = None
    elif isinstance(value, (Integral, np.integer, float, np.floating)) and value in (1, -1):
        key = int(value)
    try:
        known = key in _SIGNS
    except TypeError:  # unhashable
        known = False
    if not known:
        raise ValueError(f"{where}: sentiment must be 'positive'/'negative' (or +1/-1), "
                         f"got {value!r}")
    return _SIGNS[key]


def _pairs_list(obj, where, allow_none=False):
    """Normalize a list of (aspect, sign) pairs, a dict or a DataFrame to [(aspect, +-1)]."""
    if hasattr(obj, "columns") and hasattr(obj, "itertuples"):  # a DataFrame
        missing = {"aspect", "sentiment"} - set(obj.columns)
        if missing:
            raise ValueError(f"{where}: DataFrame lacks column(s) {sorted(missing)}")
        obj = list(zip(obj["aspect"], obj["sentiment"]))
    elif isinstance(obj, dict):
        obj = list(obj.items())
    elif isinstance(obj, str):
        raise ValueError(f"{where}: expected a list of (aspect, sentiment) pairs, got a string")
    out = []
    for p in obj:
        if isinstance(p, str) or not hasattr(p, "__len__") or len(p) != 2:
            raise ValueError(f"{where}: expected (aspect, sentiment) pairs, got {p!r}")
        out.append((p[0], _sign(p[1], where, allow_none)))
    return out


def _check_parallel(**lists):
    lens = {k: len(v) for k, v in lists.items()}
    if len(set(lens.values())) != 1:
        raise ValueError(f"mismatched lengths: {lens}")
    if not next(iter(lens.values())):
        raise ValueError("empty input: no reasons to score")


def faithfulness(mentioned, true_top, m=None):
    """Share of reasons whose every mentioned aspect is a true top-m reason, with its true sign.

    Parameters
    ----------
    mentioned : list of list of (aspect, sentiment)
        Per reason, what it says, e.g. from :func:`extract_aspects`.
    true_top : list
        Per reason, the true contributing aspects ranked by contribution, as
        ``[(aspect, sentiment), ...]``, a dict, or a DataFrame with columns
        ``aspect`` and ``sentiment`` (what ShopSim's ``World.true_reasons``
        returns).
    m : int or None
        Use the first ``m`` true aspects of each list; None uses them all,
        which is right only when ``true_top`` already holds just the top
        contributors. Pass ``m`` (e.g. 2) with ``World.true_reasons``, which
        lists *every* aspect of the item: with ``m=None`` any aspect with the
        right sign would count as faithful.

    Returns
    -------
    float
        In [0, 1]. A reason that names no aspect counts as *not* faithful,
        and so does a mention with unknown (None) sentiment.

    Notes
    -----
    Strict by design: one wrong aspect makes the whole reason unfaithful.
    A reason naming only the single top aspect is rewarded exactly as much
    as one naming all top-m. It inherits the errors of the aspect reader
    that produced ``mentioned``.
    """
    return float(faithful_each(mentioned, true_top, m).mean())


def faithful_each(mentioned, true_top, m=None):
    """1.0 for each faithful reason and 0.0 for the others, in order (the
    per-reason scores :func:`faithfulness` averages: a bootstrap over reasons
    resamples these). Arguments as for :func:`faithfulness`."""
    m = check_optional_int("m", m)
    mentioned, true_top = list(mentioned), list(true_top)
    _check_parallel(mentioned=mentioned, true_top=true_top)
    scores = np.zeros(len(mentioned))
    for i, (ment, top) in enumerate(zip(mentioned, true_top)):
        ment = _pairs_list(ment, f"mentioned[{i}]", allow_none=True)
        top = _pairs_list(top, f"true_top[{i}]")
        truth = dict(top[:m] if m is not None else top)
        scores[i] = bool(ment) and all(truth.get(a) == s and s is not None for a, s in ment)
    return scores


def hallucination_rate(mentioned, item_aspects, true_signs=None):
    """Share of reasons that name an aspect the item lacks, or give it the wrong sentiment.

    Parameters
    ----------
    mentioned : list of list of (aspect, sentiment)
        Per reason, what it says.
    item_aspects : list of collection of str
        Per reason, the aspects the item actually has.
    true_signs : list or None
        Per reason, the true sentiment of each of the item's aspects for this
        user (pairs, dict or a DataFrame like ``World.true_reasons``). None
        checks only that the aspects exist. An item aspect without a true
        sign raises ValueError.

    Returns
    -------
    float
        In [0, 1]. Reasons that name no aspect never hallucinate, and a
        mention with unknown (None) sentiment cannot have a wrong sign.

    Notes
    -----
    A low rate is cheap to get by saying nothing specific ("a great
    product"); read it next to :func:`faithfulness` and FMR.
    """
    mentioned, item_aspects = list(mentioned), list(item_aspects)
    lists = dict(mentioned=mentioned, item_aspects=item_aspects)
    if true_signs is not None:
        true_signs = list(true_signs)
        lists["true_signs"] = true_signs
    _check_parallel(**lists)
    bad = 0
    for i, (ment, has) in enumerate(zip(mentioned, item_aspects)):
        if isinstance(has, str):
            raise ValueError(f"item_aspects[{i}] must be a collection of aspects, got a string")
        has = set(has)
        ment = _pairs_list(ment, f"mentioned[{i}]", allow_none=True)
        signs = None
        if true_signs is not None:
            signs = dict(_pairs_list(true_signs[i], f"true_signs[{i}]"))
        wrong = False
        for a, s in ment:
            if a not in has:
                wrong = True
            elif signs is not None and s is not None:
                if a not in signs:
                    raise ValueError(f"true_signs[{i}] has no sentiment for aspect {a!r}")
                wrong |= signs[a] != s
        bad += wrong
    return bad / len(mentioned)


def personalization(user_ids, item_ids, texts, level="word"):
    """Mean over items of (distinct reasons for the item / users it was shown to).

    Parameters
    ----------
    user_ids, item_ids : sequence
        Who saw which item; each (user, item) pair at most once.
    texts : list of str
        The reason shown for each pair (compared as token sequences).
    level : {"word", "char"}

    Returns
    -------
    float
        In (0, 1], over items shown to at least 2 users: 1 when every user
        got a different reason, ``1/n`` when all ``n`` got the same one.

    Notes
    -----
    Different is not better: random texts are perfectly "personalized".
    Pair it with :func:`faithfulness`, which checks the reason is true for
    *this* user.
    """
    texts = check_texts(texts, "texts")
    user_ids, item_ids = list(user_ids), list(item_ids)
    _check_parallel(user_ids=user_ids, item_ids=item_ids, texts=texts)
    seen = set()
    per_item = defaultdict(list)
    for u, i, t in zip(user_ids, item_ids, texts):
        if (u, i) in seen:
            raise ValueError(f"duplicate (user, item) pair ({u!r}, {i!r})")
        seen.add((u, i))
        per_item[i].append(tuple(tokenize(t, level)))
    vals = [len(set(ts)) / len(ts) for ts in per_item.values() if len(ts) >= 2]
    if not vals:
        raise ValueError("no item was shown to at least 2 users: personalization is undefined")
    return float(np.mean(vals))


# ===================================================================== report


def text_report(references, hypotheses, feature_words, all_features, level="word"):
    """The literature's reason metrics in one dict.

    Parameters
    ----------
    references, hypotheses : list of str
        Real reviews and generated reasons, paired.
    feature_words : list of str
        True feature word of each pair (for FMR).
    all_features : collection of str
        Feature vocabulary (for FCR and DIV).
    level : {"word", "char"}

    Returns
    -------
    dict
        ``bleu1``, ``bleu4``, ``rouge1``, ``rouge2``, ``rougeL`` (percent),
        ``usr``, ``fmr``, ``fcr``, ``div``. Needs at least 2 hypotheses (DIV).
    """
    out = {"bleu1": bleu(references, hypotheses, 1, level),
           "bleu4": bleu(references, hypotheses, 4, level)}
    out.update(rouge(references, hypotheses, level))
    out.update(usr=usr(hypotheses, level), fmr=fmr(hypotheses, feature_words, level),
               fcr=fcr(hypotheses, all_features, level))
    out["div"] = div(hypotheses, all_features, level)
    return out
