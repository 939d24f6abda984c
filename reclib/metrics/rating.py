"""Rating-prediction metrics: RMSE and MAE.

Predictions are clipped to the rating range (1-5 by default) before scoring,
as in the explainable-recommendation literature (e.g. PETER's evaluation): a
model that predicts 5.7 is scored as if it said 5. ``clip=None`` scores the
raw predictions.
"""
from __future__ import annotations

import numpy as np


def _prepare(y_true, y_pred, clip):
    t = np.asarray(y_true, dtype=np.float64).ravel() if np.ndim(y_true) else None
    p = np.asarray(y_pred, dtype=np.float64).ravel() if np.ndim(y_pred) else None
    if t is None or p is None:
        raise ValueError("y_true and y_pred must be sequences, not scalars")
    if t.size == 0 or p.size == 0:
        raise ValueError("empty input: y_true and y_pred need at least one rating")
    if t.size != p.size:
        raise ValueError(f"mismatched lengths: y_true has {t.size} ratings, y_pred {p.size}")
    if not np.isfinite(t).all():
        raise ValueError("y_true contains NaN or infinite values")
    if not np.isfinite(p).all():
        raise ValueError("y_pred contains NaN or infinite values")
    if clip is not None:
        try:
            lo, hi = (float(v) for v in clip)
        except (TypeError, ValueError):
            raise ValueError(f"clip must be None or a pair (low, high), got {clip!r}") from None
        if not lo < hi:
            raise ValueError(f"clip range must have low < high, got {clip!r}")
        if t.min() < lo or t.max() > hi:
            raise ValueError(f"y_true has ratings outside the clip range [{lo}, {hi}] "
                             f"(min {t.min()}, max {t.max()}); pass the right range or clip=None")
        p = np.clip(p, lo, hi)
    return t, p


def rmse(y_true, y_pred, clip=(1, 5)):
    """Root mean squared error, ``sqrt(mean((y - y_hat)^2))``.

    Parameters
    ----------
    y_true : array_like
        Observed ratings.
    y_pred : array_like
        Predicted ratings, same length.
    clip : (float, float) or None
        Rating range; predictions are clipped to it first, and observed ratings
        outside it raise ValueError. None disables both.

    Returns
    -------
    float

    Notes
    -----
    Squares punish large errors most, so RMSE is dominated by the few
    ratings a model gets badly wrong. It cannot go below the noise floor
    (ShopSim's ``expected_rating`` oracle reaches it), so compare models with
    the floor, not with 0.
    """
    t, p = _prepare(y_true, y_pred, clip)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true, y_pred, clip=(1, 5)):
    """Mean absolute error, ``mean(|y - y_hat|)``.

    Parameters
    ----------
    y_true, y_pred, clip
        As in :func:`rmse`.

    Returns
    -------
    float

    Notes
    -----
    Less sensitive to outliers than RMSE; it is minimized by the conditional
    *median*, RMSE by the mean, so the two can rank models differently.
    """
    t, p = _prepare(y_true, y_pred, clip)
    return float(np.mean(np.abs(t - p)))
