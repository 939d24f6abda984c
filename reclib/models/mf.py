"""Matrix factorization with biases and L2 regularization, in Keras 3.

The model predicts ``r_ui ~ mu + b_u + b_i + p_u . q_i`` and minimizes, over
the *observed* ratings only,

    mean_(u,i) (r_ui - r_hat_ui)^2 + l2 * mean_(u,i) (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2)

(the penalty is applied to the vectors a mini-batch touches, the usual form
for stochastic training; summed over an epoch it charges each user ``n_u``
times, the weighted penalty of ALS-WR). Two solvers minimize it:
``solver="adam"`` trains the Keras model with ``model.fit`` (large batches,
one compiled call per epoch, shuffled by our own seeded generator), and
``solver="als"`` solves it in closed form by weighted alternating least
squares (:func:`reclib.models.mf_numpy.als_fit`) and loads the result into
the same Keras model, so prediction, saving and everything else are shared.
"""
from __future__ import annotations

import json
import os

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras
from keras import layers, ops

from reclib.checks import (check_choice, check_fitted, check_int, check_non_negative,
                           check_positive, check_scale, check_seed)
from reclib.models._fit import epoch_order, fit_shuffled, run_seed, validation_arrays
# The NumPy reference implementations (SGD and ALS) that chapter 4 derives.
from reclib.models.mf_numpy import (MFParams, als_fit, mf_gradients, mf_loss,  # noqa: F401
                                    numerical_gradient, sgd_fit)
from reclib.protocol import Recommender

SOLVERS = ("adam", "als")


@keras.saving.register_keras_serializable(package="reclib")
class MFScore(layers.Layer):
    """Keras layer: (user ids, item ids) -> predicted rating, adding the L2
    penalty on the looked-up parameters as a layer loss.

    Each user is one row ``[b_u, p_u]`` of a table and each item one row
    ``[b_i, q_i]`` (chapter 4's bias trick): two lookups per rating instead of
    four, which halves the optimizer's work. ``recommender_state`` (a dict set
    by :meth:`MF.save`) is written to and read from the ``.keras`` file's
    assets, so a loaded :class:`MF` keeps its settings and the items each
    user rated in training.
    """

    def __init__(self, n_users, n_items, n_factors, l2, mean, seed=None, **kw):
        super().__init__(**kw)
        self.n_users, self.n_items = n_users, n_items
        self.n_factors, self.l2, self.mean, self.seed = n_factors, l2, mean, seed
        self.recommender_state = None

        def init(offset):
            s = None if seed is None else seed + offset
            return keras.initializers.RandomNormal(stddev=0.05, seed=s)
        self.users = layers.Embedding(n_users, n_factors + 1, embeddings_initializer=init(0),
                                      name="user_table")
        self.items = layers.Embedding(n_items, n_factors + 1, embeddings_initializer=init(1),
                                      name="item_table")

    def build(self, input_shape=None):
        self.users.build((None,))
        self.items.build((None,))

    def call(self, inputs):
        u, i = inputs
        user, item = self.users(u), self.items(i)   # rows [b_u, p_u] and [b_i, q_i]
        if self.l2:
            self.add_loss(self.l2 * ops.mean(
                ops.sum(user * user, axis=1) + ops.sum(item * item, axis=1)))
        b_u, p = user[:, 0], user[:, 1:]
        b_i, q = item[:, 0], item[:, 1:]
        return self.mean + b_u + b_i + ops.sum(p * q, axis=1)

    def parameters(self):
        """``(b_u, b_i, P, Q)`` as NumPy arrays."""
        users = ops.convert_to_numpy(self.users.embeddings).astype(float)
        items = ops.convert_to_numpy(self.items.embeddings).astype(float)
        return users[:, 0], items[:, 0], users[:, 1:], items[:, 1:]

    def set_parameters(self, b_u, b_i, P, Q):
        """Load ``(b_u, b_i, P, Q)`` into the two tables."""
        self.users.embeddings.assign(np.column_stack([b_u, P]).astype("float32"))
        self.items.embeddings.assign(np.column_stack([b_i, Q]).astype("float32"))

    def get_config(self):
        return dict(super().get_config(), n_users=self.n_users,
                    n_items=self.n_items, n_factors=self.n_factors,
                    l2=self.l2, mean=self.mean, seed=self.seed)

    def save_assets(self, dir_path):
        if self.recommender_state is None:
            return
        state = dict(self.recommender_state)
        rated = state.pop("rated")
        with open(os.path.join(dir_path, "recommender.json"), "w") as f:
            json.dump(state, f)
        users = np.array(sorted(rated), dtype=np.int64)
        np.savez(os.path.join(dir_path, "rated.npz"), users=users,
                 counts=np.array([len(rated[u]) for u in users], dtype=np.int64),
                 items=np.concatenate([rated[u] for u in users]) if len(users) else
                 np.zeros(0, np.int64))

    def load_assets(self, dir_path):
        path = os.path.join(dir_path, "recommender.json")
        if not os.path.exists(path):
            return
        with open(path) as f:
            state = json.load(f)
        with np.load(os.path.join(dir_path, "rated.npz")) as z:
            parts = np.split(z["items"], np.cumsum(z["counts"])[:-1])
            state["rated"] = {int(u): p for u, p in zip(z["users"], parts)}
        self.recommender_state = state


@keras.saving.register_keras_serializable(package="reclib")
class ClippedRMSE(keras.metrics.Metric):
    """RMSE of predictions clipped to ``[low, high]``, the number
    :func:`reclib.metrics.rating.rmse` reports (as ``rmse`` / ``val_rmse``
    in the training history)."""

    def __init__(self, low=1.0, high=5.0, name="rmse", **kw):
        super().__init__(name=name, **kw)
        self.low, self.high = float(low), float(high)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        err = ops.clip(y_pred, self.low, self.high) - ops.cast(y_true, y_pred.dtype)
        self.total.assign_add(ops.cast(ops.sum(err * err), self.total.dtype))
        self.count.assign_add(ops.cast(ops.size(err), self.count.dtype))

    def result(self):
        return ops.sqrt(self.total / ops.maximum(self.count, 1.0))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return dict(super().get_config(), low=self.low, high=self.high)


@keras.saving.register_keras_serializable(package="reclib")
class MFModel(keras.Model):
    """The Keras model of :class:`MF`: inputs (user ids, item ids), output
    the rating; trained by ``model.fit`` on :meth:`compute_loss`."""

    def __init__(self, n_users, n_items, n_factors=16, l2=0.12, mean=0.0, seed=None, **kw):
        super().__init__(**kw)
        self.mf = MFScore(n_users, n_items, n_factors, l2, mean, seed=seed, name="mf")

    def build(self, input_shape=None):
        self.mf.build(input_shape)

    def call(self, inputs):
        return self.mf(inputs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The objective of this batch: mean squared error plus the L2
        penalty the layer added (written out: cheaper to trace than Keras's
        general loss machinery)."""
        err = ops.square(ops.cast(y, y_pred.dtype) - y_pred)
        if sample_weight is not None:
            w = ops.cast(sample_weight, err.dtype)
            err = err * w / ops.mean(w)
        penalty = ops.sum(ops.stack(self.losses)) if self.losses else 0.0
        return ops.mean(err) + penalty

    def get_config(self):
        layer = self.mf
        return dict(super().get_config(), n_users=layer.n_users, n_items=layer.n_items,
                    n_factors=layer.n_factors, l2=layer.l2, mean=layer.mean, seed=layer.seed)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MF(Recommender):
    """Matrix factorization recommender (Keras 3).

    Parameters
    ----------
    n_factors : int
        Dimension of the user and item vectors (>= 1).
    l2 : float
        Strength of the L2 penalty (>= 0).
    epochs : int
        Passes over the training ratings (Adam), or ALS iterations (>= 1).
    batch_size : int
        Ratings per Adam step (>= 1). Large batches with a larger learning
        rate train about as well as small ones here and cost far less per
        epoch; the defaults were chosen on validation splits (carved from the
        training data) of ShopSim and MovieLens-100K.
    learning_rate : float
        Adam's step size (> 0).
    solver : "adam" or "als"
        ``"adam"``: ``model.fit``; ``"als"``: closed-form weighted ALS on
        the same loss (no learning rate, no batches; faster on a CPU). ALS
        solves the loss to the end while Adam's few epochs also stop it
        early, so on small, sparse data ALS may want fewer factors or a
        larger ``l2``.
    seed : int or None
        Seeds the initialization and the shuffling (never the global state).
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale of the training and validation ratings (default:
        whole stars 1-5; ``reclib.checks.HALF_STARS`` for MovieLens-style
        half stars), and the range ``rmse`` clips to in the history.

    ``fit(train, *, items=None, users=None, validation=None, callbacks=None,
    verbose=0)`` sets ``model_`` (the Keras model, :class:`MFModel`),
    ``history_`` (``loss`` per epoch; with a validation table also the
    clipped ``rmse`` of the training batches, ``val_loss`` and ``val_rmse``;
    ALS records ``loss``, ``rmse`` and ``val_rmse``), ``mean_`` and
    everything :class:`reclib.protocol.Recommender` sets. ``predict``
    returns raw (unclipped) ratings; an empty list of pairs is an error.
    ``save(path)`` / ``MF.load(path)`` write and read a ``.keras`` file.
    """

    def __init__(self, n_factors=16, l2=0.12, epochs=4, batch_size=1024,
                 learning_rate=0.01, solver="adam", seed=0, scale=None):
        self.n_factors = check_int("n_factors", n_factors)
        self.l2 = check_non_negative("l2", l2)
        self.epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.solver = check_choice("solver", solver, SOLVERS)
        self.seed = check_seed(seed)
        self.scale = scale
        check_scale(scale)

    def _settings(self):
        scale = None if self.scale is None else list(check_scale(self.scale))
        return dict(n_factors=self.n_factors, l2=self.l2, epochs=self.epochs,
                    batch_size=self.batch_size, learning_rate=self.learning_rate,
                    solver=self.solver, seed=self.seed, scale=scale)

    def build(self, n_users, n_items, mean, steps_per_execution=1, rmse=True, seed=None):
        """The compiled Keras model (:class:`MFModel`) with initial weights
        from ``seed`` (default: the model's); ``rmse`` adds the clipped-RMSE
        metric."""
        seed = run_seed(self.seed if seed is None else seed)
        model = MFModel(n_users, n_items, self.n_factors, self.l2, mean, seed=seed,
                        name="matrix_factorization")
        model.build([(None,), (None,)])
        scale = check_scale(self.scale)
        # one compiled call per epoch; XLA compiling costs more than it saves here
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      metrics=[ClippedRMSE(scale.low, scale.high)] if rmse else None,
                      jit_compile=False, steps_per_execution=steps_per_execution)
        # Adam's slots exist before fit, so the training step is traced once, not twice
        model.optimizer.build(model.trainable_variables)
        return model

    def _fit(self, train, validation=None, callbacks=None, verbose=0):
        """Train on ``train``; ``validation`` (a ratings table, checked like
        ``train``) is scored after every epoch; ``callbacks`` go to
        ``keras.Model.fit`` (Adam only)."""
        val = validation_arrays(validation, self.columns, self.scale_, self.n_users_,
                                self.n_items_)
        self.mean_ = float(train["rating"].mean())
        seed = run_seed(self.seed)
        if self.solver == "als":
            if callbacks:
                raise ValueError("callbacks need solver='adam': ALS does not run model.fit")
            self.model_ = self.build(self.n_users_, self.n_items_, self.mean_, seed=seed)
            self._fit_als(train, validation, seed)
            return
        _, _, steps = epoch_order(len(train), self.batch_size, 1, seed)
        self.model_ = self.build(self.n_users_, self.n_items_, self.mean_, steps,
                                 rmse=val is not None, seed=seed)
        x = [train["user_id"].to_numpy("int32"), train["item_id"].to_numpy("int32")]
        hist = fit_shuffled(self.model_, x, train["rating"].to_numpy("float32"),
                            epochs=self.epochs, batch_size=self.batch_size, seed=seed,
                            validation_data=val, callbacks=callbacks, verbose=verbose)
        self.history_ = hist.history

    def _fit_als(self, train, validation, seed):
        """Weighted ALS on the Keras loss, loaded into the Keras model."""
        params = als_fit(train, self.n_users_, self.n_items_, n_factors=self.n_factors,
                         l2=self.l2, n_iter=self.epochs, seed=seed,
                         validation=validation, scale=self.scale_, weighted=True)
        self.model_.get_layer("mf").set_parameters(params.user_bias, params.item_bias,
                                                    params.P, params.Q)
        h = params.history  # entry 0 is the initialization
        self.history_ = {"loss": [v / len(train) for v in h["loss"][1:]],
                         "rmse": h["train_rmse"][1:]}
        if "val_rmse" in h:
            self.history_["val_rmse"] = h["val_rmse"][1:]

    def _parameters(self):
        """(mu, b_u, b_i, P, Q) as NumPy arrays, read from the Keras model
        (so training it further is seen by ``predict``)."""
        check_fitted(self, "fit_time_")
        layer = self.model_.get_layer("mf")
        return (layer.mean, *layer.parameters())

    def _predict(self, users, items):
        mu, bu, bi, P, Q = self._parameters()
        return mu + bu[users] + bi[items] + np.sum(P[users] * Q[items], axis=1)

    def score_matrix(self, users=None):
        """Predicted ratings of every item for each of ``users`` (default: all)."""
        users = self._users(users)
        mu, bu, bi, P, Q = self._parameters()
        return mu + bu[users, None] + bi[None, :] + P[users] @ Q.T

    user_bias = property(lambda self: self._parameters()[1],
                         doc="The learned user biases, shape (n_users,).")
    item_bias = property(lambda self: self._parameters()[2],
                         doc="The learned item biases, shape (n_items,).")
    user_factors = property(lambda self: self._parameters()[3],
                            doc="The learned user vectors, shape (n_users, n_factors).")
    item_factors = property(lambda self: self._parameters()[4],
                            doc="The learned item vectors, shape (n_items, n_factors).")

    # ------------------------------------------------------------ saving
    def save(self, path):
        """Save the fitted model to a ``.keras`` file (weights, settings, and
        the items each user rated in training)."""
        check_fitted(self, "fit_time_")
        if not str(path).endswith(".keras"):
            raise ValueError(f"path must end with .keras, got {str(path)!r}")
        layer = self.model_.get_layer("mf")
        layer.recommender_state = dict(
            settings=self._settings(), n_users=self.n_users_, n_items=self.n_items_,
            fit_time=self.fit_time_,
            history={k: [float(v) for v in vs] for k, vs in self.history_.items()},
            rated=self.rated_)
        try:
            self.model_.save(path)
        finally:
            layer.recommender_state = None

    @classmethod
    def load(cls, path):
        """An :class:`MF` read from a file written by :meth:`save`; it
        predicts and recommends exactly as the saved one did."""
        if not os.path.exists(path):
            raise ValueError(f"no such file: {str(path)!r}")
        model = keras.saving.load_model(path)
        try:
            layer = model.get_layer("mf")
        except ValueError:
            layer = None
        state = getattr(layer, "recommender_state", None)
        if state is None:
            raise ValueError(f"{str(path)!r} was not written by MF.save")
        settings = dict(state["settings"])
        if settings["scale"] is not None:
            settings["scale"] = tuple(settings["scale"])
        mf = cls(**settings)
        mf.scale_ = check_scale(mf.scale)
        mf.model_, mf.mean_ = model, float(layer.mean)
        mf.n_users_, mf.n_items_ = int(state["n_users"]), int(state["n_items"])
        mf.items_ = mf.users_ = None
        mf.history_, mf.rated_ = state["history"], state["rated"]
        layer.recommender_state = None
        mf.fit_time_ = float(state["fit_time"])
        return mf
