"""Does a generator copy other people's reviews? Text-only copying measures.

A reason generator trained on reviews can hand one shopper's words to
another. Three measures, each comparing a generated reason for user ``u``
with the training reviews written by users *other than* ``u`` (a reason that
repeats ``u``'s own words leaks nothing about anyone else):

* the **longest common run** (longest common substring in words): the
  length, in words, of the longest word sequence the reason shares with any
  other user's review;
* the **n-gram overlap**: the share of the reason's word n-grams (``n=4`` by
  default) that occur in some other user's review;
* the **verbatim-copy rate**: the share of reasons that appear whole, word
  for word, inside another user's review (the run covers the entire reason);
* the **unique run**: the longest word sequence the reason shares with
  exactly one other user, words nobody else wrote: common phrases are the
  language, a sequence only one person wrote is theirs.

Words are the ``\\w+`` tokens of :func:`reclib.data.text.tokenize`
(lowercased; punctuation dropped). Reviews that share a language share
short phrases: measure the held-out reviews themselves with
:func:`copying_table` to know the floor a generator that copies nothing
would still reach.

The search is exact up to 64-bit hashing of n-grams: every n-gram of the
training reviews is hashed (polynomial hash modulo 2**64), so two different
n-grams are confused with a probability of about ``N**2 / 2**65`` for ``N``
distinct n-grams (below 1e-6 for ten million).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reclib.checks import check_int, check_texts
from reclib.data.text import tokenize

_BASE = np.uint64(1_000_003)
_PAD = -1


def words(text):
    """The words of ``text`` (lowercase ``\\w+`` tokens, punctuation dropped)."""
    return [t for t in tokenize(text) if t[0].isalnum() or t[0] == "_"]


def _ids(name, ids, n):
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) != n:
        raise ValueError(f"{name} must be one id per text: {n} texts, got shape {ids.shape}")
    if len(ids) and not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{name} must be integer ids, got dtype {ids.dtype}")
    return ids.astype(np.int64)


def _matrix(token_lists, index):
    """Token lists -> int64 matrix (rows padded with -1) of word ids."""
    width = max((len(t) for t in token_lists), default=0)
    out = np.full((len(token_lists), max(width, 1)), _PAD, dtype=np.int64)
    for r, toks in enumerate(token_lists):
        out[r, :len(toks)] = [index.setdefault(w, len(index)) for w in toks]
    return out


class _Index:
    """The word n-grams of a corpus, n = 1, 2, ..., each with the smallest and
    largest user id that wrote it (two different ids: several users)."""

    def __init__(self, matrix, users):
        self.users = users
        self.valid = matrix != _PAD
        self.tokens = np.where(self.valid, matrix, 0).astype(np.uint64) + np.uint64(1)
        self.hash = self.tokens.copy()          # n = 1
        self.ok = self.valid.copy()
        self.n = 1

    def grow(self):
        """Move from n-grams to (n+1)-grams."""
        self.hash = self.hash[:, :-1] * _BASE + self.tokens[:, self.n:]
        self.ok = self.ok[:, :-1] & self.valid[:, self.n:]
        self.n += 1

    def table(self):
        """Sorted unique hashes of the current n, with the smallest and
        largest user id that wrote each and the number of distinct users."""
        rows, cols = np.nonzero(self.ok)
        h = self.hash[rows, cols]
        u = self.users[rows]
        order = np.lexsort((u, h))
        h, u = h[order], u[order]
        new_h = np.r_[True, h[1:] != h[:-1]] if len(h) else np.zeros(0, bool)
        new_pair = new_h | (np.r_[True, u[1:] != u[:-1]] if len(u) else np.zeros(0, bool))
        starts = np.flatnonzero(new_h)
        ends = np.r_[starts[1:], len(h)] - 1
        n_users = np.add.reduceat(new_pair.astype(np.int64), starts) if len(starts) else \
            np.zeros(0, np.int64)
        return h[starts], u[starts], u[ends], n_users


def copying_table(texts, users, train_texts, train_users, n=4):
    """Per generated text, how much of it occurs in other users' training reviews.

    Parameters
    ----------
    texts : list of str
        Generated reasons (or any texts to check).
    users : array of int
        The user each text is for (one per text).
    train_texts : list of str
        The training reviews.
    train_users : array of int
        The author of each training review.
    n : int
        The n-gram order of the ``overlap`` column (default 4).

    Returns
    -------
    pandas.DataFrame
        One row per text: ``words`` (its length in words), ``longest_run``
        (the longest word sequence it shares with another user's review, in
        words), ``overlap`` (share of its ``n``-grams found in other users'
        reviews; NaN for a text shorter than ``n`` words), ``verbatim``
        (True when the whole text occurs inside another user's review; False
        for an empty text) and ``unique_run`` (the longest word sequence it
        shares with exactly *one* other user: words only that person ever
        wrote in the training data, a fingerprint rather than a common
        phrase; 0 if none).
    """
    texts = check_texts(texts, "texts")
    train_texts = check_texts(train_texts, "train_texts")
    users = _ids("users", users, len(texts))
    train_users = _ids("train_users", train_users, len(train_texts))
    n = check_int("n", n, 1)
    index = {}
    gen_tokens = [words(t) for t in texts]
    corpus = _Index(_matrix([words(t) for t in train_texts], index), train_users)
    # words never seen in training get fresh ids: they match nothing
    query = _Index(_matrix(gen_tokens, index), users)
    length = np.array([len(t) for t in gen_tokens])
    longest = np.zeros(len(texts), dtype=np.int64)
    unique_run = np.zeros(len(texts), dtype=np.int64)
    overlap = np.full(len(texts), np.nan)
    while True:
        h, u_min, u_max, n_users = corpus.table()
        rows, cols = np.nonzero(query.ok)
        if len(rows) == 0:
            break  # every text is shorter than the current n
        q = query.hash[rows, cols]
        if len(h):
            pos = np.clip(np.searchsorted(h, q), 0, len(h) - 1)
            who = query.users[rows]
            hit = h[pos] == q
            lo, hi, k = u_min[pos], u_max[pos], n_users[pos]
            foreign = hit & ((lo != who) | (hi != who))
            # written by exactly one user other than this text's user
            single = hit & (((k == 1) & (lo != who)) | ((k == 2) & ((lo == who) | (hi == who))))
        else:
            foreign = single = np.zeros(len(q), bool)
        longest[np.unique(rows[foreign])] = query.n
        unique_run[np.unique(rows[single])] = query.n
        if query.n == n:
            total = np.bincount(rows, minlength=len(texts))
            shared = np.bincount(rows[foreign], minlength=len(texts))
            overlap[total > 0] = shared[total > 0] / total[total > 0]
        if query.n >= n and not foreign.any():
            break  # no text shares an n-word run: none shares a longer one
        corpus.grow()
        query.grow()
    return pd.DataFrame({"words": length, "longest_run": longest, "overlap": overlap,
                         "verbatim": (longest == length) & (length > 0),
                         "unique_run": unique_run})


def copying_rates(texts, users, train_texts, train_users, n=4, run=8):
    """Summary of :func:`copying_table`: the mean longest common run (words),
    the share of texts sharing a run of at least ``run`` words with another
    user's review, the mean ``n``-gram overlap, the verbatim-copy rate and
    the share of texts sharing a run of at least ``run`` words with exactly
    one other user. Returns a dict with keys ``longest_run``,
    ``run>=<run>``, ``overlap<n>``, ``verbatim``, ``unique>=<run>``."""
    run = check_int("run", run, 1)
    t = copying_table(texts, users, train_texts, train_users, n=n)
    return {"longest_run": float(t["longest_run"].mean()),
            f"run>={run}": float((t["longest_run"] >= run).mean()),
            f"overlap{n}": float(t["overlap"].mean()),
            "verbatim": float(t["verbatim"].mean()),
            f"unique>={run}": float((t["unique_run"] >= run).mean())}


__all__ = ["copying_rates", "copying_table", "words"]
