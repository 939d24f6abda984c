"""Personal claims: does what a reason says about the *user* hold?

A reason such as "Most reviews of its battery are good, and your reviews
show that battery is what you care about most, especially for your commute"
makes claims about the item (graded by faithfulness and hallucination in
:mod:`reclib.metrics.text`) and claims about the person reading it. This
module reads the second kind out of any text and grades them twice: against
the user's *training data* (what the recommender could know) and, when a
simulator gives it, against the *truth* (ShopSim's hidden aspect weights).

Claim kinds read by :func:`personal_claims` (lowercase, whole words; "the"
before an aspect is allowed):

* ``top``: "X is what you care about most", "what you care about most is X".
  Holds in the training data when X is the aspect the user wrote about most
  often (strictly, and at least ``min_count`` times); in the truth when X has
  the user's largest weight.
* ``matters``: "X matters to you", "you care about X", "... X ... which fits
  what you look for". Training data: at least ``min_share`` of the user's
  reviews (and ``min_count``) are about X; truth: X's weight is above the
  user's smallest weight.
* ``context``: "for your <context>" (and "for <context>" for a context
  without "my", in a text that says "you"). Training data: one of the user's
  reviews mentions it; truth: it is the user's context.

"Above the user's smallest weight" is what "cares about" means in ShopSim,
where every aspect has a small base weight and each user weighs 2-3 aspects
far more (chapter 2 uses the same rule). :func:`mixes_persons` flags a text
that addresses the reader and also speaks in the first person ("your reviews
show ... especially for my commute"). The reader is a short list of
patterns: a claim worded otherwise is not read, and a reason that makes no
claim about the user is not graded (see ``personal claims``, the share that
makes one).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from reclib.checks import (aspects_of, check_fraction, check_ids, check_int, check_table,
                           check_texts)

__all__ = ["CLAIM_KINDS", "check_personal_claims", "mixes_persons", "personal_claim_scores",
           "personal_claims"]

#: The claim kinds, in the order :func:`personal_claims` reports them.
CLAIM_KINDS = ("top", "matters", "context")

_TOP = (r"\b(?:the )?({A}) is what you care about most\b",
        r"\bwhat you care about most is (?:the )?({A})\b")
_MATTERS = (r"\b(?:the )?({A}) matters to you\b",
            r"\byou care about (?:the )?({A})\b(?! most)",
            r"\b({A})\b[^.]*\bwhich fits what you look for\b")
_YOU = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)
_FIRST = re.compile(r"\b(?:i|me|my|mine|myself|i'm|i've)\b", re.IGNORECASE)
_POSSESSIVE = re.compile(r"^(?:my|your)\s+", re.IGNORECASE)


def _alternation(words):
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _context_core(context):
    """"my commute" -> "commute": the context without its possessive."""
    return _POSSESSIVE.sub("", str(context).strip().lower())


def mixes_persons(text):
    """Whether ``text`` addresses the reader ("you", "your") and also speaks
    in the first person ("I", "me", "my"), as in "your reviews show that the
    battery matters to you, especially for my commute"."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
    return bool(_YOU.search(text) and _FIRST.search(text))


def personal_claims(text, aspects, contexts=()):
    """The claims ``text`` makes about the person it addresses.

    Parameters
    ----------
    text : str
    aspects : collection of str
        The aspect vocabulary (e.g. a generator's ``aspects_``).
    contexts : collection of str
        The use contexts users can have (e.g. ``users["context"].unique()``),
        as written in the users table ("my commute", "travel").

    Returns
    -------
    list of (str, str)
        ``(kind, value)`` pairs, kind in :data:`CLAIM_KINDS`: ``("top",
        aspect)``, ``("matters", aspect)``, ``("context", context)`` (the
        context as given in ``contexts``), distinct, in the order of
        :data:`CLAIM_KINDS` and then of first mention.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
    aspects = aspects_of(None, aspects)
    if isinstance(contexts, str):
        raise ValueError("contexts must be a collection of use contexts, not a single string")
    lower = text.lower()
    alt = _alternation(aspects)
    found = []
    for kind, patterns in (("top", _TOP), ("matters", _MATTERS)):
        hits = []
        for p in patterns:
            hits += [(m.start(1), m.group(1)) for m in re.finditer(p.format(A=alt), lower)]
        for _, a in sorted(hits):
            if (kind, a) not in found:
                found.append((kind, a))
    addressed = bool(_YOU.search(text))
    hits = []
    for c in dict.fromkeys(str(c) for c in contexts):
        core = _context_core(c)
        if not core:
            continue
        forms = [rf"\bfor your {re.escape(core)}\b"]
        if addressed and not _POSSESSIVE.match(c.strip()):
            forms.append(rf"\bfor {re.escape(core)}\b")
        starts = [m.start() for f in forms for m in re.finditer(f, lower)]
        if starts:
            hits.append((min(starts), c))
    found += [("context", c) for _, c in sorted(hits)]
    return found


def _weights(user_weights, aspects, n_users):
    """Users x aspects weights in the order of ``aspects``."""
    if isinstance(user_weights, pd.DataFrame):
        missing = [a for a in aspects if a not in user_weights.columns]
        if missing:
            raise ValueError(f"user_weights is missing column(s) {missing} (one per aspect)")
        w = user_weights[list(aspects)].to_numpy(float)
    else:
        w = np.asarray(user_weights, dtype=float)
        if w.ndim != 2 or w.shape[1] != len(aspects):
            raise ValueError(f"user_weights must be users x aspects ({len(aspects)} columns, in "
                             f"the order of aspects), got shape {w.shape}")
    if len(w) < n_users:
        raise ValueError(f"user_weights has {len(w)} rows but user ids go up to {n_users - 1}")
    if not np.isfinite(w).all():
        raise ValueError("user_weights must be finite numbers (found NaN or inf)")
    return w


def check_personal_claims(texts, users, train, *, aspects=None, contexts=None,
                          user_weights=None, user_contexts=None, min_share=0.2, min_count=2):
    """Grade every personal claim of every reason.

    Parameters
    ----------
    texts : list of str
        One reason per pair.
    users : sequence of int
        The user each reason addresses (same length as ``texts``).
    train : pandas.DataFrame
        The training reviews: ``user_id``, ``aspect`` and, for context claims,
        ``text``.
    aspects : collection of str, optional
        The aspect vocabulary (default: that of ``train``).
    contexts : collection of str, optional
        The use contexts to look for (default: those of ``user_contexts``;
        without either, context claims are not read).
    user_weights : pandas.DataFrame or array, optional
        The truth: users x aspects weights (a DataFrame with one column per
        aspect, or an array whose columns follow ``aspects``). Without it the
        ``truth`` column of ``top`` and ``matters`` claims is NaN.
    user_contexts : sequence of str, optional
        Each user's use context (the users table's ``context`` column), the
        truth of context claims (NaN without it).
    min_share, min_count : float, int
        What the training data must show for "X matters to you": at least
        ``min_count`` of the user's reviews, and at least ``min_share`` of
        them, are about X (``min_share=0, min_count=1``: X was written about
        once). ``min_count`` also applies to "most".

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``position`` (of the reason), ``user_id``,
        ``kind``, ``value``, ``train`` and ``truth`` (1.0 holds, 0.0 does
        not, NaN cannot be checked).
    """
    texts = check_texts(texts, allow_empty=True)
    users = np.asarray(check_ids("user", users), dtype=int) if len(texts) else np.zeros(0, int)
    if len(users) != len(texts):
        raise ValueError(f"mismatched lengths: {len(texts)} texts, {len(users)} users")
    if (users < 0).any():
        raise ValueError(f"unknown user id {users[users < 0][0]}: user ids are 0, 1, 2, ...")
    check_table(train, ("user_id", "aspect"), "training reviews")
    min_share = check_fraction("min_share", min_share)
    min_count = check_int("min_count", min_count)
    aspects = aspects_of(train, aspects, "training reviews")
    n_users = int(max(users.max(initial=-1), train["user_id"].max()) + 1)
    if user_contexts is not None:
        if isinstance(user_contexts, str):
            raise ValueError("user_contexts must hold one context per user, not a single string")
        user_contexts = [str(c) for c in user_contexts]
        if len(user_contexts) <= users.max(initial=-1):
            raise ValueError(f"user_contexts has {len(user_contexts)} entries but user ids go "
                             f"up to {users.max()}")
    if contexts is None:
        contexts = sorted(set(user_contexts)) if user_contexts is not None else ()
    weights = None if user_weights is None else _weights(user_weights, aspects, n_users)

    index = {a: k for k, a in enumerate(aspects)}
    counts = np.zeros((n_users, len(aspects)))
    np.add.at(counts, (train["user_id"].to_numpy(int), train["aspect"].map(index).to_numpy()), 1)
    own_text = None
    if "text" in train:
        own_text = train.groupby("user_id")["text"].agg(lambda t: " \n ".join(t).lower())

    rows = []
    for k, (text, u) in enumerate(zip(texts, users)):
        for kind, value in personal_claims(text, aspects, contexts):
            if kind == "context":
                mine = "" if own_text is None else own_text.get(u, "")
                train_ok = (float(re.search(rf"\b{re.escape(_context_core(value))}\b", mine)
                                  is not None) if own_text is not None else np.nan)
                truth_ok = (float(_context_core(user_contexts[u]) == _context_core(value))
                            if user_contexts is not None else np.nan)
            else:
                j = index[value]
                c = counts[u]
                others = np.delete(c, j)
                enough = c[j] >= min_count
                if kind == "top":
                    train_ok = float(enough and (others.size == 0 or c[j] > others.max()))
                else:
                    train_ok = float(enough and c[j] >= min_share * c.sum())
                truth_ok = np.nan
                if weights is not None:
                    w = weights[u]
                    truth_ok = float(w[j] >= w.max() - 1e-12 if kind == "top"
                                     else w[j] > w.min() + 1e-9)
            rows.append((k, int(u), kind, value, train_ok, truth_ok))
    return pd.DataFrame(rows, columns=["position", "user_id", "kind", "value", "train", "truth"])


def personal_claim_scores(texts, users, train, **options):
    """The personal-claim grade of a list of reasons, in one dict.

    Takes the arguments of :func:`check_personal_claims`. Returns
    ``personal claims`` (share of reasons that make at least one claim about
    the user), ``personal: train`` and ``personal: truth`` (among those, the
    share whose every claim holds in the user's training data, and in the
    truth; NaN when no reason makes a claim or the truth is not given),
    ``mixed person`` (share of reasons that address the user and speak in
    the first person, :func:`mixes_persons`) and, per claim kind, the number
    of claims (``n top``, ``n matters``, ``n context``).
    """
    texts = check_texts(texts, allow_empty=True)
    claims = check_personal_claims(texts, users, train, **options)
    n = len(texts)
    per_reason = claims.groupby("position")[["train", "truth"]].agg(
        lambda x: float(x.min()) if x.notna().all() else np.nan)
    out = {"personal claims": len(per_reason) / n if n else np.nan,
           "personal: train": float(per_reason["train"].mean()) if len(per_reason) else np.nan,
           "personal: truth": float(per_reason["truth"].mean()) if len(per_reason) else np.nan,
           "mixed person": float(np.mean([mixes_persons(t) for t in texts])) if n else np.nan}
    for kind in CLAIM_KINDS:
        out[f"n {kind}"] = int((claims["kind"] == kind).sum())
    return out
