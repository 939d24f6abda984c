"""Aspect-aware matrix factorization: a rating model whose own reason names
the aspect that moved its score (Keras 3).

The model predicts

    r_ui ~ mu + b_u + b_i + p_u . q_i  +  sum_a c_a(u, i),
    c_a(u, i) = (beta_a * pref_ua + d_ua) * (sent_ia + e_ia),

where ``pref`` (users x aspects: how often the user writes about each
aspect) and ``sent`` (items x aspects: the mean sentiment of the item's
reviews about it, in [-1, 1]) are the evidence
:func:`reclib.reasons.templates.fit_evidence` estimates from the *training*
reviews, the same evidence the template reasons use. ``beta_a`` (one weight
per aspect), ``d_ua`` (per-user corrections) and ``e_ia`` (per-item
corrections, only on the aspects the item has; ``item_l2=None`` leaves them
out) are learned with the MF part by Adam on the squared error over the
observed ratings, with L2 penalties.

The aspect term is additive, so ``c_a(u, i)`` is exactly the part of the
score that aspect ``a`` contributes (:meth:`AspectMF.contributions`); the
model's own reason names the aspect with the largest contribution
(:meth:`AspectMF.top_aspects`, :meth:`AspectMF.reasons`).
:meth:`AspectMF.counterfactual` scores a pair again with the item's review
evidence about one aspect removed (``sent_ia = 0``); the score changes by
the evidence's share ``(beta_a pref_ua + d_ua) sent_ia``, which is the whole
contribution only without item corrections.

It lives in :mod:`reclib.reasons` (not :mod:`reclib.models`) because it is
built on the reasons' evidence and writes reasons.
"""
from __future__ import annotations

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras
from keras import layers, ops

from reclib.checks import (aspects_of, check_fitted, check_int,
                           check_non_negative, check_pairs, check_positive,
                           check_reviews, check_scale, check_seed)
from reclib.models._fit import epoch_order, fit_shuffled, run_seed, validation_arrays
from reclib.models.mf import ClippedRMSE, MFScore
from reclib.protocol import Reason, Recommender
from reclib.reasons.templates import fit_evidence

__all__ = ["AspectMF", "AspectMFModel", "AspectScore"]

#: The sentence of the model's own reason: the aspect and its share of the score.
REASON_TEMPLATE = ("Recommended mainly for its {aspect}: reviews of its {aspect} are mostly "
                   "{quality}, and in this model that adds {delta:+.2f} stars to your "
                   "predicted rating.")


@keras.saving.register_keras_serializable(package="reclib")
class AspectScore(layers.Layer):
    """Keras layer: (user ids, item ids) -> per-aspect contributions, shape
    ``(batch, n_aspects)``: ``(beta * pref[u] + d[u]) * sent[i]``.

    ``pref`` and ``sent`` are fixed (not trained) tables of evidence;
    ``beta`` (starting at ``beta_init``) and the per-user table ``d``
    (starting at 0, penalized by ``l2`` as a layer loss) are trained.
    """

    def __init__(self, pref, sent, mask=None, l2=0.05, item_l2=None, beta_init=1.0, **kw):
        super().__init__(**kw)
        self.pref_init = np.asarray(pref, dtype="float32")
        self.sent_init = np.asarray(sent, dtype="float32")
        self.mask_init = (np.ones_like(self.sent_init) if mask is None else
                          np.asarray(mask, dtype="float32"))
        self.l2, self.beta_init = float(l2), float(beta_init)
        self.item_l2 = None if item_l2 is None else float(item_l2)
        self.n_users, self.n_aspects = self.pref_init.shape
        self.n_items = self.sent_init.shape[0]

    def build(self, input_shape=None):
        const = keras.initializers.Constant
        self.pref = self.add_weight(shape=self.pref_init.shape, name="pref", trainable=False,
                                    initializer=const(self.pref_init))
        self.sent = self.add_weight(shape=self.sent_init.shape, name="sent", trainable=False,
                                    initializer=const(self.sent_init))
        self.beta = self.add_weight(shape=(self.n_aspects,), name="beta",
                                    initializer=const(self.beta_init))
        self.delta = self.add_weight(shape=(self.n_users, self.n_aspects), name="delta",
                                     initializer="zeros")
        self.mask = self.add_weight(shape=self.mask_init.shape, name="mask", trainable=False,
                                    initializer=const(self.mask_init))
        self.item_delta = self.add_weight(shape=self.sent_init.shape, name="item_delta",
                                          initializer="zeros",
                                          trainable=self.item_l2 is not None)

    def call(self, inputs):
        u, i = inputs
        d = ops.take(self.delta, u, axis=0)
        if self.l2:
            self.add_loss(self.l2 * ops.mean(ops.sum(d * d, axis=1)))
        weight = self.beta[None, :] * ops.take(self.pref, u, axis=0) + d
        score = ops.take(self.sent, i, axis=0)
        if self.item_l2 is not None:
            e = ops.take(self.item_delta, i, axis=0) * ops.take(self.mask, i, axis=0)
            if self.item_l2:
                self.add_loss(self.item_l2 * ops.mean(ops.sum(e * e, axis=1)))
            score = score + e
        return weight * score

    def parameters(self):
        """``(pref, sent, beta, d, e)`` as NumPy arrays (``e``: the learned
        item corrections, masked; zeros when they are off)."""
        pref, sent, beta, d, e, mask = (ops.convert_to_numpy(v).astype(float) for v in (
            self.pref, self.sent, self.beta, self.delta, self.item_delta, self.mask))
        return pref, sent, beta, d, e * mask


class AspectMFModel(keras.Model):
    """The Keras model of :class:`AspectMF`: an :class:`~reclib.models.mf.MFScore`
    plus the summed :class:`AspectScore`; trained on squared error plus the
    layers' L2 penalties."""

    def __init__(self, n_users, n_items, pref, sent, mask=None, n_factors=16, l2=0.12,
                 aspect_l2=0.05, item_l2=None, beta_init=1.0, mean=0.0, seed=None, **kw):
        super().__init__(**kw)
        self.mf = MFScore(n_users, n_items, n_factors, l2, mean, seed=seed, name="mf")
        self.aspect = AspectScore(pref, sent, mask, l2=aspect_l2, item_l2=item_l2,
                                  beta_init=beta_init, name="aspect")

    def build(self, input_shape=None):
        self.mf.build(input_shape)
        self.aspect.build(input_shape)

    def call(self, inputs):
        return self.mf(inputs) + ops.sum(self.aspect(inputs), axis=1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Mean squared error plus the L2 penalties the two layers added."""
        err = ops.mean(ops.square(ops.cast(y, y_pred.dtype) - y_pred))
        penalty = ops.sum(ops.stack(self.losses)) if self.losses else 0.0
        return err + penalty


class AspectMF(Recommender):
    """Matrix factorization plus an aspect term from the training reviews'
    evidence, whose per-aspect parts explain each score.

    Parameters
    ----------
    n_factors, l2, epochs, batch_size, learning_rate : as in :class:`reclib.models.mf.MF`
        The MF part and the training (Adam through ``model.fit``).
    aspect_l2 : float
        L2 penalty (>= 0) on the per-user corrections ``d_ua`` of the aspect weights.
    item_l2 : float or None
        L2 penalty (>= 0) on the per-item corrections ``e_ia`` of the review
        sentiment; None: no item corrections (the aspect term rests on the
        review evidence alone). The defaults of the penalties and of
        ``l2`` were chosen on a validation split carved from the training
        part of ShopSim's default world (chapter 10).
    beta_init : float
        Starting value of the per-aspect weights ``beta_a``.
    prior_strength, shrink : float
        Passed to :func:`reclib.reasons.templates.fit_evidence`.
    seed : int or None
        Seeds the initialization and the shuffling (never the global state).
    scale : reclib.checks.RatingScale or tuple, optional
        The rating scale (default whole stars 1-5).

    ``fit(train, *, items=None, users=None, aspects=None, validation=None,
    verbose=0)`` needs training *reviews* (``user_id, item_id, rating,
    aspect, sentiment``); it sets ``evidence_`` (the
    :class:`~reclib.reasons.templates.Evidence`), ``aspects_``, ``model_``,
    ``history_`` (``loss``; with a validation table also ``val_rmse``) and
    what :class:`reclib.protocol.Recommender` sets. The evidence comes from
    ``train`` alone; nothing else is read at fit time.
    """

    columns = ("user_id", "item_id", "rating", "aspect", "sentiment")

    def __init__(self, n_factors=16, l2=0.3, aspect_l2=5.0, item_l2=0.01, beta_init=1.0,
                 epochs=6, batch_size=1024, learning_rate=0.01, prior_strength=2.0, shrink=2.0,
                 seed=0, scale=None):
        self.n_factors = check_int("n_factors", n_factors)
        self.l2 = check_non_negative("l2", l2)
        self.aspect_l2 = check_non_negative("aspect_l2", aspect_l2)
        self.item_l2 = None if item_l2 is None else check_non_negative("item_l2", item_l2)
        self.beta_init = check_non_negative("beta_init", beta_init)
        self.epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.prior_strength = check_non_negative("prior_strength", prior_strength)
        self.shrink = check_non_negative("shrink", shrink)
        self.seed = check_seed(seed)
        self.scale = scale
        check_scale(scale)

    def fit(self, train, *, items=None, users=None, aspects=None, **options):
        """Fit on training reviews; ``aspects`` is the vocabulary (default:
        the ``aspect`` column's values). Returns ``self``."""
        check_reviews(train, self.columns, aspects=aspects, scale=check_scale(self.scale),
                      name="training reviews")
        self.aspects_ = aspects_of(train, aspects, "training reviews")
        return super().fit(train, items=items, users=users, **options)

    def _fit(self, train, validation=None, verbose=0):
        """Estimate the evidence from ``train``, then train the Keras model;
        ``validation`` (a ratings table) is scored after every epoch."""
        self.evidence_ = fit_evidence(
            train, items=self.items_ if self.items_ is not None else self.n_items_,
            users=self.users_ if self.users_ is not None else self.n_users_,
            aspects=self.aspects_, prior_strength=self.prior_strength, shrink=self.shrink)
        val = validation_arrays(validation, ("user_id", "item_id", "rating"), self.scale_,
                                self.n_users_, self.n_items_)
        self.mean_ = float(train["rating"].mean())
        seed = run_seed(self.seed)
        _, _, steps = epoch_order(len(train), self.batch_size, 1, seed)
        ev = self.evidence_
        mask = np.zeros_like(ev.item_sentiment)
        for i, names in enumerate(ev.item_aspects):
            mask[i, [ev.index(a) for a in names]] = 1.0
        model = AspectMFModel(self.n_users_, self.n_items_, ev.user_pref, ev.item_sentiment,
                              mask, self.n_factors, self.l2, self.aspect_l2, self.item_l2,
                              self.beta_init, self.mean_, seed=seed, name="aspect_mf")
        model.build([(None,), (None,)])
        scale = self.scale_
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      metrics=[ClippedRMSE(scale.low, scale.high)] if val is not None else None,
                      jit_compile=False, steps_per_execution=steps)
        model.optimizer.build(model.trainable_variables)
        x = [train["user_id"].to_numpy("int32"), train["item_id"].to_numpy("int32")]
        hist = fit_shuffled(model, x, train["rating"].to_numpy("float32"), epochs=self.epochs,
                            batch_size=self.batch_size, seed=seed, validation_data=val,
                            verbose=verbose)
        self.model_, self.history_ = model, hist.history

    # ------------------------------------------------------------ scores
    def _parameters(self):
        """``(mu, b_u, b_i, P, Q, pref, sent, beta, d, e)`` as NumPy arrays."""
        check_fitted(self, "fit_time_")
        return (self.model_.mf.mean, *self.model_.mf.parameters(),
                *self.model_.aspect.parameters())

    def _parts(self, users, items, item_sent=None):
        """(MF part, contributions); ``item_sent`` replaces the sentiment rows
        of the pairs' items (one row per pair)."""
        mu, bu, bi, P, Q, pref, s, beta, d, e = self._parameters()
        rows = (s[items] if item_sent is None else item_sent) + e[items]
        mf = mu + bu[users] + bi[items] + np.sum(P[users] * Q[items], axis=1)
        contrib = (beta[None, :] * pref[users] + d[users]) * rows
        return mf, contrib

    def _predict(self, users, items):
        mf, contrib = self._parts(users, items)
        return mf + contrib.sum(axis=1)

    def score_matrix(self, users=None):
        """Predicted ratings of every item for each of ``users`` (default: all)."""
        users = self._users(users)
        mu, bu, bi, P, Q, pref, s, beta, d, e = self._parameters()
        weight = beta[None, :] * pref[users] + d[users]
        return mu + bu[users, None] + bi[None, :] + P[users] @ Q.T + weight @ (s + e).T

    def _pairs(self, users, items):
        check_fitted(self, "fit_time_")
        return check_pairs(users, items, self.n_users_, self.n_items_)

    def mf_part(self, users, items):
        """The MF part of each pair's score, ``mu + b_u + b_i + p_u . q_i``."""
        users, items = self._pairs(users, items)
        return self._parts(users, items)[0]

    def contributions(self, users, items):
        """Each aspect's additive part of each pair's score, shape
        ``(n_pairs, n_aspects)`` (columns in the order of ``aspects_``);
        a row sums to the score minus :meth:`mf_part`."""
        users, items = self._pairs(users, items)
        return self._parts(users, items)[1]

    def top_aspects(self, users, items):
        """Per pair, the aspect with the largest contribution to the score
        (the most positive; an item whose evidence only lowers the score gets
        its least negative aspect), and that contribution: ``(list of str,
        array)``."""
        c = self.contributions(users, items)
        k = np.argmax(c, axis=1)
        return [self.aspects_[j] for j in k], c[np.arange(len(k)), k]

    def counterfactual(self, users, items, aspects):
        """The model's score of each pair with the item's evidence about
        ``aspects[n]`` removed (its sentiment set to 0), everything else
        unchanged."""
        users, items = self._pairs(users, items)
        if isinstance(aspects, str) or len(aspects) != len(users):
            raise ValueError(f"aspects must be a list with one aspect per pair: {len(users)} "
                             f"pairs, got {aspects!r:.60}")
        unknown = [a for a in aspects if a not in self.aspects_]
        if unknown:
            raise ValueError(f"unknown aspect {unknown[0]!r}; known: {list(self.aspects_)}")
        cols = np.array([self.aspects_.index(a) for a in aspects], dtype=int)
        rows = self._parameters()[6][items]
        rows[np.arange(len(items)), cols] = 0.0
        mf, contrib = self._parts(users, items, item_sent=rows)
        return mf + contrib.sum(axis=1)

    def reasons(self, users, items):
        """The model's own reason for each pair: a :class:`~reclib.protocol.Reason`
        naming the aspect that contributes most to its score, with the sign
        of the item's review evidence and the contribution in stars."""
        names, value = self.top_aspects(users, items)
        users, items = self._pairs(users, items)
        sent = self._parameters()[6]
        out = []
        for u, i, a, v in zip(users, items, names, value):
            positive = sent[i, self.aspects_.index(a)] >= 0
            text = REASON_TEMPLATE.format(aspect=a, quality="good" if positive else "poor",
                                          delta=v)
            out.append(Reason(text, [(a, "positive" if positive else "negative")], "aspect"))
        return out

    def count_params(self):
        """Trained weights (MF tables, aspect weights and corrections)."""
        check_fitted(self, "fit_time_")
        return int(sum(np.prod(v.shape) for v in self.model_.trainable_variables))
