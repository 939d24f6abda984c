"""Small matplotlib helpers shared by the chapters.

Each function draws on a given ``matplotlib`` Axes (created by the caller) and
returns it, so notebooks keep control of the figure layout.
"""
from __future__ import annotations

import numpy as np

from reclib.data.splits import check_ratings


def plot_samples_vs_density(ax, samples, density_fn, bins=80, x_range=None, title=None):
    """Histogram of 1-D ``samples`` (as a density) against a true density curve.

    Parameters
    ----------
    ax : matplotlib Axes
    samples : array of shape (n,)
    density_fn : callable
        Maps an array of points to density values (e.g. a
        ``functools.partial`` of ``reclib.gan1d.mixture_density``).
    bins : int
    x_range : (float, float), optional
        Plotted interval; by default the range of the samples, widened by 10 %.
    title : str, optional
    """
    samples = np.asarray(samples, dtype=float).reshape(-1)
    if samples.size == 0:
        raise ValueError("samples is empty")
    if x_range is None:
        lo, hi = samples.min(), samples.max()
        pad = 0.1 * (hi - lo + 1e-9)
        x_range = (lo - pad, hi + pad)
    grid = np.linspace(x_range[0], x_range[1], 400)
    ax.hist(samples, bins=bins, range=x_range, density=True, alpha=0.5,
            color="tab:orange", label="generated")
    ax.plot(grid, density_fn(grid), color="tab:blue", lw=2, label="data density")
    ax.set_xlim(*x_range)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_gan_history(ax, history, columns=("d_loss", "g_loss"), smooth=50, title=None):
    """Per-step GAN training curves (a moving average over ``smooth`` steps).

    ``history`` is the DataFrame returned by ``reclib.gan1d.train_gan1d``.
    """
    missing = [c for c in columns if c not in history.columns]
    if missing:
        raise ValueError(f"history has no column(s) {missing}")
    for c in columns:
        ax.plot(history["step"], history[c].rolling(smooth, min_periods=1).mean(), label=c)
    ax.set_xlabel("training step")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


# --- ratings tables: the rating distribution and the long tail ----------------
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
