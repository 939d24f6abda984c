"""Input checks shared by the models."""
from __future__ import annotations

import numbers

import numpy as np

from reclib.data.splits import check_ratings


def check_ids(name, ids, n):
    """Return ``ids`` as an int array, raising ValueError if any is unknown."""
    ids = np.asarray(ids)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        if np.issubdtype(ids.dtype, np.floating) and np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)
        else:
            raise ValueError(f"{name} ids must be integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        bad = ids[(ids < 0) | (ids >= n)][0]
        raise ValueError(f"unknown {name} id {bad}: the model knows ids 0..{n - 1}")
    return ids.astype(np.int64)


def check_pairs(users, items, n_users, n_items):
    """Check two id arrays of equal length against the model's id ranges."""
    users = check_ids("user", users, n_users)
    items = check_ids("item", items, n_items)
    if users.shape != items.shape:
        raise ValueError(f"users and items must have the same length, got "
                         f"{users.shape} and {items.shape}")
    return users, items


def check_k(k):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(k)


def sizes(df, n_users, n_items):
    """Number of users and items: given, or one more than the largest id."""
    check_ratings(df)
    n_u = int(df["user_id"].max()) + 1 if n_users is None else int(n_users)
    n_i = int(df["item_id"].max()) + 1 if n_items is None else int(n_items)
    check_ids("user", df["user_id"].to_numpy(), n_u)
    check_ids("item", df["item_id"].to_numpy(), n_i)
    return n_u, n_i


def top_k(scores, k, exclude=()):
    """Indices of the ``k`` largest scores, best first, skipping ``exclude``."""
    scores = np.array(scores, dtype=float)
    exclude = np.fromiter(exclude, dtype=np.int64)
    if exclude.size:
        scores[exclude] = -np.inf
    k = min(check_k(k), int(np.isfinite(scores).sum()))
    idx = np.argpartition(-scores, k - 1)[:k] if k else np.array([], int)
    return idx[np.argsort(-scores[idx], kind="stable")]
