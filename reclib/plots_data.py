"""Plots that describe a ratings table: the rating distribution and the long
tail of interactions per user and per item.

Like :mod:`reclib.plots`, each function draws on a given matplotlib Axes
(created by the caller) and returns it.
"""
from __future__ import annotations

import numpy as np

from reclib.data.splits import check_ratings


def plot_rating_distribution(ax, ratings, title="Rating distribution", **bar_kwargs):
    """Bar chart of the share of ratings at each star value.

    Parameters
    ----------
    ax : matplotlib Axes
    ratings : pandas.DataFrame
        A ratings table with a ``rating`` column (checked with
        :func:`reclib.data.splits.check_ratings`).
    title : str, optional
    bar_kwargs
        Passed to ``ax.bar`` (e.g. ``label``, ``alpha``, ``width``).
    """
    check_ratings(ratings, ("rating",))
    share = ratings["rating"].value_counts(normalize=True).sort_index()
    ax.bar(share.index.astype(float), share.to_numpy(), **bar_kwargs)
    ax.set_xticks(share.index.astype(float))
    ax.set_xlabel("rating (stars)")
    ax.set_ylabel("share of ratings")
    if title:
        ax.set_title(title)
    return ax


def plot_long_tail(ax, ratings, by="user_id", title=None, **plot_kwargs):
    """Rank-frequency plot: interactions per user (or item), largest first,
    on a logarithmic y axis.

    A long tail shows as a steep head (a few very active users / very popular
    items) and a long, low flat part. The dashed line marks the median.

    Parameters
    ----------
    ax : matplotlib Axes
    ratings : pandas.DataFrame
        A ratings table with ``user_id`` and ``item_id`` columns.
    by : {"user_id", "item_id"}
        Whose interactions to count.
    title : str, optional
    plot_kwargs
        Passed to ``ax.plot``.
    """
    if by not in ("user_id", "item_id"):
        raise ValueError(f"by must be 'user_id' or 'item_id', got {by!r}")
    check_ratings(ratings, ("user_id", "item_id"))
    counts = np.sort(ratings.groupby(by).size().to_numpy())[::-1]
    ranks = np.arange(1, len(counts) + 1)
    ax.plot(ranks, counts, **plot_kwargs)
    ax.axhline(np.median(counts), ls="--", color="gray", lw=1)
    ax.set_yscale("log")
    who = "user" if by == "user_id" else "item"
    ax.set_xlabel(f"{who} rank (most active first)" if who == "user"
                  else "item rank (most popular first)")
    ax.set_ylabel(f"interactions per {who} (log)")
    ax.set_title(title if title is not None else f"Interactions per {who}")
    return ax
