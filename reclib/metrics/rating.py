"""Rating-prediction metrics: RMSE and MAE.

Predictions are clipped to the rating scale (whole stars 1-5 by default)
before scoring, as in the explainable-recommendation literature (e.g.
PETER's evaluation): a model that predicts 5.7 is scored as if it said 5.
``scale=`` names another scale (``reclib.checks.HALF_STARS`` for MovieLens
half stars 0.5-5, ``(low, high)`` for any value in a range); ``clip=False``
scores the raw predictions.
"""
from __future__ import annotations

import numpy as np

from reclib.checks import check_bool, check_on_scale, check_same_length, check_scale


def _prepare(y_true, y_pred, scale, clip):
    """Checked float arrays ``(y_true, y_pred)``, the predictions clipped.

    The observed ratings must lie on ``scale`` whenever it is used: when
    clipping, or when ``scale`` is given explicitly."""
    if clip is None:  # the 0.1 spelling of clip=False
        clip = False
    clip = check_bool("clip", clip)
    if np.ndim(y_true) == 0 or np.ndim(y_pred) == 0:
        raise ValueError("y_true and y_pred must be sequences, not scalars")
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.size == 0 or p.size == 0:
        raise ValueError("empty input: y_true and y_pred need at least one rating")
    check_same_length(y_true=t, y_pred=p)
    if not np.isfinite(t).all():
        raise ValueError("y_true contains NaN or infinite values")
    if not np.isfinite(p).all():
        raise ValueError("y_pred contains NaN or infinite values")
    if clip or scale is not None:
        scale = check_scale(scale)
        check_on_scale(t, scale, "y_true")
        if clip:
            p = scale.clip(p)
    return t, p


def rmse(y_true, y_pred, *, scale=None, clip=True):
    """Root mean squared error, ``sqrt(mean((y - y_hat)^2))``.

    Parameters
    ----------
    y_true : array_like
        Observed ratings.
    y_pred : array_like
        Predicted ratings, same length.
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale (default: whole stars 1-5). Observed ratings off
        the scale raise ValueError.
    clip : bool
        Clip the predictions to the scale's range first (default). With
        ``clip=False`` and no ``scale`` both arrays may hold any finite
        numbers (e.g. the oracle's expected ratings).

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
    t, p = _prepare(y_true, y_pred, scale, clip)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true, y_pred, *, scale=None, clip=True):
    """Mean absolute error, ``mean(|y - y_hat|)``.

    Parameters
    ----------
    y_true, y_pred, scale, clip
        As in :func:`rmse`.

    Returns
    -------
    float

    Notes
    -----
    Less sensitive to outliers than RMSE; it is minimized by the conditional
    *median*, RMSE by the mean, so the two can rank models differently.
    """
    t, p = _prepare(y_true, y_pred, scale, clip)
    return float(np.mean(np.abs(t - p)))
