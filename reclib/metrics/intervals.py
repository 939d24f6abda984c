"""Percentile bootstrap intervals over units (users, pairs, applicants).

One implementation for the whole book:

- :func:`bootstrap`: the point estimate of ``stat(*arrays)`` and a percentile
  bootstrap interval, resampling the *units* (the rows of ``arrays``, the
  same rows of every array) with replacement, optionally within strata
  (e.g. members and non-members resampled separately);
- :func:`paired_bootstrap`: the difference ``stat(a) - stat(b)`` of two
  methods scored on the same units, with the same resampled units on both
  sides (the paired comparison: a shared unit's luck cancels);
- :func:`bootstrap_runs`: the mean of per-unit values over several training
  runs (seeds) and units, with an interval that covers both the luck of the
  units and that of the training run.

The resamples depend only on ``seed``, ``n_boot`` and the number of units
(and the strata): two calls with the same seed on the same units resample
the same units, so their intervals are comparable. Each call makes its own
``numpy.random.Generator``; the global NumPy state is never read or changed.
Replicate ``b`` draws its indices with ``rng.integers(0, n, n)`` (per
stratum, in order of first appearance), which is the stream of
``rng.integers(0, n, (n_boot, n))`` and of ``rng.choice(n, n)``.

Checked against a direct NumPy computation and ``scipy.stats.bootstrap``
(percentile method) in the tests.
"""
from __future__ import annotations


import numpy as np

from reclib.checks import check_fraction, check_int, check_seed

__all__ = ["bootstrap", "bootstrap_runs", "paired_bootstrap"]


def _quantile_levels(level):
    # (1 - 0.95) / 2 is 0.025000000000000022 in floating point; the levels a
    # reader types are decimals, so round the tail probability to 12 places
    tail = round((1.0 - level) / 2.0, 12)
    return tail, 1.0 - tail


def _units(arrays):
    if not arrays:
        raise ValueError("bootstrap needs at least one array of per-unit values")
    out = []
    for k, a in enumerate(arrays):
        a = np.asarray(a)
        if a.ndim == 0:
            raise ValueError(f"array {k} is a scalar: pass one value (or row) per unit")
        out.append(a)
    lengths = [len(a) for a in out]
    if len(set(lengths)) != 1:
        raise ValueError(f"mismatched lengths: the arrays must be of one length (one row "
                         f"per unit), got lengths {lengths}")
    if lengths[0] < 2:
        raise ValueError(f"bootstrap needs at least two units, got {lengths[0]}")
    return out, lengths[0]


def _strata(strata, n):
    if strata is None:
        return [np.arange(n)]
    s = np.asarray(strata)
    if s.shape != (n,):
        raise ValueError(f"strata must have one label per unit: {n} units, got shape {s.shape}")
    _, first, inverse = np.unique(s, return_index=True, return_inverse=True)
    groups = []
    for g in np.argsort(first, kind="stable"):  # in order of first appearance
        idx = np.flatnonzero(inverse == g)
        if len(idx) < 2:
            raise ValueError(f"stratum {s[idx[0]]!r} has {len(idx)} unit: each stratum needs "
                             f"at least two")
        groups.append(idx)
    return groups


def _value(stat, arrays, where):
    v = np.asarray(stat(*arrays), dtype=float)
    if not np.isfinite(v).all():
        raise ValueError(f"stat returned a non-finite value ({v}) on {where}")
    return v


def bootstrap(stat, *arrays, n_boot=2000, level=0.95, seed=0, strata=None,
              return_draws=False):
    """Point estimate and percentile bootstrap interval of ``stat(*arrays)``.

    Parameters
    ----------
    stat : callable
        ``stat(*arrays) -> float`` (or a 1-D array of floats, e.g. one value
        per method: each gets its own interval from the same resamples).
    *arrays : array-like
        One row per unit (user, pair, applicant); replicate ``b`` calls
        ``stat`` on the same resampled rows of every array.
    n_boot : int
        Number of bootstrap replicates (at least 10).
    level : float
        Coverage of the interval, in (0, 1); 0.95 gives the 2.5% and 97.5%
        percentiles of the replicates (NumPy's linear interpolation).
    seed : int or None
        Seed of the call's own ``numpy.random.Generator``.
    strata : array-like or None
        One label per unit: units are resampled within their stratum (each
        stratum keeps its size), e.g. members and non-members of a
        membership-inference test.
    return_draws : bool
        Also return the ``(n_boot,)`` (or ``(n_boot, k)``) replicate values.

    Returns
    -------
    (estimate, low, high) or (estimate, low, high, draws)
        Floats for a scalar ``stat``, arrays for a vector one.
    """
    if not callable(stat):
        raise TypeError(f"stat must be a function of the arrays, got {type(stat).__name__}")
    n_boot = check_int("n_boot", n_boot, low=10)
    level = check_fraction("level", level, open_interval=True)
    seed = check_seed(seed)
    arrays, n = _units(arrays)
    groups = _strata(strata, n)
    est = _value(stat, arrays, "the data")
    if est.ndim > 1:
        raise ValueError(f"stat must return a number or a 1-D array, got shape {est.shape}")
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, *est.shape))
    for b in range(n_boot):
        if strata is None:
            idx = rng.integers(0, n, n)
        else:
            idx = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        v = _value(stat, [a[idx] for a in arrays], f"bootstrap replicate {b}")
        if v.shape != est.shape:
            raise ValueError(f"stat returned shape {v.shape} on replicate {b} but {est.shape} "
                             f"on the data")
        draws[b] = v
    lo, hi = np.quantile(draws, _quantile_levels(level), axis=0)
    if est.ndim == 0:
        out = (float(est), float(lo), float(hi))
    else:
        out = (est, lo, hi)
    return (*out, draws) if return_draws else out


def paired_bootstrap(stat, a, b, *, n_boot=2000, level=0.95, seed=0, return_draws=False):
    """Point estimate and percentile bootstrap interval of ``stat(a) - stat(b)``.

    ``a`` and ``b`` hold two methods' values on the *same* units, in the same
    order (row ``k`` of both is unit ``k``); every replicate resamples the
    same units on both sides. With the same ``seed`` and number of units,
    the replicates are those of :func:`bootstrap`, so each method's own
    interval and the difference's come from one set of resamples.
    Returns ``(difference, low, high)`` (and the draws with ``return_draws``).
    """
    if not callable(stat):
        raise TypeError(f"stat must be a function of one method's values, got "
                        f"{type(stat).__name__}")
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[:1] != b.shape[:1]:
        raise ValueError(f"a and b must hold the same units: got {a.shape[:1]} and "
                         f"{b.shape[:1]} rows")
    return bootstrap(lambda x, y: np.asarray(stat(x), float) - np.asarray(stat(y), float), a, b,
                     n_boot=n_boot, level=level, seed=seed, return_draws=return_draws)


def bootstrap_runs(values, *, n_boot=2000, level=0.95, seed=0):
    """Mean over training runs and units, with a 95% interval covering both.

    ``values[r, u]`` is unit ``u``'s value (a user's NDCG@10, a pair's 0/1
    faithfulness) under training run ``r`` (a training seed); all runs are
    scored on the same units. Replicate ``b`` resamples the units with
    replacement (the resamples of :func:`bootstrap` with the same ``seed``)
    *and* draws one run, the same run for every call with the same ``seed``
    and number of runs, and takes that run's mean over the resampled units.
    The percentiles of the replicates are the interval: it is wide when the
    units disagree and when the runs disagree. With one run it is
    :func:`bootstrap` of the mean.

    Parameters
    ----------
    values : array-like, shape (runs, units) or (runs, units, k)
        Per-run, per-unit values; with a third axis, ``k`` statistics (for
        example two metrics) each get an interval from the same replicates.
    n_boot, level, seed
        As for :func:`bootstrap`; the run of replicate ``b`` is
        ``numpy.random.default_rng([seed, 1]).integers(runs, size=n_boot)[b]``.

    Returns
    -------
    (estimate, low, high)
        Floats for 2-D ``values``, arrays of length ``k`` for 3-D ones. The
        estimate is the mean over all runs and units.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim not in (2, 3):
        raise ValueError(f"values must have shape (runs, units) or (runs, units, k), got "
                         f"shape {v.shape}")
    if v.shape[0] < 1:
        raise ValueError("values holds no training run")
    if not np.isfinite(v).all():
        raise ValueError("values holds NaN or infinite entries")
    n_boot = check_int("n_boot", n_boot, low=10)
    seed = check_seed(seed)
    scalar = v.ndim == 2
    if scalar:
        v = v[:, :, None]
    n_runs, n_units, k = v.shape
    by_unit = v.transpose(1, 0, 2).reshape(n_units, n_runs * k)  # one row per unit
    _, _, _, draws = bootstrap(lambda x: x.mean(axis=0), by_unit, n_boot=n_boot, level=level,
                               seed=seed, return_draws=True)
    run = np.random.default_rng([seed, 1]).integers(n_runs, size=n_boot)
    draws = draws.reshape(n_boot, n_runs, k)[np.arange(n_boot), run]  # (n_boot, k)
    lo, hi = np.quantile(draws, _quantile_levels(level), axis=0)
    est = v.mean(axis=(0, 1))
    if scalar:
        return float(est[0]), float(lo[0]), float(hi[0])
    return est, lo, hi
