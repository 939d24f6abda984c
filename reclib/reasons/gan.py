"""A text GAN for reasons: the seq2seq decoder fine-tuned against a discriminator.

1. **Pre-training.** The generator is the :class:`~reclib.reasons.seq2seq.Seq2SeqReasons`
   decoder, trained by maximum likelihood (or copied from a fitted one).
2. **Adversarial fine-tuning.** A discriminator ``D(user, item, [aspect],
   sentence)`` (a small CNN over embedded one-hot tokens) learns to tell the
   training reviews of a pair from sentences the generator writes for the same
   pair, and the generator learns to fool it. Steps alternate (``d_steps``
   discriminator updates, then ``g_steps`` generator updates) with

       L_D = -E[log D(real)] - E[log(1 - D(fake))]
       L_G = -E[log D(fake)] + mle_weight * (token cross-entropy on real reviews)

   ``L_G`` is the non-saturating generator loss (:mod:`reclib.losses`). Words
   are discrete, so the generator's sentence is drawn with the Gumbel-softmax
   trick: at each step ``y = softmax((logits + g) / tau)`` with Gumbel noise
   ``g``; with ``straight_through=True`` the forward pass uses the one-hot
   ``argmax(y)`` (what the discriminator sees looks exactly like a real
   sentence) and the backward pass the gradient of ``y``. The next decoder
   input is ``y @ E``, the (soft) word embedding, so gradients flow through
   the whole sentence. The MLE term keeps the generator close to the data, as
   many text GANs do (without it, text GANs tend to collapse; Caccia et al.,
   "Language GANs Falling Short", ICLR 2020, find that a well-tuned MLE model
   with a lower sampling temperature is hard to beat).

The adversarial phase goes through ``keras.Model.fit``: :class:`TextGAN`
overrides ``train_step`` as keras.io's GAN examples do, with
``keras.metrics.Mean`` trackers for the losses; each adversarial round is one
Keras epoch, so ``history_`` and callbacks see every round. That
``train_step`` takes two gradients of two losses over two sets of weights
with ``tf.GradientTape``: **this module needs the TensorFlow backend**.
"""
from __future__ import annotations

import time

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras
import tensorflow as tf
from keras import layers, ops

from reclib.checks import (check_bool, check_fitted, check_int, check_non_negative,
                           check_number, check_pairs, check_positive, check_texts)
from reclib.losses import discriminator_loss, generator_loss
from reclib.reasons.base import SeededLayers, SelfBuilding, stream_seed
from reclib.reasons.seq2seq import Seq2SeqNet, Seq2SeqReasons
from reclib.reasons.training import fit_net, masked_ce

_ROUND_INPUTS = ("u", "i", "a", "s", "tok_in", "tok_out")


@keras.saving.register_keras_serializable(package="reclib")
class ReasonDiscriminator(SelfBuilding, keras.Model):
    """D(user, item, aspect, sentiment, sentence) -> logit that the sentence is real.

    The sentence is a (B, T, V) array of one-hot (or soft) tokens, zero after
    the end of the sentence; a bias-free Dense layer embeds it (a soft
    embedding lookup), a 1-D convolution with max-pooling over time reads it,
    and an MLP combines it with the user and item (and grounding) embeddings.
    """

    def __init__(self, n_users, n_items, vocab_size, max_len, n_aspects=1, emb_dim=32,
                 filters=64, kernel_size=3, grounded=False, seed=None, **kw):
        super().__init__(**kw)
        self.n_users, self.n_items, self.vocab_size = n_users, n_items, vocab_size
        self.max_len, self.n_aspects, self.emb_dim = max_len, n_aspects, emb_dim
        self.filters, self.kernel_size = filters, kernel_size
        self.grounded, self.seed = grounded, seed
        init = SeededLayers(seed, 7)


        self.tok_emb = layers.Dense(emb_dim, use_bias=False, kernel_initializer=init(),
                                    name="token_emb")
        self.conv = layers.Conv1D(filters, kernel_size, padding="same", activation="relu",
                                  kernel_initializer=init(), name="conv")
        self.user_emb = init.embedding(n_users, emb_dim, "user_emb")
        self.item_emb = init.embedding(n_items, emb_dim, "item_emb")
        if grounded:
            self.aspect_emb = init.embedding(n_aspects, emb_dim, "aspect_emb")
            self.sentiment_emb = init.embedding(3, emb_dim, "sentiment_emb")
        self.hidden = layers.Dense(64, activation="relu", kernel_initializer=init(),
                                   name="hidden")
        self.out = layers.Dense(1, kernel_initializer=init(), name="logit")

    def get_config(self):
        return dict(super().get_config(), n_users=self.n_users, n_items=self.n_items,
                    vocab_size=self.vocab_size, max_len=self.max_len,
                    n_aspects=self.n_aspects, emb_dim=self.emb_dim, filters=self.filters,
                    kernel_size=self.kernel_size, grounded=self.grounded, seed=self.seed)

    def dummy_inputs(self):
        z = np.zeros((1,), np.int32)
        return (z, z, z, z, np.zeros((1, self.max_len, self.vocab_size), np.float32))

    def call(self, inputs, training=False):
        u, i, a, s, y = inputs
        h = ops.max(self.conv(self.tok_emb(y)), axis=1)
        parts = [h, self.user_emb(u), self.item_emb(i)]
        if self.grounded:
            parts.append(self.aspect_emb(a) + self.sentiment_emb(s))
        return self.out(self.hidden(ops.concatenate(parts, axis=-1)))[:, 0]


class TextGAN(keras.Model):
    """The adversarial phase as a Keras model: ``train_step`` takes
    ``d_steps`` discriminator updates, then ``g_steps`` generator updates.

    Each batch holds ``(d_steps + g_steps) * batch_size`` rows of encoded
    reviews (``u, i, a, s, tok_in, tok_out``): the first ``d_steps`` slices
    feed the discriminator steps, the others the generator steps. The
    generator is a :class:`~reclib.reasons.seq2seq.Seq2SeqNet` (its rating
    head gets no gradient here); its sentences are Gumbel-softmax rollouts.
    Losses and the discriminator's mean outputs are tracked (``d_loss``,
    ``g_loss``, ``mle_loss``, ``d_real``, ``d_fake``).
    """

    def __init__(self, generator, discriminator, bos_id, eos_id, max_len, d_steps=1,
                 g_steps=1, mle_weight=1.0, tau=1.0, straight_through=True, seed=None, **kw):
        super().__init__(**kw)
        self.generator, self.discriminator = generator, discriminator
        self.bos_id, self.eos_id, self.max_len = bos_id, eos_id, max_len
        self.d_steps, self.g_steps = d_steps, g_steps
        self.mle_weight, self.tau, self.straight_through = mle_weight, tau, straight_through
        self.noise = keras.random.SeedGenerator(stream_seed(seed, 8))
        self.trackers = {k: keras.metrics.Mean(name=k)
                         for k in ("d_loss", "g_loss", "mle_loss", "d_real", "d_fake")}
        # only what the sentence depends on (the rating head gets no gradient)
        self.g_vars = [v for v in generator.trainable_variables if "rating" not in v.path]
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, d_optimizer, g_optimizer):
        """One optimizer per network (no Keras loss: the losses are written out)."""
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # the optimizers' variables must exist before fit compiles train_step
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.g_vars)

    def rollout(self, u, i, a, s):
        """Generate (B, T, V) Gumbel-softmax tokens, zeroed after <eos>."""
        net, V = self.generator, self.generator.vocab_size
        states, ctx = net.encode(u, i, a, s)
        n = ops.shape(u)[0]
        x = net.word_emb(ops.full((n,), self.bos_id, dtype="int32"))
        alive = ops.ones((n, 1))
        emb = net.word_emb.embeddings
        ys = []
        for _ in range(self.max_len):
            logits, states = net.step(x, states, ctx)
            g = -ops.log(-ops.log(keras.random.uniform(ops.shape(logits), 1e-10, 1.0,
                                                       seed=self.noise)))
            y = ops.softmax((logits + g) / self.tau, axis=-1)
            if self.straight_through:
                y_hard = ops.one_hot(ops.argmax(y, axis=-1), V)
                y = y + ops.stop_gradient(y_hard - y)
            ys.append(y * alive)
            alive = alive * (1.0 - y[:, self.eos_id:self.eos_id + 1])
            x = ops.matmul(y, emb)
        return ops.stack(ys, axis=1)

    def real_tokens(self, tok_out):
        """One-hot (B, T, V) of real sentences, zero at padding."""
        keep = ops.cast(ops.not_equal(tok_out, 0), "float32")[..., None]
        return ops.one_hot(tok_out, self.generator.vocab_size) * keep

    def train_step(self, data):
        D = self.discriminator
        u, i, a, s, tok_in, tok_out = data[0] if isinstance(data[0], tuple) else data
        b = ops.shape(u)[0] // (self.d_steps + self.g_steps)
        for k in range(self.d_steps):
            sl = slice(k * b, (k + 1) * b)
            fake = ops.stop_gradient(self.rollout(u[sl], i[sl], a[sl], s[sl]))
            with tf.GradientTape() as tape:
                real_logit = D((u[sl], i[sl], a[sl], s[sl], self.real_tokens(tok_out[sl])),
                               training=True)
                fake_logit = D((u[sl], i[sl], a[sl], s[sl], fake), training=True)
                d_loss = discriminator_loss(real_logit, fake_logit, kind="correct")
            grads = tape.gradient(d_loss, D.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, D.trainable_variables))
        for k in range(self.d_steps, self.d_steps + self.g_steps):
            sl = slice(k * b, (k + 1) * b)
            with tf.GradientTape() as tape:
                fake_logit_g = D((u[sl], i[sl], a[sl], s[sl],
                                  self.rollout(u[sl], i[sl], a[sl], s[sl])), training=False)
                g_loss = generator_loss(fake_logit_g, kind="non_saturating")
                logits, _ = self.generator((u[sl], i[sl], a[sl], s[sl], tok_in[sl]),
                                           training=True)
                mle, _ = masked_ce(logits, tok_out[sl])
                loss = g_loss + self.mle_weight * mle
            grads = tape.gradient(loss, self.g_vars)
            self.g_optimizer.apply_gradients(zip(grads, self.g_vars))
        values = {"d_loss": d_loss, "g_loss": g_loss, "mle_loss": mle,
                  "d_real": ops.mean(ops.sigmoid(real_logit)),
                  "d_fake": ops.mean(ops.sigmoid(fake_logit))}
        for k, v in values.items():
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}


class GANReasons(Seq2SeqReasons):
    """Seq2seq reason generator pre-trained by MLE, then fine-tuned adversarially.

    Parameters
    ----------
    grounded, emb_dim, hidden, rnn, item_attributes, rating_weight, max_len, vocab_size,
    max_reviews, batch_size, learning_rate, sentiment_dropout, seed
        As in :class:`~reclib.reasons.seq2seq.Seq2SeqReasons` (used for the
        MLE pre-training).
    pretrain_epochs : int
        Epochs of MLE pre-training (ignored when ``fit`` gets ``pretrained=``).
    adv_steps : int
        Number of adversarial rounds (each: ``d_steps`` D updates, then
        ``g_steps`` G updates; one Keras epoch).
    adv_batch_size : int
    d_steps, g_steps : int
    d_learning_rate, g_learning_rate : float
        Adam learning rates of the adversarial phase.
    mle_weight : float
        Weight of the MLE (teacher-forced cross-entropy) term in the
        generator's adversarial loss; 0 gives a pure GAN.
    gumbel_temperature : float
        ``tau`` of the Gumbel-softmax.
    straight_through : bool
        One-hot forward, soft backward (True), or soft tokens throughout.
    d_filters : int
        Convolution filters of the discriminator.

    ``fit(train, *, items=None, users=None, aspects=None, pretrained=None,
    callbacks=None)``: ``pretrained`` is a fitted :class:`Seq2SeqReasons`
    (same ``grounded`` setting, same aspects and sizes) whose weights are
    copied and left unchanged; ``callbacks`` go to the adversarial ``fit``.

    Attributes (after fit)
    ----------------------
    history_ : dict of lists, one entry per adversarial round: ``d_loss``
        (L_D), ``g_loss`` (non-saturating L_G, adversarial part), ``mle_loss``,
        ``d_real`` and ``d_fake`` (mean D output on real / generated sentences).
    pretrain_history_ : per-epoch MLE losses (empty if ``pretrained`` was given).
    discriminator_ : ReasonDiscriminator
    fit_time_, adv_time_ : seconds (whole fit, adversarial phase).
    """

    def __init__(self, grounded=False, emb_dim=64, hidden=128, rnn="gru",
                 item_attributes=True, rating_weight=0.1, max_len=20, vocab_size=320,
                 max_reviews=20000, pretrain_epochs=2, batch_size=128, learning_rate=3e-3,
                 sentiment_dropout=0.1, adv_steps=150,
                 adv_batch_size=64, d_steps=1, g_steps=1, d_learning_rate=3e-3,
                 g_learning_rate=2e-4, mle_weight=1.0, gumbel_temperature=1.0,
                 straight_through=True, d_filters=64, seed=0):
        super().__init__(grounded=grounded, emb_dim=emb_dim, hidden=hidden, rnn=rnn,
                         item_attributes=item_attributes, rating_weight=rating_weight,
                         max_len=max_len, vocab_size=vocab_size,
                         max_reviews=max_reviews, epochs=pretrain_epochs,
                         batch_size=batch_size, learning_rate=learning_rate,
                         sentiment_dropout=sentiment_dropout, seed=seed)
        self.pretrain_epochs = self.epochs
        self.adv_steps = check_int("adv_steps", adv_steps)
        self.adv_batch_size = check_int("adv_batch_size", adv_batch_size)
        self.d_steps = check_int("d_steps", d_steps)
        self.g_steps = check_int("g_steps", g_steps)
        self.d_learning_rate = check_positive("d_learning_rate", d_learning_rate)
        self.g_learning_rate = check_positive("g_learning_rate", g_learning_rate)
        self.mle_weight = check_non_negative("mle_weight", mle_weight)
        self.gumbel_temperature = check_number("gumbel_temperature", gumbel_temperature,
                                               1e-3, 100.0)
        self.straight_through = check_bool("straight_through", straight_through)
        self.d_filters = check_int("d_filters", d_filters)

    # ------------------------------------------------------------ fit
    def _fit(self, train, pretrained=None, callbacks=None):
        if pretrained is not None:
            if not isinstance(pretrained, Seq2SeqReasons) or not hasattr(pretrained, "net_"):
                raise ValueError("pretrained must be a fitted Seq2SeqReasons")
            if pretrained.grounded != self.grounded:
                raise ValueError(f"pretrained.grounded={pretrained.grounded} but this GAN has "
                                 f"grounded={self.grounded}")
            if (self.n_users_, self.n_items_) != (pretrained.n_users_, pretrained.n_items_):
                raise ValueError("pretrained was fitted with different numbers of users/items")
            if tuple(pretrained.aspects_) != tuple(self.aspects_):
                raise ValueError(f"pretrained was fitted on the aspects {pretrained.aspects_}, "
                                 f"these reviews have {self.aspects_}")
            for k in ("emb_dim", "hidden", "rnn", "item_attributes", "max_len"):
                setattr(self, k, getattr(pretrained, k))
            data = self._prepare(train, vocab=pretrained.vocab_)
            self.net_ = self._compile(Seq2SeqNet.from_config(pretrained.net_.get_config())
                                      .build_now())
            self.net_.set_weights(pretrained.net_.get_weights())
            self.pretrain_history_ = {}
        else:
            data = self._prepare(train)
            self.net_ = self._compile(self._build())
            self.pretrain_history_ = fit_net(self.net_, data, self.pretrain_epochs,
                                             self.batch_size, self.seed)
        self._after_build()
        t1 = time.perf_counter()
        self._adversarial(data, callbacks)
        self.adv_time_ = time.perf_counter() - t1

    def _adversarial(self, data, callbacks=None):
        self.discriminator_ = ReasonDiscriminator(
            self.n_users_, self.n_items_, len(self.vocab_), self.max_len, len(self.aspects_),
            filters=self.d_filters, grounded=self.grounded, seed=self.seed).build_now()
        gan = TextGAN(self.net_, self.discriminator_, self.vocab_.bos_id, self.vocab_.eos_id,
                      self.max_len, self.d_steps, self.g_steps, self.mle_weight,
                      self.gumbel_temperature, self.straight_through, seed=self.seed)
        gan.compile(d_optimizer=keras.optimizers.Adam(self.d_learning_rate, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(self.g_learning_rate, beta_1=0.5))
        # every round's batches drawn up front (with replacement, seeded), in
        # the order D steps then G steps; fit reads one round per epoch
        rows = (self.d_steps + self.g_steps) * self.adv_batch_size
        idx = np.random.default_rng([self.seed or 0, 1]).integers(
            0, len(data["u"]), self.adv_steps * rows)
        x = tuple(data[k][idx] for k in _ROUND_INPUTS)
        history = gan.fit(x, batch_size=rows, epochs=self.adv_steps, steps_per_epoch=1,
                          shuffle=False, callbacks=callbacks, verbose=0)
        self.history_ = {k: [float(v) for v in vals] for k, vals in history.history.items()}

    # ------------------------------------------------------------ the discriminator
    def discriminate(self, users, items, texts, aspects=None):
        """D's probability that each text is a real review of its pair."""
        check_fitted(self, "discriminator_")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        texts = check_texts(texts)
        if len(texts) != len(users):
            raise ValueError(f"texts must hold one text per pair: {len(users)} pairs, "
                             f"{len(texts)} texts")
        u, i, a, s = self._query(users, items, aspects)
        tok = self.vocab_.encode_batch(texts, max_len=self.max_len + 1, add_bos=True,
                                       add_eos=True)[:, 1:]
        y = np.eye(len(self.vocab_), dtype=np.float32)[tok] * (tok != 0)[..., None]
        logit = self.discriminator_((u, i, a, s, y), training=False)
        return ops.convert_to_numpy(ops.sigmoid(logit)).astype(float)

    # ------------------------------------------------------------ saving
    def save(self, path):
        """As :meth:`NeuralReasons.save`, plus the discriminator (``discriminator.keras``)."""
        path = super().save(path)
        self.discriminator_.save(path / "discriminator.keras")
        return path

    def _load_extra(self, path):
        if (path / "discriminator.keras").is_file():
            self.discriminator_ = keras.saving.load_model(path / "discriminator.keras")
