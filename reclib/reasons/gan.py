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

   ``L_G`` is the non-saturating generator loss. Words are discrete, so the
   generator's sentence is drawn with the Gumbel-softmax trick: at each step
   ``y = softmax((logits + g) / tau)`` with Gumbel noise ``g``; with
   ``straight_through=True`` the forward pass uses the one-hot ``argmax(y)``
   (what the discriminator sees looks exactly like a real sentence) and the
   backward pass the gradient of ``y``. The next decoder input is ``y @ E``,
   the (soft) word embedding, so gradients flow through the whole sentence.
   The MLE term keeps the generator close to the data, as many text GANs do
   (without it, text GANs tend to collapse; Caccia et al., "Language GANs
   Falling Short", ICLR 2020, find that a well-tuned MLE model with a lower
   sampling temperature is hard to beat).

The training loop is a plain ``tf.GradientTape`` loop; ``history_`` records the
losses of every step.
"""
from __future__ import annotations

import time

import numpy as np

import reclib  # noqa: F401
import keras
import tensorflow as tf
from keras import layers, ops

from reclib.data.shopsim import ASPECTS
from reclib.gan1d import discriminator_loss, generator_loss
from reclib.reasons._common import check_fraction, check_int, masked_ce, train_loop
from reclib.reasons.seq2seq import Seq2SeqReasons


class ReasonDiscriminator(keras.Model):
    """D(user, item, aspect, sentiment, sentence) -> logit that the sentence is real.

    The sentence is a (B, T, V) array of one-hot (or soft) tokens, zero after
    the end of the sentence; a bias-free Dense layer embeds it (a soft
    embedding lookup), a 1-D convolution with max-pooling over time reads it,
    and an MLP combines it with the user and item (and grounding) embeddings.
    """

    def __init__(self, n_users, n_items, vocab_size, emb_dim=32, filters=64, kernel_size=3,
                 grounded=False, **kw):
        super().__init__(**kw)
        self.grounded = grounded
        self.tok_emb = layers.Dense(emb_dim, use_bias=False, name="token_emb")
        self.conv = layers.Conv1D(filters, kernel_size, padding="same", activation="relu",
                                  name="conv")
        self.user_emb = layers.Embedding(n_users, emb_dim, name="user_emb")
        self.item_emb = layers.Embedding(n_items, emb_dim, name="item_emb")
        if grounded:
            self.aspect_emb = layers.Embedding(len(ASPECTS), emb_dim, name="aspect_emb")
            self.sentiment_emb = layers.Embedding(3, emb_dim, name="sentiment_emb")
        self.hidden = layers.Dense(64, activation="relu", name="hidden")
        self.out = layers.Dense(1, name="logit")

    def call(self, inputs, training=False):
        u, i, a, s, y = inputs
        h = ops.max(self.conv(self.tok_emb(y)), axis=1)
        parts = [h, self.user_emb(u), self.item_emb(i)]
        if self.grounded:
            parts.append(self.aspect_emb(a) + self.sentiment_emb(s))
        return self.out(self.hidden(ops.concatenate(parts, axis=-1)))[:, 0]


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
        ``g_steps`` G updates).
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
        self.adv_steps = check_int("adv_steps", adv_steps, 0)
        self.adv_batch_size = check_int("adv_batch_size", adv_batch_size)
        self.d_steps = check_int("d_steps", d_steps)
        self.g_steps = check_int("g_steps", g_steps)
        for name, lr in (("d_learning_rate", d_learning_rate),
                         ("g_learning_rate", g_learning_rate)):
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or lr <= 0:
                raise ValueError(f"{name} must be a positive number, got {lr!r}")
        self.d_learning_rate, self.g_learning_rate = float(d_learning_rate), float(g_learning_rate)
        if isinstance(mle_weight, bool) or not isinstance(mle_weight, (int, float)) \
                or mle_weight < 0:
            raise ValueError(f"mle_weight must be a number >= 0, got {mle_weight!r}")
        self.mle_weight = float(mle_weight)
        self.gumbel_temperature = check_fraction("gumbel_temperature", gumbel_temperature,
                                                 1e-3, 100.0)
        self.straight_through = bool(straight_through)
        self.d_filters = check_int("d_filters", d_filters)

    # ------------------------------------------------------------ fit
    def fit(self, train, items, users=None, pretrained=None):
        """Pre-train by MLE (or start from ``pretrained``, a fitted
        :class:`Seq2SeqReasons` with the same ``grounded`` setting, whose
        weights are copied and left unchanged), then fine-tune adversarially.
        Returns self."""
        t0 = self._fit_start()
        if pretrained is not None:
            if not isinstance(pretrained, Seq2SeqReasons) or not hasattr(pretrained, "net_"):
                raise ValueError("pretrained must be a fitted Seq2SeqReasons")
            if pretrained.grounded != self.grounded:
                raise ValueError(f"pretrained.grounded={pretrained.grounded} but this GAN has "
                                 f"grounded={self.grounded}")
            for k in ("emb_dim", "hidden", "rnn", "item_attributes", "max_len"):
                setattr(self, k, getattr(pretrained, k))
            data = self._prepare(train, items, users, vocab=pretrained.vocab_)
            if (self.n_users_, self.n_items_) != (pretrained.n_users_, pretrained.n_items_):
                raise ValueError("pretrained was fitted with different numbers of users/items")
            self.net_ = self._build()
            self.net_.set_weights(pretrained.net_.get_weights())
            self.pretrain_history_ = {}
        else:
            data = self._prepare(train, items, users)
            self.net_ = self._build()
            arrays = [data[k] for k in ("u", "i", "a", "s", "tok_in", "tok_out", "r")]
            self.pretrain_history_ = train_loop(
                self._loss, self.net_.trainable_variables, arrays, self.pretrain_epochs,
                self.batch_size, self.learning_rate, self.seed)
        self._compile_decoding()
        t1 = time.perf_counter()
        self._adversarial(data)
        self.adv_time_ = time.perf_counter() - t1
        self.fit_time_ = time.perf_counter() - t0
        return self

    def _adversarial(self, data):
        net, V = self.net_, len(self.vocab_)
        T, bos, eos = self.max_len, self.vocab_.bos_id, self.vocab_.eos_id
        D = ReasonDiscriminator(self.n_users_, self.n_items_, V, filters=self.d_filters,
                                grounded=self.grounded)
        z = np.zeros((1,), np.int32)
        D((z, z, z, z, np.zeros((1, T, V), np.float32)))
        self.discriminator_ = D
        d_opt = keras.optimizers.Adam(self.d_learning_rate, beta_1=0.5)
        g_opt = keras.optimizers.Adam(self.g_learning_rate, beta_1=0.5)
        # only what the sentence depends on (the rating head gets no gradient)
        g_vars = [v for v in net.trainable_variables if "rating" not in v.path]
        d_opt.build(D.trainable_variables)
        g_opt.build(g_vars)
        noise = keras.random.SeedGenerator(self.seed)
        tau, hard = self.gumbel_temperature, self.straight_through
        mle_weight = self.mle_weight

        def rollout(u, i, a, s):
            """Generate (B, T, V) Gumbel-softmax tokens, zeroed after <eos>."""
            states, ctx = net.encode(u, i, a, s)
            n = ops.shape(u)[0]
            x = net.word_emb(ops.full((n,), bos, dtype="int32"))
            alive = ops.ones((n, 1))
            emb = net.word_emb.embeddings
            ys = []
            for _ in range(T):
                logits, states = net.step(x, states, ctx)
                g = -ops.log(-ops.log(keras.random.uniform(ops.shape(logits), 1e-10, 1.0,
                                                           seed=noise)))
                y = ops.softmax((logits + g) / tau, axis=-1)
                if hard:
                    y_hard = ops.one_hot(ops.argmax(y, axis=-1), V)
                    y = y + ops.stop_gradient(y_hard - y)
                ys.append(y * alive)
                alive = alive * (1.0 - y[:, eos:eos + 1])
                x = ops.matmul(y, emb)
            return ops.stack(ys, axis=1)

        def real_tokens(tok_out):
            keep = ops.cast(ops.not_equal(tok_out, 0), "float32")[..., None]
            return ops.one_hot(tok_out, V) * keep

        @tf.function(reduce_retracing=True, autograph=False)
        def d_step(u, i, a, s, tok_out):
            fake = ops.stop_gradient(rollout(u, i, a, s))
            with tf.GradientTape() as tape:
                real_logit = D((u, i, a, s, real_tokens(tok_out)), training=True)
                fake_logit = D((u, i, a, s, fake), training=True)
                loss = discriminator_loss(real_logit, fake_logit, kind="correct")
            grads = tape.gradient(loss, D.trainable_variables)
            d_opt.apply_gradients(zip(grads, D.trainable_variables))
            return loss, ops.mean(ops.sigmoid(real_logit)), ops.mean(ops.sigmoid(fake_logit))

        @tf.function(reduce_retracing=True, autograph=False)
        def g_step(u, i, a, s, tok_in, tok_out):
            with tf.GradientTape() as tape:
                fake_logit = D((u, i, a, s, rollout(u, i, a, s)), training=False)
                adv = generator_loss(fake_logit, kind="non_saturating")
                logits, _ = net((u, i, a, s, tok_in), training=True)
                mle, _ = masked_ce(logits, tok_out)
                loss = adv + mle_weight * mle
            grads = tape.gradient(loss, g_vars)
            g_opt.apply_gradients(zip(grads, g_vars))
            return adv, mle

        rng = np.random.default_rng([self.seed, 1])
        keys = ("d_loss", "g_loss", "mle_loss", "d_real", "d_fake")
        self.history_ = {k: [] for k in keys}
        n = len(data["u"])

        def batch():
            idx = rng.integers(0, n, self.adv_batch_size)
            return [tf.convert_to_tensor(data[k][idx])
                    for k in ("u", "i", "a", "s", "tok_in", "tok_out")]

        for _ in range(self.adv_steps):
            for _ in range(self.d_steps):
                u, i, a, s, _, tok_out = batch()
                d_loss, d_real, d_fake = d_step(u, i, a, s, tok_out)
            for _ in range(self.g_steps):
                u, i, a, s, tok_in, tok_out = batch()
                g_loss, mle = g_step(u, i, a, s, tok_in, tok_out)
            for k, v in zip(keys, (d_loss, g_loss, mle, d_real, d_fake)):
                self.history_[k].append(float(v))

    def discriminator_param_count(self):
        """Number of weights of the discriminator."""
        self._check_fitted()
        return int(self.discriminator_.count_params())

    def discriminate(self, users, items, texts, aspects=None):
        """D's probability that each text is a real review of its pair."""
        u, i, a, s = self._query(users, items, aspects)
        if isinstance(texts, str) or len(list(texts)) != len(u):
            raise ValueError("texts must be a list with one text per pair")
        tok = self.vocab_.encode_batch(list(texts), max_len=self.max_len + 1, add_bos=True,
                                       add_eos=True)[:, 1:]
        y = np.eye(len(self.vocab_), dtype=np.float32)[tok] * (tok != 0)[..., None]
        logit = self.discriminator_((u, i, a, s, y), training=False)
        return ops.convert_to_numpy(ops.sigmoid(logit)).astype(float)
