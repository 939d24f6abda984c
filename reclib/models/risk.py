"""Risk models for the credit world: a logistic regression and a small Keras
network, with per-applicant attributions.

Both follow one shape::

    model = LogisticRisk(seed=0).fit(X_train, y_train)   # X: the applicants' feature columns
    model.predict_proba(X)      # probability of default, one per applicant
    model.logit(X)              # log-odds of default
    model.attributions(X)       # DataFrame: one column per feature, log-odds units

Inputs are encoded by :class:`CreditEncoder` (fitted on the training rows
only): ``log(income)``, ``dti``, ``log(1 + history_years)``,
``late_payments``, ``utilisation``, ``log(loan_amount)`` standardized, and
one indicator per level of ``employment`` and ``purpose``. Features can be
left out (``drop=``), as the fairness section does with the one correlated
with the protected attribute.

Attributions explain the model's **log-odds** relative to one documented
baseline, the :data:`reclib.data.credit.BASELINE` applicant (a typical
applicant: income 50,000, debt-to-income 30%, 8 years of history, no late
payments, utilisation 35%, salaried, a 12,000 car loan):

- logistic regression: exact, ``coef_j * (x_j - baseline_j)`` in the encoded
  space, summed over the columns of each feature (the indicators of a
  categorical feature); they sum to ``logit(x) - logit(baseline)``;
- network: integrated gradients (Sundararajan et al., 2017) along the straight
  line from the baseline to ``x``, with the trapezoid rule over ``steps``
  points; completeness (the sum equals ``logit(x) - logit(baseline)``) holds up
  to the quadrature error, which :meth:`RiskNetwork.attributions` can return.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reclib.checks import check_fitted, check_int, check_non_negative, check_positive, check_seed
from reclib.data.credit import BASELINE, CATEGORICAL, FEATURES, check_applicants, baseline_frame
from reclib.models._fit import fit_shuffled, run_seed

TRANSFORMS = {
    "income": np.log, "dti": None, "history_years": np.log1p, "late_payments": None,
    "utilisation": None, "loan_amount": np.log,
}


def _check_y(y, n):
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y must be a 1-D array with one outcome per applicant: "
                         f"{n} applicants, got shape {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must contain only 0 (repaid) and 1 (defaulted)")
    if len(np.unique(y)) < 2:
        raise ValueError("y must contain both outcomes (0 and 1) to fit a risk model")
    return y.astype(float)


class CreditEncoder:
    """Applicant features -> a float matrix, one or more columns per feature.

    ``drop``: features to leave out. ``columns_`` names the columns;
    ``groups_`` maps each kept feature to its column positions.
    """

    def __init__(self, drop=()):
        drop = [drop] if isinstance(drop, str) else list(drop)
        bad = [f for f in drop if f not in FEATURES]
        if bad:
            raise ValueError(f"drop must name features among {FEATURES}, got {bad}")
        if len(drop) == len(FEATURES):
            raise ValueError("drop must leave at least one feature")
        self.drop = drop
        self.features = [f for f in FEATURES if f not in drop]

    def _raw(self, X):
        cols, names, groups = [], [], {}
        for f in self.features:
            start = len(names)
            if f in CATEGORICAL:
                for level in CATEGORICAL[f]:
                    cols.append((X[f] == level).to_numpy(dtype=float))
                    names.append(f"{f}={level}")
            else:
                v = X[f].to_numpy(dtype=float)
                cols.append(TRANSFORMS[f](v) if TRANSFORMS[f] is not None else v)
                names.append(f)
            groups[f] = list(range(start, len(names)))
        return np.column_stack(cols), names, groups

    def fit(self, X):
        """Learn the numeric columns' mean and spread on ``X`` (training rows)."""
        check_applicants(X)
        raw, self.columns_, self.groups_ = self._raw(X)
        numeric = np.array([c in TRANSFORMS for c in self.columns_])
        self.mean_ = np.where(numeric, raw.mean(axis=0), 0.0)
        std = raw.std(axis=0)
        self.scale_ = np.where(numeric & (std > 0), std, 1.0)
        return self

    def transform(self, X):
        """The encoded matrix (float32-ready float64), shape ``(len(X), len(columns_))``."""
        check_fitted(self, "mean_")
        check_applicants(X)
        return (self._raw(X)[0] - self.mean_) / self.scale_

    def baseline(self):
        """The encoded :data:`BASELINE` applicant (one row)."""
        return self.transform(baseline_frame())


class _RiskModel:
    """What both risk models share: input checks, the encoder, attributions per feature."""

    def _encode_fit(self, X, y):
        check_applicants(X)
        y = _check_y(y, len(X))
        self.encoder_ = CreditEncoder(self.drop).fit(X)
        self.features_ = self.encoder_.features
        return self.encoder_.transform(X), y

    def _encode(self, X):
        check_fitted(self, "encoder_")
        return self.encoder_.transform(X)

    def predict_proba(self, X):
        """Probability of default of each applicant."""
        return 1.0 / (1.0 + np.exp(-self.logit(X)))

    def _per_feature(self, cols, index):
        out = {f: cols[:, idx].sum(axis=1) for f, idx in self.encoder_.groups_.items()}
        return pd.DataFrame(out, index=index)[self.features_]


class LogisticRisk(_RiskModel):
    """L2-penalized logistic regression fitted by Newton's method (IRLS).

    ``l2`` is the penalty on the coefficients (not the intercept), in units of
    the summed log-loss; the fit is deterministic (``seed`` is accepted for
    the common shape and unused).
    """

    def __init__(self, l2=1.0, drop=(), max_iter=50, tol=1e-10, seed=None):
        self.l2 = check_non_negative("l2", l2)
        self.max_iter = check_int("max_iter", max_iter)
        self.tol = check_positive("tol", tol)
        self.seed = check_seed(seed)
        self.drop = drop
        CreditEncoder(drop)  # checks drop now

    def fit(self, X, y):
        """Fit on applicants ``X`` and outcomes ``y`` (1: default). Returns ``self``."""
        Z, y = self._encode_fit(X, y)
        A = np.column_stack([np.ones(len(Z)), Z])
        w = np.zeros(A.shape[1])
        pen = np.full(A.shape[1], self.l2)
        pen[0] = 0.0
        for it in range(self.max_iter):
            p = 1.0 / (1.0 + np.exp(-(A @ w)))
            grad = A.T @ (p - y) + pen * w
            H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(pen) + 1e-9 * np.eye(len(w))
            step = np.linalg.solve(H, grad)
            w -= step
            if np.max(np.abs(step)) < self.tol:
                break
        self.n_iter_ = it + 1
        self.intercept_, self.coef_ = float(w[0]), w[1:]
        return self

    def logit(self, X):
        """Log-odds of default of each applicant."""
        check_fitted(self, "coef_")
        return self.intercept_ + self._encode(X) @ self.coef_

    def attributions(self, X):
        """Exact per-feature attributions ``coef * (x - baseline)``, summed
        over each feature's columns; rows sum to ``logit(x) - logit(baseline)``."""
        Z = self._encode(X)
        cols = self.coef_ * (Z - self.encoder_.baseline())
        return self._per_feature(cols, X.index)

    def global_importance(self, X):
        """The feature ranking a model card would print: each feature's mean
        absolute attribution over ``X`` (a Series, largest first). It is the
        same for every applicant, which is what makes it a poor reason."""
        return self.attributions(X).abs().mean().sort_values(ascending=False)


class RiskNetwork(_RiskModel):
    """A small Keras network (two ReLU layers) with one logit output, trained
    with binary cross-entropy and Adam, seeded (initializers and shuffling;
    the global random state is left alone)."""

    def __init__(self, hidden=(32, 16), epochs=20, batch_size=256, learning_rate=3e-3, l2=1e-4,
                 drop=(), seed=None):
        if isinstance(hidden, (int, np.integer)):
            hidden = (hidden,)
        self.hidden = tuple(check_int("hidden layer width", h) for h in hidden)
        if not self.hidden:
            raise ValueError("hidden must name at least one layer width")
        self.epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.l2 = check_non_negative("l2", l2)
        self.seed = check_seed(seed)
        self.drop = drop
        CreditEncoder(drop)

    def fit(self, X, y):
        """Fit on applicants ``X`` and outcomes ``y`` (1: default). Returns ``self``."""
        import keras
        Z, y = self._encode_fit(X, y)
        seed = run_seed(self.seed)
        layers = [keras.Input((Z.shape[1],))]
        reg = keras.regularizers.L2(self.l2) if self.l2 else None
        for k, h in enumerate(self.hidden):
            layers.append(keras.layers.Dense(
                h, activation="relu", kernel_regularizer=reg,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k)))
        layers.append(keras.layers.Dense(
            1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 99)))
        self.net_ = keras.Sequential(layers)
        self.net_.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                          loss=keras.losses.BinaryCrossentropy(from_logits=True))
        self.history_ = fit_shuffled(self.net_, Z.astype("float32"), y.astype("float32"),
                                     epochs=self.epochs, batch_size=self.batch_size, seed=seed,
                                     verbose=0).history
        return self

    def _logit_z(self, Z):
        return np.asarray(self.net_(np.asarray(Z, dtype="float32"), training=False)).reshape(-1)

    def logit(self, X):
        """Log-odds of default of each applicant."""
        check_fitted(self, "net_")
        return self._logit_z(self._encode(X)).astype(float)

    def attributions(self, X, steps=64, return_error=False):
        """Integrated gradients of the logit from the baseline to each
        applicant, per feature (trapezoid rule over ``steps`` intervals).
        With ``return_error``, also the completeness error of each row:
        ``sum(attributions) - (logit(x) - logit(baseline))``."""
        import tensorflow as tf
        steps = check_int("steps", steps, low=2)
        check_fitted(self, "net_")
        Z = self._encode(X).astype("float32")
        base = self.encoder_.baseline().astype("float32")
        alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32")
        w = np.full(steps + 1, 1.0 / steps, dtype="float32")
        w[[0, -1]] /= 2
        total = np.zeros_like(Z)
        chunk = max(1, 65536 // (steps + 1))  # applicants per batch of path points
        for start in range(0, len(Z), chunk):
            z = Z[start:start + chunk]
            path = tf.constant((base[None] + alphas[:, None, None] * (z - base)[None])
                               .reshape(-1, Z.shape[1]))
            with tf.GradientTape() as tape:
                tape.watch(path)
                out = tf.reduce_sum(self.net_(path, training=False))
            grads = tape.gradient(out, path).numpy().reshape(steps + 1, len(z), Z.shape[1])
            total[start:start + chunk] = np.tensordot(w, grads, axes=1)
        cols = (Z - base) * total
        att = self._per_feature(cols.astype(float), X.index)
        if not return_error:
            return att
        gap = self._logit_z(Z) - self._logit_z(base)[0]
        return att, att.sum(axis=1).to_numpy() - gap

    def count_params(self):
        check_fitted(self, "net_")
        return int(self.net_.count_params())


__all__ = ["BASELINE", "CreditEncoder", "LogisticRisk", "RiskNetwork"]
