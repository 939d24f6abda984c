"""Metrics of a credit-risk model and its decisions (they take outputs): how
well it ranks and is calibrated, and how fair its approvals are across groups.

- :func:`auc` (the Mann-Whitney statistic, ties counted half), :func:`brier`,
  :func:`reliability` (the points of a reliability plot);
- :func:`approval_rate_gap`: the difference in approval rates between two
  groups (demographic parity difference);
- :func:`tpr_gap`: the difference in true-positive rates, where the
  *positive* is "would repay" and the prediction is "approved": among the
  applicants who repaid, the share each group had approved (the
  equal-opportunity gap of Hardt et al., 2016);
- :func:`bootstrap_interval`: a percentile bootstrap interval for any of them
  (:func:`reclib.metrics.intervals.bootstrap`, under its old name).

Checked against scikit-learn in the tests.
"""
from __future__ import annotations

import numpy as np

from reclib.checks import check_int
from reclib.metrics.intervals import bootstrap


def _binary(name, y):
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {y.shape}")
    if y.dtype == bool:
        y = y.astype(int)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{name} must contain only 0 and 1 (or True/False)")
    return y.astype(int)


def _scores(name, s, n, low=None, high=None):
    s = np.asarray(s, dtype=float)
    if s.shape != (n,):
        raise ValueError(f"{name} must have one value per outcome: {n} outcomes, got shape "
                         f"{s.shape}")
    if not np.isfinite(s).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if low is not None and ((s < low).any() or (s > high).any()):
        raise ValueError(f"{name} must lie in [{low}, {high}]")
    return s


def auc(y_true, score):
    """Area under the ROC curve: the probability that a random positive
    (``y_true == 1``) scores above a random negative, ties counted half."""
    y = _binary("y_true", y_true)
    s = _scores("score", score, len(y))
    n1, n0 = int(y.sum()), int(len(y) - y.sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("y_true must contain both classes to compute an AUC")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks of ties (1-based)
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def brier(y_true, p):
    """Mean squared error of predicted probabilities ``p`` against outcomes."""
    y = _binary("y_true", y_true)
    p = _scores("p", p, len(y), 0.0, 1.0)
    return float(np.mean((p - y) ** 2))


def reliability(y_true, p, n_bins=10):
    """Points of a reliability plot with equal-width bins on [0, 1]:
    ``(mean predicted probability, observed default rate, count)`` per
    non-empty bin, as three arrays."""
    y = _binary("y_true", y_true)
    p = _scores("p", p, len(y), 0.0, 1.0)
    n_bins = check_int("n_bins", n_bins, low=1)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    keep = np.bincount(b, minlength=n_bins) > 0
    cnt = np.bincount(b, minlength=n_bins)[keep]
    mp = np.bincount(b, p, n_bins)[keep] / cnt
    obs = np.bincount(b, y, n_bins)[keep] / cnt
    return mp, obs, cnt


def _groups(group, n):
    g = np.asarray(group)
    if g.shape != (n,):
        raise ValueError(f"group must have one label per applicant: {n} applicants, got shape "
                         f"{g.shape}")
    labels = sorted(set(g.tolist()))
    if len(labels) != 2:
        raise ValueError(f"group must have exactly two labels, got {labels[:5]}")
    return g, labels


def approval_rates(approved, group):
    """``{label: approval rate}`` for the two groups."""
    a = _binary("approved", approved)
    g, labels = _groups(group, len(a))
    return {lab: float(a[g == lab].mean()) for lab in labels}


def approval_rate_gap(approved, group):
    """Approval rate of the first group (in sorted order) minus the second's."""
    r = approval_rates(approved, group)
    first, second = sorted(r)
    return r[first] - r[second]


def tpr_gap(repaid, approved, group):
    """True-positive rate (share approved among those who repaid) of the first
    group minus the second's."""
    y = _binary("repaid", repaid)
    a = _binary("approved", approved)
    if len(a) != len(y):
        raise ValueError(f"repaid and approved must have the same length, got {len(y)} and "
                         f"{len(a)}")
    g, labels = _groups(group, len(y))
    rates = []
    for lab in labels:
        m = (g == lab) & (y == 1)
        if not m.any():
            raise ValueError(f"group {lab!r} has nobody who repaid: its TPR is undefined")
        rates.append(a[m].mean())
    return float(rates[0] - rates[1])


def bootstrap_interval(stat, *arrays, n_boot=500, level=0.95, seed=0):
    """Percentile bootstrap interval of ``stat(*arrays)``, resampling rows
    (the same rows of every array) with replacement: a thin wrapper of
    :func:`reclib.metrics.intervals.bootstrap` (kept for the chapters that
    call it; new code calls that). Returns ``(estimate, low, high)``."""
    return bootstrap(stat, *arrays, n_boot=n_boot, level=level, seed=seed)


__all__ = ["approval_rate_gap", "approval_rates", "auc", "bootstrap_interval", "brier",
           "reliability", "tpr_gap"]
