"""Small matplotlib helpers shared by the chapters.

Each function draws on a given ``matplotlib`` Axes (created by the caller) and
returns it, so notebooks keep control of the figure layout.
"""
from __future__ import annotations

import numpy as np


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
