"""Implicit-feedback recommenders for top-K lists: BPR-MF, EASE and item-kNN.

The rating models of :mod:`reclib.models.mf` learn *how many stars*; these
learn *which items* a user interacts with. Each reads a ratings table as
implicit feedback: every row is an interaction (or, with ``min_rating=``,
only the rows rated at least that), the star value itself is not used.
All three follow :class:`reclib.protocol.Recommender` and never recommend
an item the user has in the training table::

    EASE(l2=200.0).fit(train, users=n_users, items=n_items).recommend(0, k=10)

* :class:`BPR`: matrix factorization trained with the Bayesian
  personalized ranking loss of Rendle et al. (2009) on sampled
  (user, positive item, negative item) triples, in Keras 3;
* :class:`EASE`: Steck's (2019) shallow autoencoder, an item-item weight
  matrix with a zero diagonal in closed form;
* :class:`ItemKNN`: cosine item-item similarity on the binary interaction
  matrix, each item keeping its ``k`` nearest neighbours (the item-based
  top-N recommender of Deshpande and Karypis, 2004, without their optional
  normalization of each item's similarities).

Their scores are ranking scores, not ratings.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops
from scipy import sparse

from reclib.checks import (check_fitted, check_int, check_non_negative, check_number,
                           check_positive, check_scale, check_seed)
from reclib.models._fit import epoch_order, run_seed
from reclib.protocol import Recommender


def interaction_matrix(train, n_users, n_items, min_rating=None):
    """The binary user-item matrix of a (checked) training table, as a SciPy
    CSR matrix of shape ``(n_users, n_items)``: 1 where the user has a row
    for the item (rated at least ``min_rating`` when it is given; repeated
    rows count once)."""
    if min_rating is not None:
        train = train[train["rating"].to_numpy(dtype=float) >= min_rating]
    u = train["user_id"].to_numpy(np.int64)
    i = train["item_id"].to_numpy(np.int64)
    X = sparse.csr_matrix((np.ones(len(u), dtype=np.float64), (u, i)), shape=(n_users, n_items))
    X.sum_duplicates()
    X.data[:] = 1.0
    return X


class _Implicit(Recommender):
    """What the three share: the ``min_rating`` threshold and the binary
    interaction matrix ``X_`` (``fit`` checks that it is not empty)."""

    columns = ("user_id", "item_id")

    def _init_implicit(self, min_rating, scale):
        self.min_rating = None if min_rating is None else check_number("min_rating", min_rating)
        self.scale = scale
        check_scale(scale)
        if self.min_rating is not None:
            # the threshold needs the star values: check them like any ratings table
            self.columns = ("user_id", "item_id", "rating")

    def _interactions(self, train):
        X = interaction_matrix(train, self.n_users_, self.n_items_, self.min_rating)
        if X.nnz == 0:
            raise ValueError(f"no training row is rated at least min_rating={self.min_rating:g}: "
                             f"there is no interaction to learn from")
        self.X_ = X
        return X

    def _predict(self, users, items):
        # pairs are scored from the rows of their users' score matrix
        uniq, inv = np.unique(users, return_inverse=True)
        return self.score_matrix(uniq)[inv, items]


# ============================================================ EASE
class EASE(_Implicit):
    """EASE, the closed-form item-item autoencoder of Steck (2019).

    With ``X`` the binary user-item matrix, ``P = (X^T X + l2 I)^-1`` and
    ``B = I - P diag(1 / diag(P))``: the item-item weights that minimize
    ``||X - X B||^2 + l2 ||B||^2`` subject to ``diag(B) = 0`` (an item may
    not predict itself). A user's scores are ``x_u B``.

    Parameters
    ----------
    l2 : float
        The ridge penalty ``lambda`` (> 0). Steck uses a few hundred on data
        sets of tens of thousands of users; ShopSim's default world (2,000
        users) does well with 100-500, and 200 was chosen on a validation
        split carved from its training data.
    min_rating : float, optional
        Count only rows rated at least this as interactions (default: every
        row, whatever its rating).
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale, checked when ``min_rating`` is given.

    ``fit`` sets ``weights_`` (``B``, shape ``(n_items, n_items)``, zero
    diagonal), ``X_`` and what :class:`reclib.protocol.Recommender` sets.
    The cost is one ``n_items x n_items`` inverse: fine for thousands of
    items, not for millions.
    """

    def __init__(self, l2=200.0, min_rating=None, scale=None):
        self.l2 = check_positive("l2", l2)
        self._init_implicit(min_rating, scale)

    def _fit(self, train):
        X = self._interactions(train)
        G = (X.T @ X).toarray()
        G[np.diag_indices_from(G)] += self.l2
        P = np.linalg.inv(G)
        B = -P / np.diag(P)[None, :]
        B[np.diag_indices_from(B)] = 0.0
        self.weights_ = B

    def score_matrix(self, users=None):
        """``x_u B`` for each of ``users`` (default: all), shape
        ``(len(users), n_items)``."""
        users = self._users(users)
        return np.asarray(self.X_[users] @ self.weights_)


# ============================================================ item-kNN
class ItemKNN(_Implicit):
    """Item-based k-nearest-neighbour recommender on implicit feedback.

    The similarity of items ``i`` and ``j`` is the cosine of their columns of
    the binary interaction matrix, optionally shrunk towards 0 for items with
    few common users: ``s_ij = c_ij / (sqrt(n_i n_j) + shrinkage)``, where
    ``c_ij`` counts the users who have both and ``n_i`` those who have ``i``.
    Each item keeps only its ``k`` most similar other items (row ``i`` of
    ``similarity_``); a user's score for ``j`` is the sum of ``s_ij`` over
    the items ``i`` they have, as in Deshpande and Karypis (2004) (their
    optional row normalization is left out).

    Parameters
    ----------
    k : int
        Neighbours kept per item (>= 1; ``k >= n_items - 1`` keeps all).
    shrinkage : float
        Added to the cosine's denominator (>= 0; 0 is the plain cosine).
    min_rating : float, optional
        Count only rows rated at least this as interactions.
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale, checked when ``min_rating`` is given.

    ``fit`` sets ``similarity_`` (shape ``(n_items, n_items)``, zero diagonal,
    at most ``k`` non-zero entries per row), ``X_`` and what
    :class:`reclib.protocol.Recommender` sets.
    """

    def __init__(self, k=50, shrinkage=0.0, min_rating=None, scale=None):
        self.k = check_int("k", k)
        self.shrinkage = check_non_negative("shrinkage", shrinkage)
        self._init_implicit(min_rating, scale)

    def _fit(self, train):
        X = self._interactions(train)
        C = (X.T @ X).toarray()
        n = np.diag(C).copy()
        norm = np.sqrt(np.outer(n, n)) + self.shrinkage
        S = np.divide(C, norm, out=np.zeros_like(C), where=norm > 0)
        S[np.diag_indices_from(S)] = 0.0
        k = min(self.k, self.n_items_ - 1)
        if k < self.n_items_ - 1:
            # keep the k largest entries of each row (ties: the lower item id)
            order = np.argsort(-S, axis=1, kind="stable")
            drop = order[:, k:]
            np.put_along_axis(S, drop, 0.0, axis=1)
        self.similarity_ = S

    def score_matrix(self, users=None):
        """``sum over the user's items i of s_ij`` for each of ``users``
        (default: all), shape ``(len(users), n_items)``."""
        users = self._users(users)
        return np.asarray(self.X_[users] @ self.similarity_)


# ============================================================ BPR
@keras.saving.register_keras_serializable(package="reclib")
class BPRModel(keras.Model):
    """The Keras model of :class:`BPR`. Called on ``(users, positives,
    negatives)`` it returns ``x_ui - x_uj`` for each triple, where
    ``x_ui = p_u . q_i + b_i``; its loss (:meth:`compute_loss`) is the BPR
    objective ``mean(-log sigmoid(x_ui - x_uj))`` plus the L2 penalty on the
    vectors and biases the batch touches."""

    def __init__(self, n_users, n_items, n_factors=32, l2=1e-2, seed=0, **kw):
        super().__init__(**kw)
        self.n_users, self.n_items, self.n_factors = n_users, n_items, n_factors
        self.l2, self.seed = l2, seed
        init = lambda s: keras.initializers.RandomNormal(stddev=0.1, seed=s)  # noqa: E731
        self.user_vectors = layers.Embedding(n_users, n_factors, embeddings_initializer=init(seed),
                                             name="user_vectors")
        self.item_vectors = layers.Embedding(n_items, n_factors,
                                             embeddings_initializer=init(seed + 1),
                                             name="item_vectors")
        self.item_bias = layers.Embedding(n_items, 1, embeddings_initializer="zeros",
                                          name="item_bias")

    def build(self, input_shape=None):
        """Create the three embedding tables."""
        for layer in (self.user_vectors, self.item_vectors, self.item_bias):
            layer.build((None,))

    def call(self, inputs):
        """``x_ui - x_uj`` for a batch of ``(users, positives, negatives)``."""
        u, i, j = inputs
        p = self.user_vectors(u)
        qi, qj = self.item_vectors(i), self.item_vectors(j)
        bi, bj = self.item_bias(i)[:, 0], self.item_bias(j)[:, 0]
        self._penalty = self.l2 * ops.mean(ops.sum(p * p + qi * qi + qj * qj, axis=1)
                                           + bi * bi + bj * bj)
        return ops.sum(p * (qi - qj), axis=1) + bi - bj

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``mean(softplus(-(x_ui - x_uj)))`` (= ``-log sigmoid``) plus the
        L2 penalty of the batch."""
        return ops.mean(ops.softplus(-y_pred)) + self._penalty

    def get_config(self):
        return dict(super().get_config(), n_users=self.n_users, n_items=self.n_items,
                    n_factors=self.n_factors, l2=self.l2, seed=self.seed)


def sample_negatives(users, positives_keys, n_items, rng):
    """One negative item per entry of ``users``, drawn uniformly (with
    ``rng``, a NumPy Generator) from the items that user has *not*
    interacted with. ``positives_keys`` is the sorted int64 array of
    ``user * n_items + item`` over the interactions.

    Exact, without rejection: with the user's positives sorted,
    ``pos_0 < pos_1 < ...``, the ``r``-th item that is not a positive is
    ``r + #{k : pos_k - k <= r}``, counted with one ``searchsorted``.
    """
    users = np.asarray(users, dtype=np.int64)
    keys = np.asarray(positives_keys, dtype=np.int64)
    n_users = int(max(users.max(initial=-1), (keys // n_items).max(initial=-1))) + 1
    pu, pi = keys // n_items, keys % n_items
    start = np.searchsorted(keys, np.arange(n_users + 1) * n_items)
    degree = np.diff(start)
    n_neg = n_items - degree[users]
    if (n_neg <= 0).any():
        bad = int(users[n_neg <= 0][0])
        raise ValueError(f"user {bad} interacted with every item: there is no negative to sample")
    gaps = pu * n_items + (pi - (np.arange(len(keys)) - start[pu]))
    r = rng.integers(n_neg)
    below = np.searchsorted(gaps, users * n_items + r, side="right") - start[users]
    return r + below


class BPR(_Implicit):
    """Matrix factorization trained with Bayesian personalized ranking
    (Rendle et al., 2009), in Keras 3.

    For each training interaction ``(u, i)`` and each epoch one negative item
    ``j`` the user has not interacted with is drawn uniformly (a seeded NumPy
    generator), and the model is trained to score ``i`` above ``j``: the loss
    is ``-log sigmoid(x_ui - x_uj)`` with ``x_ui = p_u . q_i + b_i``, plus L2,
    minimized with Adam through ``keras.Model.fit`` (one compiled call per
    epoch). The scores are ``P Q^T + b``.

    Parameters
    ----------
    n_factors : int
        Dimension of the user and item vectors (>= 1).
    l2 : float
        L2 penalty per triple on the vectors and biases it touches (>= 0).
    epochs : int
        Passes over the training interactions, each with fresh negatives (>= 1).
        The defaults (32 factors, ``l2=0.01``, 10 epochs) were chosen on a
        validation split carved from the training data of ShopSim's default
        world; 20 epochs scored the same there.
    batch_size : int
        Triples per Adam step (>= 1).
    learning_rate : float
        Adam's step size (> 0).
    seed : int or None
        Seeds the initial weights, the negatives and the order of the triples
        (never the global random state); ``None`` draws a fresh seed.
    min_rating : float, optional
        Count only rows rated at least this as interactions.
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale, checked when ``min_rating`` is given.

    ``fit(train, *, items=None, users=None, verbose=0)`` sets ``model_``
    (:class:`BPRModel`), ``history_`` (``loss`` per epoch), ``X_`` and what
    :class:`reclib.protocol.Recommender` sets.
    """

    def __init__(self, n_factors=32, l2=1e-2, epochs=10, batch_size=1024, learning_rate=0.01,
                 seed=0, min_rating=None, scale=None):
        self.n_factors = check_int("n_factors", n_factors)
        self.l2 = check_non_negative("l2", l2)
        self.epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.seed = check_seed(seed)
        self._init_implicit(min_rating, scale)

    def _fit(self, train, verbose=0):
        X = self._interactions(train).tocoo()
        u = X.row.astype(np.int64)
        i = X.col.astype(np.int64)
        keys = np.sort(u * self.n_items_ + i)
        seed = run_seed(self.seed)
        rng = np.random.default_rng(seed)
        order, batch_size, steps = epoch_order(len(u), self.batch_size, self.epochs, rng)
        uu, ii = u[order], i[order]
        jj = sample_negatives(uu, keys, self.n_items_, rng)
        model = BPRModel(self.n_users_, self.n_items_, self.n_factors, self.l2, seed=seed,
                         name="bpr")
        model.build()
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), jit_compile=False,
                      steps_per_execution=steps)
        model.optimizer.build(model.trainable_variables)
        x = [uu.astype("int32"), ii.astype("int32"), jj.astype("int32")]
        hist = model.fit(x, np.zeros(len(uu), "float32"), batch_size=batch_size,
                         epochs=self.epochs, steps_per_epoch=steps, shuffle=False,
                         verbose=verbose)
        self.model_ = model
        self.history_ = hist.history

    def _parameters(self):
        check_fitted(self, "fit_time_")
        m = self.model_
        return (keras.ops.convert_to_numpy(m.user_vectors.embeddings),
                keras.ops.convert_to_numpy(m.item_vectors.embeddings),
                keras.ops.convert_to_numpy(m.item_bias.embeddings)[:, 0])

    user_factors = property(lambda self: self._parameters()[0],
                            doc="The learned user vectors, shape (n_users, n_factors).")
    item_factors = property(lambda self: self._parameters()[1],
                            doc="The learned item vectors, shape (n_items, n_factors).")

    def score_matrix(self, users=None):
        """``p_u . q_i + b_i`` of every item for each of ``users`` (default: all)."""
        users = self._users(users)
        P, Q, b = self._parameters()
        return P[users] @ Q.T + b[None, :]

    def count_params(self):
        """Number of weights (user and item vectors, item biases)."""
        check_fitted(self, "fit_time_")
        return int(self.model_.count_params())


__all__ = ["BPR", "BPRModel", "EASE", "ItemKNN", "interaction_matrix", "sample_negatives"]
