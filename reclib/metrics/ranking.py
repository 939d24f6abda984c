"""Top-K ranking metrics: Precision@K, Recall@K, NDCG@K and catalogue coverage.

Inputs are plain dictionaries:

* ``recommended``: ``{user: [item, item, ...]}``, ranked, best first (a
  list may be longer than K; only its first K items count);
* ``relevant``: ``{user: {item, ...}}``, the held-out items of each user.

Each metric is the mean over the users that have at least one relevant item
(users with an empty or missing relevant set are skipped: they carry no
information about ranking quality). Every such user must have a
recommendation list; a missing one raises ValueError rather than silently
counting as zero.

Relevance is binary. Definitions, for one user with ranked list ``r`` and
relevant set ``R``:

* ``P@K = |r[:K] ∩ R| / K`` (the denominator is K even when the list is
  shorter than K: a short list is penalized);
* ``R@K = |r[:K] ∩ R| / |R|``;
* ``NDCG@K = DCG / IDCG`` with ``DCG = sum_{i<=K, r_i in R} 1 / log2(i + 1)``
  and ``IDCG = sum_{i=1}^{min(K, |R|)} 1 / log2(i + 1)``.

Relation to keras-rs (``keras_rs.metrics.PrecisionAtK``, ``RecallAtK``,
``NDCG``, which work on padded score matrices): for lists of at least K items
whose score matrix holds every relevant item, the per-user values are equal
(keras-rs's default gain ``2**y - 1`` is 1 for binary labels and its ideal
ranking is the same). Two differences: (1) keras-rs *averages over all rows*,
giving rows without relevant items weight 1 and value 0, whereas these
functions skip such users; (2) keras-rs's precision divides by
``min(K, number of valid items in the row)``, not by K. The tests check the
agreement and both differences.
"""
from __future__ import annotations

import numpy as np

from reclib.checks import check_int, check_k


def _check_lists(recommended):
    if not isinstance(recommended, dict):
        raise ValueError("recommended must be a dict {user: ranked list of item ids}")
    if not recommended:
        raise ValueError("empty input: recommended has no users")
    for u, lst in recommended.items():
        if isinstance(lst, (str, bytes, set, frozenset, dict)):
            raise ValueError(f"recommended[{u!r}] must be a ranked list of item ids, "
                             f"got {type(lst).__name__}")
        lst = list(lst)
        if len(set(lst)) != len(lst):
            dup = sorted({i for i in lst if lst.count(i) > 1}, key=repr)
            raise ValueError(f"recommended[{u!r}] lists items more than once: {dup[:5]}")


def _pairs(recommended, relevant, k):
    """Yield (top-k list, relevant set) for every user with relevant items."""
    k = check_k(k)
    _check_lists(recommended)
    if not isinstance(relevant, dict):
        raise ValueError("relevant must be a dict {user: set of item ids}")
    users = []
    for u, rel in relevant.items():
        if isinstance(rel, (str, bytes)):
            raise ValueError(f"relevant[{u!r}] must be a set of item ids, got a string")
        rel = set(rel)
        if rel:
            users.append((u, rel))
    if not users:
        raise ValueError("no user has a relevant item: the metric is undefined")
    missing = [u for u, _ in users if u not in recommended]
    if missing:
        raise ValueError(f"{len(missing)} user(s) with relevant items have no recommendation "
                         f"list, e.g. {missing[:5]}")
    return k, [(list(recommended[u])[:k], rel) for u, rel in users]


def precision_at_k(recommended, relevant, k):
    """Precision@K: share of the top-K recommended items that are relevant.

    Parameters
    ----------
    recommended : dict
        ``{user: ranked list of item ids}``.
    relevant : dict
        ``{user: set of relevant item ids}``.
    k : int
        Cut-off, > 0.

    Returns
    -------
    float
        Mean over users with at least one relevant item. The denominator is
        always K, so a user with fewer relevant items than K cannot reach 1
        (with one held-out item per user, the best possible P@10 is 0.1).
    """
    k, pairs = _pairs(recommended, relevant, k)
    return float(np.mean([len(set(top) & rel) / k for top, rel in pairs]))


def recall_at_k(recommended, relevant, k):
    """Recall@K: share of a user's relevant items found in the top K.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`.

    Returns
    -------
    float
        Mean over users with at least one relevant item. Grows with K and
        reaches 1 trivially when K covers the catalogue.
    """
    k, pairs = _pairs(recommended, relevant, k)
    return float(np.mean([len(set(top) & rel) / len(rel) for top, rel in pairs]))


def _discounts(n):
    return 1.0 / np.log2(np.arange(2, n + 2))


def ndcg_at_k(recommended, relevant, k):
    """NDCG@K with binary relevance and the log2 discount.

    ``DCG = sum over positions i <= K holding a relevant item of 1/log2(i+1)``,
    divided by the ideal ``IDCG = sum_{i=1}^{min(K, |R|)} 1/log2(i+1)``.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`.

    Returns
    -------
    float
        Mean over users with at least one relevant item, in [0, 1]. Unlike
        precision and recall it rewards putting relevant items near the top.
    """
    k, pairs = _pairs(recommended, relevant, k)
    disc = _discounts(k)
    vals = []
    for top, rel in pairs:
        hits = np.array([i in rel for i in top], dtype=float)
        dcg = float(hits @ disc[: len(top)])
        idcg = float(disc[: min(k, len(rel))].sum())
        vals.append(dcg / idcg)
    return float(np.mean(vals))


def catalogue_coverage(recommended, n_items, k=None):
    """Catalogue coverage: share of all items recommended to at least one user.

    Parameters
    ----------
    recommended : dict
        ``{user: ranked list of item ids}``.
    n_items : int
        Size of the catalogue (> 0).
    k : int or None
        Only count each list's first K items; None counts whole lists.

    Returns
    -------
    float
        ``|union of lists| / n_items``. High coverage says nothing about
        accuracy (random lists cover everything); low coverage flags a
        popularity-biased recommender.
    """
    _check_lists(recommended)
    n_items = check_int("n_items", n_items)
    if k is not None:
        k = check_k(k)
    seen = set()
    for lst in recommended.values():
        seen.update(list(lst)[:k] if k is not None else lst)
    if len(seen) > n_items:
        raise ValueError(f"{len(seen)} distinct items recommended but n_items={n_items}")
    return len(seen) / int(n_items)


def ranking_report(recommended, relevant, k, n_items):
    """All ranking metrics at cut-off K in one dict.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`.
    n_items : int
        Catalogue size for :func:`catalogue_coverage`.

    Returns
    -------
    dict
        Keys ``"precision@K"``, ``"recall@K"``, ``"ndcg@K"``, ``"coverage@K"``
        (K replaced by its value) and ``"n_users"`` (users scored). Coverage
        counts the first K items of *every* list in ``recommended``, also
        those of users without relevant items.
    """
    k, pairs = _pairs(recommended, relevant, k)
    return {
        f"precision@{k}": precision_at_k(recommended, relevant, k),
        f"recall@{k}": recall_at_k(recommended, relevant, k),
        f"ndcg@{k}": ndcg_at_k(recommended, relevant, k),
        f"coverage@{k}": catalogue_coverage(recommended, n_items, k),
        "n_users": len(pairs),
    }
