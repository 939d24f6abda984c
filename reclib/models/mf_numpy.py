"""Matrix factorization in plain NumPy: the loss, its gradients, SGD and ALS.

These are the reference implementations of chapter 4. The model predicts

    r_hat_ui = mu + b_u + b_i + p_u . q_i

and the objective sums over the *observed* ratings only, with an L2 penalty
on every user and item parameter (``mu`` is the training mean, held fixed):

    J = sum_(u,i) observed (r_ui - r_hat_ui)^2
        + l2 * (sum_u (|p_u|^2 + b_u^2) + sum_i (|q_i|^2 + b_i^2))

(Koren, Bell and Volinsky, 2009). :func:`sgd_fit` follows the gradient of J
on mini-batches; :func:`als_fit` minimizes J exactly over the user parameters,
then over the item parameters, in turn, so J never goes up.

``als_fit(weighted=True)`` uses the *weighted* penalty of ALS-WR (Zhou et al.,
2008): each user's and item's penalty is multiplied by its number of ratings,
``l2 * (sum_u n_u (|p_u|^2 + b_u^2) + sum_i n_i (|q_i|^2 + b_i^2))``. Divided
by the number of ratings, that is exactly the loss the Keras model
:class:`reclib.models.mf.MF` minimizes, which is how ``MF(solver="als")``
fits it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reclib.checks import (check_bool, check_int, check_non_negative, check_pairs,
                           check_positive, check_ratings, check_same_length, check_scale,
                           check_seed)
from reclib.protocol import sizes

PARAM_NAMES = ("user_bias", "item_bias", "P", "Q")


@dataclass
class MFParams:
    """Fitted matrix-factorization parameters.

    Attributes
    ----------
    mu : float
        Global mean (the training mean rating).
    user_bias, item_bias : ndarray, shapes (n_users,), (n_items,)
    P, Q : ndarray, shapes (n_users, n_factors), (n_items, n_factors)
        User and item factor vectors.
    history : dict of lists
        Entry 0 describes the initialization, entry t the parameters after
        epoch (SGD) or iteration (ALS) t: ``loss`` (the objective J on the
        training data), ``train_rmse`` (raw predictions) and, when
        validation tables were given, ``val_rmse`` (or ``<name>_rmse``;
        predictions clipped to the rating scale like
        :func:`reclib.metrics.rating.rmse`).
    """

    mu: float
    user_bias: np.ndarray
    item_bias: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    history: dict = field(default_factory=dict)

    def __post_init__(self):
        self.mu = float(self.mu)
        for name in PARAM_NAMES:
            setattr(self, name, np.asarray(getattr(self, name), dtype=float))
        if self.P.ndim != 2 or self.Q.ndim != 2 or self.P.shape[1] != self.Q.shape[1]:
            raise ValueError(f"P and Q must be 2-D with the same number of columns, "
                             f"got shapes {self.P.shape} and {self.Q.shape}")
        if self.user_bias.shape != (self.P.shape[0],):
            raise ValueError(f"user_bias must have shape ({self.P.shape[0]},) to match P, "
                             f"got {self.user_bias.shape}")
        if self.item_bias.shape != (self.Q.shape[0],):
            raise ValueError(f"item_bias must have shape ({self.Q.shape[0]},) to match Q, "
                             f"got {self.item_bias.shape}")

    @property
    def n_users(self):
        return self.P.shape[0]

    @property
    def n_items(self):
        return self.Q.shape[0]

    @property
    def n_factors(self):
        return self.P.shape[1]

    def predict(self, users, items):
        """Predicted ratings ``mu + b_u + b_i + p_u . q_i`` (not clipped)."""
        users, items = check_pairs(users, items, self.n_users, self.n_items)
        return _predict(self, users, items)


def _predict(params, u, i):
    return (params.mu + params.user_bias[u] + params.item_bias[i]
            + np.sum(params.P[u] * params.Q[i], axis=1))


# --- input checks --------------------------------------------------------------

def _triplets(params, users, items, ratings):
    """Checked (users, items, ratings) arrays of observed pairs."""
    users, items = check_pairs(users, items, params.n_users, params.n_items)
    ratings = np.asarray(ratings, dtype=float).reshape(-1)
    check_same_length(pairs=users, ratings=ratings)
    if not np.isfinite(ratings).all():
        raise ValueError("ratings contain NaN or infinite values")
    return users, items, ratings


def _table(df, n_users, n_items, scale, name="training ratings"):
    check_ratings(df, ("user_id", "item_id", "rating"), scale=scale, name=name)
    n_users, n_items = sizes(df, items=n_items, users=n_users)
    u = df["user_id"].to_numpy().astype(np.int64)
    i = df["item_id"].to_numpy().astype(np.int64)
    r = df["rating"].to_numpy(dtype=float)
    return n_users, n_items, u, i, r


def _init(n_users, n_items, n_factors, mu, u, i, seed, std=0.1):
    """Small random factors for users and items with ratings, zeros elsewhere:
    a user or item without ratings gets no gradient, so its parameters start,
    and stay, at their optimum 0. Biases start at 0."""
    rng = np.random.default_rng(seed)
    P = rng.normal(0, std, (n_users, n_factors))
    Q = rng.normal(0, std, (n_items, n_factors))
    P[np.bincount(u, minlength=n_users) == 0] = 0.0
    Q[np.bincount(i, minlength=n_items) == 0] = 0.0
    return MFParams(mu, np.zeros(n_users), np.zeros(n_items), P, Q,
                    {"loss": [], "train_rmse": []})


def _start(df, n_users, n_items, n_factors, l2, seed, scale, validation):
    """What every fit starts from: the initial parameters, the checked
    training triplets ``(u, i, r)``, ``l2``, the scale and the validation sets."""
    n_factors = check_int("n_factors", n_factors)
    l2 = check_non_negative("l2", l2)
    scale = check_scale(scale)
    n_users, n_items, u, i, r = _table(df, n_users, n_items, scale)
    val = _validation(validation, n_users, n_items, scale)
    params = _init(n_users, n_items, n_factors, r.mean(), u, i, check_seed(seed))
    return params, (u, i, r), l2, scale, val


def _record(params, u, i, r, l2, evals, scale, weights=(1.0, 1.0)):
    err = r - _predict(params, u, i)
    params.history["loss"].append(float(err @ err + l2 * _penalty(params, *weights)))
    params.history["train_rmse"].append(float(np.sqrt(np.mean(err ** 2))))
    for name, (vu, vi, vr) in evals.items():
        pred = scale.clip(_predict(params, vu, vi))
        params.history.setdefault(f"{name}_rmse", []).append(
            float(np.sqrt(np.mean((vr - pred) ** 2))))


def _validation(validation, n_users, n_items, scale):
    """``{name: (users, items, ratings)}`` from a table (named "val") or a
    dict of named tables, each checked like the training table."""
    if validation is None:
        return {}
    if not isinstance(validation, dict):
        validation = {"val": validation}
    evals = {}
    for name, table in validation.items():
        _, _, vu, vi, vr = _table(table, n_users, n_items, scale, name=f"validation {name!r}")
        evals[name] = (vu, vi, vr)
    return evals


def _penalty(params, user_weight=1.0, item_weight=1.0):
    """``sum_u w_u (|p_u|^2 + b_u^2) + sum_i w_i (|q_i|^2 + b_i^2)``."""
    return float(np.sum(user_weight * (np.sum(params.P ** 2, axis=1) + params.user_bias ** 2))
                 + np.sum(item_weight * (np.sum(params.Q ** 2, axis=1) + params.item_bias ** 2)))


# --- the objective and its gradient ------------------------------------------

def mf_loss(params, users, items, ratings, l2):
    """The MF objective J: squared errors on the given (observed) ratings plus
    ``l2`` times the squared norm of all user and item parameters.

    Parameters
    ----------
    params : MFParams
    users, items : array_like of int
        The observed pairs (same length).
    ratings : array_like of float
        Their ratings.
    l2 : float
        Regularization strength (>= 0).

    Returns
    -------
    float
    """
    l2 = check_non_negative("l2", l2)
    u, i, r = _triplets(params, users, items, ratings)
    err = r - _predict(params, u, i)
    return float(err @ err + l2 * _penalty(params))


def mf_gradients(params, users, items, ratings, l2):
    """Exact gradient of :func:`mf_loss` with respect to every parameter.

    With ``e_ui = r_ui - r_hat_ui``:

        dJ/db_u = -2 sum_(i in I_u) e_ui + 2 l2 b_u
        dJ/dp_u = -2 sum_(i in I_u) e_ui q_i + 2 l2 p_u

    and symmetrically for the items.

    Returns
    -------
    dict
        Arrays shaped like the parameters, keys ``user_bias``, ``item_bias``,
        ``P``, ``Q``.
    """
    l2 = check_non_negative("l2", l2)
    u, i, r = _triplets(params, users, items, ratings)
    err = r - _predict(params, u, i)
    n_u, n_i = params.n_users, params.n_items
    g_bu = -2 * np.bincount(u, err, n_u) + 2 * l2 * params.user_bias
    g_bi = -2 * np.bincount(i, err, n_i) + 2 * l2 * params.item_bias
    g_P = 2 * l2 * params.P
    g_Q = 2 * l2 * params.Q
    np.add.at(g_P, u, -2 * err[:, None] * params.Q[i])
    np.add.at(g_Q, i, -2 * err[:, None] * params.P[u])
    return {"user_bias": g_bu, "item_bias": g_bi, "P": g_P, "Q": g_Q}


def numerical_gradient(params, users, items, ratings, l2, h=1e-5):
    """Central-difference estimate of the gradient of :func:`mf_loss`.

    Each parameter is nudged by ``+h`` and ``-h`` in turn and
    ``(J(theta + h) - J(theta - h)) / (2 h)`` is recorded; the error is
    O(h^2). Two loss evaluations per parameter, so use it on small problems
    only, to check :func:`mf_gradients`.

    Returns
    -------
    dict
        Same keys and shapes as :func:`mf_gradients`.
    """
    h = check_positive("h", h)
    grads = {}
    for name in PARAM_NAMES:
        arr = getattr(params, name)
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            plus = mf_loss(params, users, items, ratings, l2)
            arr[idx] = old - h
            minus = mf_loss(params, users, items, ratings, l2)
            arr[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        grads[name] = g
    return grads


# --- stochastic gradient descent -------------------------------------------------

def sgd_fit(df, n_users=None, n_items=None, n_factors=16, l2=1.0, lr=0.01,
            epochs=20, seed=0, batch_size=256, validation=None, scale=None):
    """Fit MF by mini-batch stochastic gradient descent on :func:`mf_loss`.

    Each rating carries its share of the penalty (``l2 / n_u`` of user u's,
    ``l2 / n_i`` of item i's), so the per-rating losses add up to J exactly and
    a mini-batch gradient is an unbiased estimate of J's gradient. A step moves
    each parameter by ``lr`` times the summed per-rating gradients of the
    batch, the mini-batch form of Funk's classic per-rating update.

    Parameters
    ----------
    df : DataFrame
        Training ratings (``user_id, item_id, rating, timestamp``).
    n_users, n_items : int, optional
        Id ranges (default: one more than the largest id in ``df``).
    n_factors : int
        Dimension of the factor vectors (>= 1).
    l2 : float
        Regularization strength of J (>= 0).
    lr : float
        Step size per rating (> 0).
    epochs : int
        Passes over the shuffled training data.
    seed : int
        Seeds the initialization and the shuffling.
    batch_size : int
        Ratings per step.
    validation : DataFrame or dict of DataFrames, optional
        Held-out ratings whose RMSE (predictions clipped to ``scale``) is
        recorded each epoch, as ``history['val_rmse']`` (or
        ``history[name + '_rmse']`` for each entry of a dict).
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale every rating must lie on (default: whole stars 1-5;
        ``(low, high)`` for any value in a range).

    Returns
    -------
    MFParams
        With ``history['loss']``, ``history['train_rmse']`` (and
        ``history['val_rmse']``): entry 0 is the initialization, entry t the
        state after epoch t.
    """
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size)
    lr = check_positive("lr", lr)
    params, (u, i, r), l2, scale, val = _start(df, n_users, n_items, n_factors, l2, seed,
                                               scale, validation)
    n_users, n_items = params.n_users, params.n_items
    # each rating's share of the penalty
    cu = l2 / np.maximum(np.bincount(u, minlength=n_users), 1)[u]
    ci = l2 / np.maximum(np.bincount(i, minlength=n_items), 1)[i]
    _record(params, u, i, r, l2, val, scale)
    rng = np.random.default_rng(seed)
    P, Q, bu, bi = params.P, params.Q, params.user_bias, params.item_bias
    for _ in range(epochs):
        order = rng.permutation(len(r))
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            for start in range(0, len(r), batch_size):
                b = order[start:start + batch_size]
                ub, ib = u[b], i[b]
                pu, qi = P[ub], Q[ib]
                err = r[b] - (params.mu + bu[ub] + bi[ib] + np.sum(pu * qi, axis=1))
                # minus the per-rating gradients (the factor 2 is folded into lr)
                np.add.at(bu, ub, lr * (err - cu[b] * bu[ub]))
                np.add.at(bi, ib, lr * (err - ci[b] * bi[ib]))
                np.add.at(P, ub, lr * (err[:, None] * qi - cu[b, None] * pu))
                np.add.at(Q, ib, lr * (err[:, None] * pu - ci[b, None] * qi))
        if not (np.isfinite(P).all() and np.isfinite(Q).all()):
            raise FloatingPointError(f"SGD diverged: lr={lr} is too large")
        _record(params, u, i, r, l2, val, scale)
    return params


# --- alternating least squares -----------------------------------------------------

def _solve_side(rows, cols, target, other, n_rows, l2):
    """Solve every row's ridge regression in one go.

    For row ``a`` (a user, or an item) with observed columns ``C_a``, the
    parameters ``x_a = [b_a, p_a]`` minimize
    ``sum_(c in C_a) (y_ac - [1, q_c] . x_a)^2 + l2 |x_a|^2``, whose normal
    equations are ``(A_a^T A_a + l2 I) x_a = A_a^T y_a`` with ``A_a`` the rows
    ``[1, q_c]`` (the bias trick: a constant feature 1 whose weight is the bias).
    ``l2`` is one number, or one per row (the weighted penalty of ALS-WR).
    """
    k = other.shape[1] + 1
    A_all = np.hstack([np.ones((other.shape[0], 1)), other])
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n_rows)
    A_sorted = A_all[cols[order]]
    y_sorted = target[order]
    gram = np.empty((n_rows, k, k))
    rhs = np.empty((n_rows, k))
    bounds = np.cumsum(counts)[:-1]
    for a, (A, y) in enumerate(zip(np.split(A_sorted, bounds), np.split(y_sorted, bounds))):
        gram[a] = A.T @ A
        rhs[a] = y @ A
    gram += np.broadcast_to(l2, (n_rows,))[:, None, None] * np.eye(k)
    gram[counts == 0] = np.eye(k)  # rows without ratings: leave them at 0
    try:
        x = np.linalg.solve(gram, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise ValueError("the ALS normal equations are singular (with l2=0 every "
                         "user and item needs more than n_factors ratings); "
                         "use l2 > 0") from None
    return x[:, 0], x[:, 1:]


def als_fit(df, n_users=None, n_items=None, n_factors=16, l2=10.0, n_iter=10,
            seed=0, validation=None, scale=None, weighted=False):
    """Fit MF by alternating least squares on :func:`mf_loss`.

    With the item parameters fixed, J is a separate ridge regression for each
    user in ``[b_u, p_u]`` (features ``[1, q_i]``, targets ``r_ui - mu - b_i``),
    solved exactly by its normal equations; then the same for the items. Each
    half-step can only lower J, so ``history['loss']`` never increases.

    Parameters
    ----------
    df : DataFrame
        Training ratings (``user_id, item_id, rating, timestamp``).
    n_users, n_items : int, optional
        Id ranges (default: one more than the largest id in ``df``).
    n_factors : int
        Dimension of the factor vectors (>= 1).
    l2 : float
        Regularization strength of J (>= 0).
    n_iter : int
        Full iterations (a user step plus an item step).
    seed : int
        Seeds the initialization of the item factors.
    validation : DataFrame or dict of DataFrames, optional
        Held-out ratings whose RMSE (predictions clipped to ``scale``) is
        recorded each iteration, as ``history['val_rmse']`` (or
        ``history[name + '_rmse']`` for each entry of a dict).
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale every rating must lie on (default: whole stars 1-5).
    weighted : bool
        Multiply each user's and item's penalty by its number of ratings
        (ALS-WR); ``history['loss']`` is then that weighted objective.

    Returns
    -------
    MFParams
        With ``history['loss']``, ``history['train_rmse']`` (and
        ``history['val_rmse']``): entry 0 is the initialization, entry t the
        state after iteration t.
    """
    n_iter = check_int("n_iter", n_iter)
    params, (u, i, r), l2, scale, val = _start(df, n_users, n_items, n_factors, l2, seed,
                                               scale, validation)
    n_users, n_items = params.n_users, params.n_items
    weights = (1.0, 1.0)
    if check_bool("weighted", weighted):
        weights = (np.bincount(u, minlength=n_users), np.bincount(i, minlength=n_items))
    _record(params, u, i, r, l2, val, scale, weights)
    y = r - params.mu
    for _ in range(n_iter):
        params.user_bias, params.P = _solve_side(
            u, i, y - params.item_bias[i], params.Q, n_users, l2 * weights[0])
        params.item_bias, params.Q = _solve_side(
            i, u, y - params.user_bias[u], params.P, n_items, l2 * weights[1])
        _record(params, u, i, r, l2, val, scale, weights)
    return params
