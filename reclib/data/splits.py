"""Train/test splits of a ratings table.

Each split answers a different question and prevents a different leak:

* :func:`random_split` - how well do we fill in missing ratings? (the
  classic rating-prediction protocol; it lets the model see a user's future);
* :func:`temporal_split` - how well do we predict the future from the past?
  (one global cut-off time: nothing after it is seen in training);
* :func:`leave_last_out` - what will each user do next? (each user's last
  interaction is held out; the top-K protocol of sequential recommenders).

Every split checks its table with :func:`reclib.checks.check_ratings` on the
rating scale ``scale`` (default: whole stars 1-5; pass
``reclib.checks.HALF_STARS``, or the ``scale`` a loader returns, for
MovieLens ``ratings.csv``).
"""
from __future__ import annotations

import numpy as np

# check_table / check_ratings are re-exported for code that still imports
# them from here; they live in reclib.checks (this re-export goes in 0.2).
from reclib.checks import (RATING_COLUMNS, check_fraction, check_int,  # noqa: F401
                           check_ratings, check_seed, check_table)

REQUIRED = RATING_COLUMNS


def random_split(df, test_fraction=0.2, seed=0, scale=None):
    """Hold out a random ``test_fraction`` of the rows. Returns (train, test)."""
    check_ratings(df, scale=scale)
    check_fraction("test_fraction", test_fraction, open_interval=True)
    rng = np.random.default_rng(check_seed(seed))
    mask = rng.random(len(df)) < test_fraction
    return df[~mask].reset_index(drop=True), df[mask].reset_index(drop=True)


def temporal_split(df, test_fraction=0.2, scale=None):
    """Hold out everything after the global ``1 - test_fraction`` time quantile."""
    check_ratings(df, scale=scale)
    check_fraction("test_fraction", test_fraction, open_interval=True)
    cut = df["timestamp"].quantile(1 - test_fraction)
    test = df["timestamp"] > cut
    return df[~test].reset_index(drop=True), df[test].reset_index(drop=True)


def leave_last_out(df, n=1, min_train=1, scale=None):
    """Hold out each user's last ``n`` interactions (by timestamp).

    Users with fewer than ``n + min_train`` interactions stay entirely in
    training.
    """
    check_ratings(df, scale=scale)
    n = check_int("n", n, low=1)
    min_train = check_int("min_train", min_train, low=0)
    order = df.sort_values(["user_id", "timestamp"], kind="stable")
    rank_from_end = order.groupby("user_id").cumcount(ascending=False)
    size = order.groupby("user_id")["item_id"].transform("size")
    test = (rank_from_end < n) & (size >= n + min_train)
    return (order[~test].sort_index().reset_index(drop=True),
            order[test].sort_index().reset_index(drop=True))
