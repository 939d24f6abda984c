"""Train/test splits of a ratings table.

Each split answers a different question and prevents a different leak:

* :func:`random_split` - how well do we fill in missing ratings? (the
  classic rating-prediction protocol; it lets the model see a user's future);
* :func:`temporal_split` - how well do we predict the future from the past?
  (one global cut-off time: nothing after it is seen in training);
* :func:`leave_last_out` - what will each user do next? (each user's last
  interaction is held out; the top-K protocol of sequential recommenders).
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

REQUIRED = ("user_id", "item_id", "rating", "timestamp")


def check_table(df, columns, name="ratings table"):
    """Raise ValueError unless ``df`` is a non-empty DataFrame with ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")
    if len(df) == 0:
        raise ValueError(f"{name} is empty")
    return df


def check_ratings(df, columns=REQUIRED):
    """Raise ValueError unless ``df`` is a non-empty ratings table.

    Checks the columns, missing values, and that ratings lie in 1-5.
    """
    check_table(df, columns)
    nan = [c for c in columns if df[c].isna().any()]
    if nan:
        raise ValueError(f"ratings table has missing values in {nan}")
    if "rating" in columns:
        r = df["rating"].to_numpy(dtype=float)
        if (r < 1).any() or (r > 5).any():
            raise ValueError("ratings must lie in [1, 5]; found "
                             f"{r.min()} .. {r.max()}")
    return df


def _check_fraction(name, x):
    if not isinstance(x, numbers.Real) or not 0 < x < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {x!r}")


def random_split(df, test_fraction=0.2, seed=0):
    """Hold out a random ``test_fraction`` of the rows. Returns (train, test)."""
    check_ratings(df)
    _check_fraction("test_fraction", test_fraction)
    rng = np.random.default_rng(seed)
    mask = rng.random(len(df)) < test_fraction
    return df[~mask].reset_index(drop=True), df[mask].reset_index(drop=True)


def temporal_split(df, test_fraction=0.2):
    """Hold out everything after the global ``1 - test_fraction`` time quantile."""
    check_ratings(df)
    _check_fraction("test_fraction", test_fraction)
    cut = df["timestamp"].quantile(1 - test_fraction)
    test = df["timestamp"] > cut
    return df[~test].reset_index(drop=True), df[test].reset_index(drop=True)


def leave_last_out(df, n=1, min_train=1):
    """Hold out each user's last ``n`` interactions (by timestamp).

    Users with fewer than ``n + min_train`` interactions stay entirely in
    training.
    """
    check_ratings(df)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    order = df.sort_values(["user_id", "timestamp"], kind="stable")
    rank_from_end = order.groupby("user_id").cumcount(ascending=False)
    size = order.groupby("user_id")["item_id"].transform("size")
    test = (rank_from_end < n) & (size >= n + min_train)
    return (order[~test].sort_index().reset_index(drop=True),
            order[test].sort_index().reset_index(drop=True))
