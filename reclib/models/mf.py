"""Matrix factorization with biases and L2 regularization, in Keras 3.

The model predicts ``r_ui ~ mu + b_u + b_i + p_u . q_i`` and minimizes, over
the *observed* ratings only,

    mean_(u,i) (r_ui - r_hat_ui)^2 + l2 * mean_(u,i) (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2)

(the penalty is applied to the vectors a mini-batch touches, the usual form
for stochastic training).
"""
from __future__ import annotations

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras
from keras import layers, ops

from reclib.models._checks import check_ids, check_pairs, sizes, top_k
from reclib.models.baselines import _Recommends
# The NumPy reference implementations (SGD and ALS) that chapter 4 derives.
from reclib.models.mf_numpy import (MFParams, als_fit, mf_gradients, mf_loss,  # noqa: F401
                                    numerical_gradient, sgd_fit)


@keras.saving.register_keras_serializable(package="reclib")
class MFScore(layers.Layer):
    """Keras layer: (user ids, item ids) -> predicted rating, adding the L2
    penalty on the looked-up vectors as a layer loss."""

    def __init__(self, n_users, n_items, n_factors, l2, mean, seed=None, **kw):
        super().__init__(**kw)
        self.n_users, self.n_items = n_users, n_items
        self.n_factors, self.l2, self.mean = n_factors, l2, mean
        init = keras.initializers.RandomNormal(stddev=0.05, seed=seed)
        self.P = layers.Embedding(n_users, n_factors, embeddings_initializer=init,
                                  name="user_factors")
        self.Q = layers.Embedding(n_items, n_factors, embeddings_initializer=init,
                                  name="item_factors")
        self.bu = layers.Embedding(n_users, 1, embeddings_initializer="zeros",
                                   name="user_bias")
        self.bi = layers.Embedding(n_items, 1, embeddings_initializer="zeros",
                                   name="item_bias")

    def call(self, inputs):
        u, i = inputs
        p, q = self.P(u), self.Q(i)
        bu, bi = self.bu(u)[:, 0], self.bi(i)[:, 0]
        if self.l2:
            self.add_loss(self.l2 * ops.mean(
                ops.sum(p * p, axis=1) + ops.sum(q * q, axis=1) + bu * bu + bi * bi))
        return self.mean + bu + bi + ops.sum(p * q, axis=1)

    def get_config(self):
        return dict(super().get_config(), n_users=self.n_users,
                    n_items=self.n_items, n_factors=self.n_factors,
                    l2=self.l2, mean=self.mean)


class MF(_Recommends):
    """Matrix factorization recommender (Keras 3).

    Parameters
    ----------
    n_factors : int
        Dimension of the user and item vectors.
    l2 : float
        Strength of the L2 penalty.
    epochs, batch_size, learning_rate : training settings (Adam).
    seed : int
        Seeds the initialization and the shuffling.
    """

    def __init__(self, n_factors=16, l2=0.1, epochs=6, batch_size=256,
                 learning_rate=0.003, seed=0):
        if n_factors < 1:
            raise ValueError(f"n_factors must be at least 1, got {n_factors}")
        if l2 < 0:
            raise ValueError(f"l2 must be non-negative, got {l2}")
        self.n_factors, self.l2 = n_factors, l2
        self.epochs, self.batch_size = epochs, batch_size
        self.learning_rate, self.seed = learning_rate, seed

    def build(self, n_users, n_items, mean):
        """The Keras model: inputs (user id, item id), output the rating."""
        u = keras.Input(shape=(), dtype="int32", name="user")
        i = keras.Input(shape=(), dtype="int32", name="item")
        score = MFScore(n_users, n_items, self.n_factors, self.l2, mean,
                        seed=self.seed, name="mf")([u, i])
        model = keras.Model([u, i], score, name="matrix_factorization")
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      loss="mse")
        return model

    def fit(self, df, n_users=None, n_items=None, validation=None, callbacks=None,
            verbose=0):
        """Train on a ratings table; ``validation`` is an optional held-out
        table whose loss is recorded in ``history_`` each epoch; ``callbacks``
        are passed to ``keras.Model.fit``."""
        self.n_users_, self.n_items_ = sizes(df, n_users, n_items)
        keras.utils.set_random_seed(self.seed)
        self.mean_ = float(df["rating"].mean())
        self.model_ = self.build(self.n_users_, self.n_items_, self.mean_)
        x = [df["user_id"].to_numpy("int32"), df["item_id"].to_numpy("int32")]
        y = df["rating"].to_numpy("float32")
        val = None
        if validation is not None:
            vu, vi = check_pairs(validation["user_id"], validation["item_id"],
                                 self.n_users_, self.n_items_)
            val = ([vu.astype("int32"), vi.astype("int32")],
                   validation["rating"].to_numpy("float32"))
        hist = self.model_.fit(x, y, epochs=self.epochs, batch_size=self.batch_size,
                               validation_data=val, shuffle=True, callbacks=callbacks,
                               verbose=verbose)
        self.history_ = hist.history
        self._remember(df)
        return self

    def predict(self, users, items):
        """Predicted ratings for pairs of ids (not clipped)."""
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        out = self.model_.predict([users.astype("int32"), items.astype("int32")],
                                  batch_size=8192, verbose=0)
        return np.asarray(out, dtype=float).reshape(-1)

    def score_items(self, user):
        items = np.arange(self.n_items_)
        return self.predict(np.full(self.n_items_, user), items)

    @property
    def user_factors(self):
        """The learned user vectors, shape (n_users, n_factors)."""
        return self.model_.get_layer("mf").P.embeddings.numpy()

    @property
    def item_factors(self):
        """The learned item vectors, shape (n_items, n_factors)."""
        return self.model_.get_layer("mf").Q.embeddings.numpy()
