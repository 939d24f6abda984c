"""A guard that checks generated reasons against training evidence.

A neural generator can write fluent sentences that are false: it names an
aspect the item does not have ("the battery lasts all day" for a jacket) or
gives an aspect the wrong sentiment (praising a screen its reviews pan). The
guard reads each reason with :func:`reclib.data.aspects.extract_aspects`
(over the template's aspect vocabulary, ``aspects_``) and compares what it
claims with what is known *without* any hidden truth: the item's aspects
(the item table's ``aspects`` column, or those of its training reviews) and
the sign of each aspect in the item's training reviews. A rejected reason is
replaced by the template reason, which is built from the same evidence.
"""
from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd

from reclib.checks import check_fitted, check_ids, check_number, check_pairs, check_texts
from reclib.data.aspects import extract_aspects

_SIGN = {"positive": 1, "negative": -1, 1: 1, -1: -1}


def _sign(value, aspect):
    """+1 / -1 from 'positive'/'negative', +-1 or a signed score (0 -> None)."""
    if isinstance(value, str) or isinstance(value, (int, np.integer)) and value in (1, -1):
        if value not in _SIGN:
            raise ValueError(f"item_sentiment[{aspect!r}] must be 'positive', 'negative' or a "
                             f"number, got {value!r}")
        return _SIGN[value]
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating)) or np.isnan(value):
        raise ValueError(f"item_sentiment[{aspect!r}] must be 'positive', 'negative' or a "
                         f"number, got {value!r}")
    return None if value == 0 else (1 if value > 0 else -1)


def check_reason(text, item_aspects, item_sentiment, aspect_words, strict=False):
    """Check one reason against an item's aspects and its reviews' sentiment.

    Parameters
    ----------
    text : str
        The generated reason.
    item_aspects : collection of str
        The aspects the item has.
    item_sentiment : dict
        ``{aspect: sign}`` from the item's *training* reviews; a sign is
        ``"positive"``/``"negative"``, ``+1``/``-1`` or a signed score (0 means
        no evidence). Aspects missing from the dict have no evidence.
    aspect_words : collection of str or dict
        What :func:`extract_aspects` looks for: the whole aspect vocabulary
        (e.g. a fitted generator's ``aspects_``), so that an aspect the item
        lacks is caught.
    strict : bool
        Also reject a mention whose sentiment cannot be read, or whose
        sentiment has no evidence in the reviews.

    Returns
    -------
    (bool, list of str)
        Whether the reason passes, and the problems found (empty if it passes).
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
    if isinstance(item_aspects, str):
        raise ValueError("item_aspects must be a collection of aspects, not a single string")
    if not isinstance(item_sentiment, dict):
        raise ValueError(f"item_sentiment must be a dict aspect -> sign, got "
                         f"{type(item_sentiment).__name__}")
    has = set(item_aspects)
    signs = {a: _sign(v, a) for a, v in item_sentiment.items()}
    problems = []
    for aspect, sentiment in extract_aspects(text, aspect_words):
        if aspect not in has:
            problems.append(f"names {aspect!r}, which this item does not have")
            continue
        known = signs.get(aspect)
        if sentiment is None:
            if strict:
                problems.append(f"the sentiment about {aspect!r} cannot be read")
        elif known is None:
            if strict:
                problems.append(f"no review evidence about the {aspect!r} of this item")
        elif _SIGN[sentiment] != known:
            expected = "positive" if known > 0 else "negative"
            problems.append(f"calls the {aspect!r} {sentiment}, but its reviews are {expected}")
    return not problems, problems


def _check_template(template):
    if not hasattr(template, "evidence_"):
        raise ValueError("template must be a TemplateReasons fitted on the training reviews "
                         "(call TemplateReasons().fit(train, items=...) first)")
    check_fitted(template, "fit_time_")


def item_sentiment(template, item, threshold=0.0):
    """``{aspect: +1/-1}`` for one item from a fitted
    :class:`~reclib.reasons.templates.TemplateReasons` (the mean review
    sentiment, shrunk towards 0); aspects with ``|score| <= threshold`` (no
    or balanced evidence) are left out."""
    _check_template(template)
    threshold = check_number("threshold", threshold, 0, 1)
    ev = template.evidence_
    if np.ndim(item):
        raise ValueError(f"item must be one id, got {item!r}")
    (item,) = check_ids("item", [item], len(ev.item_aspects))
    out = {}
    for a in ev.item_aspects[int(item)]:
        v = ev.item_sentiment[int(item), ev.index(a)]
        if abs(v) > threshold:
            out[a] = 1 if v > 0 else -1
    return out


def guard_reasons(texts, users, items, template, threshold=0.0, strict=False):
    """Check each reason and replace the rejected ones by the template reason.

    Parameters
    ----------
    texts : list of str
        Generated reasons, one per (user, item) pair.
    users, items : sequence of int
        The pairs, same length as ``texts``.
    template : reclib.reasons.templates.TemplateReasons
        Fitted on the same training reviews; gives the aspect vocabulary,
        the evidence (item aspects and review sentiment) and the
        replacement reasons.
    threshold : float
        Review-sentiment scores with ``|score| <= threshold`` count as no
        evidence (see :func:`item_sentiment`).
    strict : bool
        Passed to :func:`check_reason`.

    Returns
    -------
    (list of str, pandas.DataFrame)
        The guarded texts, and a report with one row per rejected reason:
        ``position, user_id, item_id, rejected, problems, replacement``.
    """
    texts = check_texts(texts, allow_empty=True)
    _check_template(template)
    columns = ["position", "user_id", "item_id", "rejected", "problems", "replacement"]
    if not texts and len(users) == len(items) == 0:
        return [], pd.DataFrame([], columns=columns)
    users, items = check_pairs(users, items, template.n_users_, template.n_items_)
    if len(texts) != len(users):
        raise ValueError(f"mismatched lengths: {len(texts)} texts, {len(users)} pairs")
    ev = template.evidence_
    out, rows = [], []
    for k, (t, u, i) in enumerate(zip(texts, users, items)):
        ok, problems = check_reason(t, ev.item_aspects[int(i)],
                                    item_sentiment(template, i, threshold), template.aspects_,
                                    strict=strict)
        if ok:
            out.append(t)
            continue
        new = template.generate_one(int(u), int(i)).text
        out.append(new)
        rows.append((k, int(u), int(i), t, "; ".join(problems), new))
    return out, pd.DataFrame(rows, columns=columns)
