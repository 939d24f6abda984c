"""A small, readable 1-D GAN and the pieces chapter 5 derives.

The chapter *The mathematics of GANs* trains a generative adversarial network
(Goodfellow et al., 2014) on a one-dimensional mixture of Gaussians, where every
density can be plotted and every failure can be counted. This module holds the
reusable parts:

* the data: :func:`mixture_of_gaussians` and :func:`mixture_density`;
* the theory: :func:`optimal_discriminator`, :func:`js_divergence`;
* the losses, written from logits: :func:`discriminator_loss` (``"correct"``
  or the article's ``"wrong_sign"``) and :func:`generator_loss`
  (``"non_saturating"`` or ``"saturating"``), defined in :mod:`reclib.losses`
  and re-exported here, with :func:`generator_logit_gradient` giving their
  derivative in closed form;
* the model: :class:`GAN1D`, a ``keras.Model`` with a custom ``train_step`` that
  alternates one discriminator and one generator update, built by
  :func:`make_gan1d` and trained by :func:`train_gan1d`;
* the metrics: :func:`mode_shares`, :func:`modes_covered`,
  :func:`discriminator_accuracy`;
* discrete outputs: :func:`gumbel_softmax_sample`,
  :func:`gumbel_softmax_gradient` and :func:`reinforce_gradient`.

Everything takes a ``seed`` and is deterministic given it (on one machine).
"""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from reclib.checks import check_choice, check_int
from reclib.losses import (DISCRIMINATOR_LOSSES, GENERATOR_LOSSES,  # noqa: F401  (re-exported)
                           discriminator_loss, generator_loss)


# ---------------------------------------------------------------------------
# checks shared by the public functions
# ---------------------------------------------------------------------------
def _check_means_std(means, std):
    means = np.asarray(means, dtype=np.float64).reshape(-1)
    if means.size == 0:
        raise ValueError("means is empty: give at least one mode centre")
    if not np.all(np.isfinite(means)):
        raise ValueError("means contains NaN or infinite values")
    if not np.isfinite(std) or std <= 0:
        raise ValueError(f"std must be a positive number, got {std!r}")
    return means, float(std)


def _check_weights(weights, k):
    if weights is None:
        return np.full(k, 1.0 / k)
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if weights.size != k:
        raise ValueError(f"weights has {weights.size} entries but there are {k} means")
    if np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    return weights / weights.sum()


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def mixture_of_gaussians(n, means, std, seed=0, weights=None):
    """Draw ``n`` points from a 1-D mixture of Gaussians.

    Parameters
    ----------
    n : int
        Number of samples (positive).
    means : sequence of float
        Centres of the K modes (at least one).
    std : float
        Standard deviation shared by every mode (positive).
    seed : int
        Seed of the NumPy generator.
    weights : sequence of float, optional
        Mixture weights (normalised here); equal weights by default.

    Returns
    -------
    numpy.ndarray of shape (n,), dtype float32
    """
    n = check_int("n", n)
    means, std = _check_means_std(means, std)
    weights = _check_weights(weights, means.size)
    rng = np.random.default_rng(seed)
    component = rng.choice(means.size, size=n, p=weights)
    return (means[component] + std * rng.standard_normal(n)).astype(np.float32)


def mixture_density(x, means, std, weights=None):
    """Density of the mixture of :func:`mixture_of_gaussians` at points ``x``."""
    means, std = _check_means_std(means, std)
    weights = _check_weights(weights, means.size)
    x = np.asarray(x, dtype=np.float64)[..., None]
    z = (x - means) / std
    return (weights * np.exp(-0.5 * z**2) / (std * np.sqrt(2 * np.pi))).sum(-1)


# ---------------------------------------------------------------------------
# theory
# ---------------------------------------------------------------------------
def optimal_discriminator(p_data, p_g):
    """The discriminator that maximises the GAN value for a fixed generator.

    ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``, evaluated elementwise on
    density values. Where both densities are zero the value is undefined; we
    return 0.5 there (any value is optimal).
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    if np.any(p_data < 0) or np.any(p_g < 0):
        raise ValueError("densities must be non-negative")
    total = p_data + p_g
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)
    return d


def js_divergence(p, q, dx):
    """Jensen-Shannon divergence (natural log) of two densities on a grid.

    ``p`` and ``q`` are density values on an evenly spaced grid with spacing
    ``dx``; they are renormalised so each integrates to one. The result lies
    in ``[0, log 2]``.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q have different shapes {p.shape} and {q.shape}")
    if dx <= 0:
        raise ValueError(f"dx must be positive, got {dx!r}")
    if np.any(p < 0) or np.any(q < 0) or p.sum() <= 0 or q.sum() <= 0:
        raise ValueError("p and q must be non-negative and not all zero")
    p = p / (p.sum() * dx)
    q = q / (q.sum() * dx)
    m = 0.5 * (p + q)

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])) * dx)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


# ---------------------------------------------------------------------------
# losses: reclib.losses (shared with the text GAN); their derivative in closed form
# ---------------------------------------------------------------------------
def generator_logit_gradient(d_of_g, kind="non_saturating"):
    """Derivative of the per-sample generator loss w.r.t. D's logit.

    With ``D = sigmoid(l)``: non-saturating ``d(-log D)/dl = -(1 - D)``;
    saturating ``d log(1 - D)/dl = -D``. ``d_of_g`` are values of ``D(G(z))``
    in ``[0, 1]``.
    """
    check_choice("generator loss kind", kind, GENERATOR_LOSSES)
    d = np.asarray(d_of_g, dtype=np.float64)
    if np.any((d < 0) | (d > 1)):
        raise ValueError("D(G(z)) values must lie in [0, 1]")
    return -(1.0 - d) if kind == "non_saturating" else -d


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="reclib")
class MinibatchStd(keras.layers.Layer):
    """Append one minibatch statistic to every row of a feature matrix.

    For features ``h`` of shape (batch, F) it computes the standard deviation
    of each feature across the batch, averages them into one number and
    appends it as an extra column (output shape (batch, F + 1)). A
    discriminator that sees it can tell a batch of near-identical (collapsed)
    samples from a varied real batch. This is the minibatch standard deviation
    of Karras et al. (2018), a simple cousin of the minibatch discrimination of
    Salimans et al. (2016).
    """

    def call(self, h):
        std = keras.ops.mean(keras.ops.std(h, axis=0))
        return keras.ops.concatenate([h, keras.ops.zeros_like(h[:, :1]) + std], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


def _mlp(input_dim, hidden, n_layers, out_dim, seed, name, minibatch_feature=False):
    inputs = keras.Input(shape=(input_dim,))
    h = inputs
    for i in range(n_layers):
        h = keras.layers.Dense(
            hidden,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + i),
        )(h)
        h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    if minibatch_feature:
        h = MinibatchStd()(h)
    outputs = keras.layers.Dense(
        out_dim, kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 99)
    )(h)
    return keras.Model(inputs, outputs, name=name)


class GAN1D(keras.Model):
    """A generator and a discriminator on the real line, trained adversarially.

    ``train_step`` follows the keras.io "DCGAN overriding ``train_step``"
    pattern: for each batch of real data it first takes one discriminator step
    on real and generated samples, then one generator step on fresh noise.
    It returns the per-step values of both losses, the discriminator's
    accuracy on the batch (``d_acc``; real counted right when ``D > 0.5``,
    generated when ``D < 0.5``) and the mean ``D`` on real and generated data
    (``d_real``, ``d_fake``).

    Parameters
    ----------
    latent_dim, hidden, n_layers : int
        Noise dimension, width and depth of both networks.
    generator_loss : {"non_saturating", "saturating"}
    discriminator_loss : {"correct", "wrong_sign"}
    minibatch_feature : bool
        Give the discriminator minibatch statistics (:class:`MinibatchStd`).
    seed : int
        Seeds the weight initialisation and the noise stream.
    """

    def __init__(
        self,
        latent_dim=4,
        hidden=32,
        n_layers=2,
        generator_loss="non_saturating",
        discriminator_loss="correct",
        minibatch_feature=False,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_choice("generator_loss", generator_loss, GENERATOR_LOSSES)
        check_choice("discriminator_loss", discriminator_loss, DISCRIMINATOR_LOSSES)
        self.latent_dim = check_int("latent_dim", latent_dim)
        check_int("hidden", hidden)
        check_int("n_layers", n_layers)
        self.generator_loss_kind = generator_loss
        self.discriminator_loss_kind = discriminator_loss
        self.minibatch_feature = bool(minibatch_feature)
        self.seed = int(seed)
        self.generator = _mlp(latent_dim, hidden, n_layers, 1, 1000 * seed + 1, "generator")
        self.discriminator = _mlp(
            1, hidden, n_layers, 1, 1000 * seed + 501, "discriminator", minibatch_feature
        )
        self.noise = keras.random.SeedGenerator(seed)

    def compile(self, d_learning_rate=1e-3, g_learning_rate=1e-3, beta_1=0.5):
        """Create one Adam optimizer per network (no Keras loss: we write our own)."""
        if d_learning_rate <= 0 or g_learning_rate <= 0:
            raise ValueError("learning rates must be positive")
        super().compile()
        self.d_optimizer = keras.optimizers.Adam(d_learning_rate, beta_1=beta_1)
        self.g_optimizer = keras.optimizers.Adam(g_learning_rate, beta_1=beta_1)

    def call(self, z):
        """Map noise ``z`` of shape (batch, latent_dim) to samples (batch, 1)."""
        return self.generator(z)

    def train_step(self, real):
        """One discriminator update, then one generator update."""
        real = tf.reshape(tf.cast(real, "float32"), (-1, 1))
        batch = tf.shape(real)[0]

        z = keras.random.normal((batch, self.latent_dim), seed=self.noise)
        fake = self.generator(z, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, self.discriminator_loss_kind)
        d_vars = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        z = keras.random.normal((batch, self.latent_dim), seed=self.noise)
        with tf.GradientTape() as tape:
            g_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = generator_loss(g_logits, self.generator_loss_kind)
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))

        d_acc = 0.5 * (
            tf.reduce_mean(tf.cast(real_logits > 0, "float32"))
            + tf.reduce_mean(tf.cast(fake_logits < 0, "float32"))
        )
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_acc": d_acc,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }

    def generate(self, n, seed=0):
        """Draw ``n`` samples from the generator as a NumPy vector."""
        n = check_int("n", n)
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        return keras.ops.convert_to_numpy(self.generator(z, training=False)).reshape(-1)

    def discriminate(self, x):
        """``D(x)`` (probabilities) for a vector of points.

        With ``minibatch_feature=True`` the answer depends on the whole batch
        ``x``, as it does in training.
        """
        x = np.asarray(x, dtype="float32").reshape(-1, 1)
        logits = self.discriminator(x, training=False)
        return keras.ops.convert_to_numpy(keras.ops.sigmoid(logits)).reshape(-1)


def make_gan1d(
    generator_loss="non_saturating",
    discriminator_loss="correct",
    minibatch_feature=False,
    d_learning_rate=1e-3,
    g_learning_rate=1e-3,
    latent_dim=4,
    hidden=32,
    n_layers=2,
    seed=0,
):
    """Build and compile a :class:`GAN1D` (see there for the options)."""
    gan = GAN1D(
        latent_dim=latent_dim,
        hidden=hidden,
        n_layers=n_layers,
        generator_loss=generator_loss,
        discriminator_loss=discriminator_loss,
        minibatch_feature=minibatch_feature,
        seed=seed,
    )
    gan.compile(d_learning_rate=d_learning_rate, g_learning_rate=g_learning_rate)
    return gan


_LOG_KEYS = ("d_loss", "g_loss", "d_acc", "d_real", "d_fake")


def _chunk_function(gan):
    """A compiled function running ``gan.train_step`` on a stack of batches.

    Running many steps inside one ``tf.function`` (a ``tf.range`` loop)
    avoids the per-step Python overhead of ``fit`` and still records every
    step's logs in a ``TensorArray``.
    """
    if getattr(gan, "_train_chunk", None) is None:

        @tf.function(input_signature=[tf.TensorSpec((None, None), tf.float32)])
        def train_chunk(batches):
            n = tf.shape(batches)[0]
            logs = tf.TensorArray(tf.float32, size=n)
            for i in tf.range(n):
                out = gan.train_step(batches[i])
                logs = logs.write(i, tf.stack([tf.cast(out[k], tf.float32) for k in _LOG_KEYS]))
            return logs.stack()

        gan._train_chunk = train_chunk
    return gan._train_chunk


def train_gan1d(gan, data, steps=2000, batch_size=128, seed=0, chunk=500):
    """Train ``gan`` on the 1-D samples ``data`` for ``steps`` alternating steps.

    Each step draws a batch of ``batch_size`` real points uniformly (with
    replacement, seeded by ``seed``) and calls ``gan.train_step`` on it: one
    discriminator update, then one generator update. Steps run ``chunk`` at a
    time inside one compiled ``tf.function``. (``gan.fit(data, ...)`` works
    too, as for any Keras model, but logs per epoch and is slower for a model
    this small.)

    Returns a ``pandas.DataFrame`` with one row per step and the columns
    ``step, d_loss, g_loss, d_acc, d_real, d_fake``.
    """
    steps = check_int("steps", steps)
    batch_size = check_int("batch_size", batch_size)
    chunk = check_int("chunk", chunk)
    if not isinstance(gan, GAN1D):
        raise ValueError("gan must be a GAN1D (use make_gan1d)")
    if getattr(gan, "d_optimizer", None) is None:
        raise ValueError("gan is not compiled: call gan.compile(...) or use make_gan1d")
    data = np.asarray(data, dtype="float32").reshape(-1)
    if data.size == 0:
        raise ValueError("data is empty")
    if not np.all(np.isfinite(data)):
        raise ValueError("data contains NaN or infinite values")
    # optimizer variables must exist before the compiled loop runs
    for opt, net in ((gan.d_optimizer, gan.discriminator), (gan.g_optimizer, gan.generator)):
        if not opt.built:
            opt.build(net.trainable_weights)
    run = _chunk_function(gan)
    rng = np.random.default_rng(seed)
    parts, done = [], 0
    while done < steps:
        n = min(chunk, steps - done)
        batches = data[rng.integers(0, data.size, size=(n, batch_size))]
        parts.append(run(tf.constant(batches)).numpy())
        done += n
    history = pd.DataFrame(np.concatenate(parts), columns=list(_LOG_KEYS))
    history.insert(0, "step", np.arange(1, steps + 1))
    return history


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------
def mode_shares(samples, means, std, n_std=3.0):
    """Share of ``samples`` within ``n_std * std`` of each mode centre.

    Returns an array of length K (one share per mode; shares need not sum to
    one: samples far from every mode count for none).
    """
    means, std = _check_means_std(means, std)
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if samples.size == 0:
        raise ValueError("samples is empty")
    if n_std <= 0:
        raise ValueError(f"n_std must be positive, got {n_std!r}")
    near = np.abs(samples[:, None] - means[None, :]) <= n_std * std
    return near.mean(axis=0)


def modes_covered(samples, means, std, n_std=3.0, min_share=None):
    """Number of modes that received a fair part of the samples.

    A mode counts as covered when at least ``min_share`` of the samples lie
    within ``n_std * std`` of its centre. The default ``min_share`` is a
    quarter of the fair share, ``0.25 / K``.
    """
    means, std = _check_means_std(means, std)
    if min_share is None:
        min_share = 0.25 / means.size
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share!r}")
    return int(np.sum(mode_shares(samples, means, std, n_std) >= min_share))


def discriminator_accuracy(gan, real, fake):
    """Accuracy of ``gan``'s discriminator on a batch of real and one of generated points."""
    d_real = gan.discriminate(real)
    d_fake = gan.discriminate(fake)
    return 0.5 * (float(np.mean(d_real > 0.5)) + float(np.mean(d_fake < 0.5)))


# ---------------------------------------------------------------------------
# discrete outputs: Gumbel-softmax and REINFORCE
# ---------------------------------------------------------------------------
def _check_logits_temperature(logits, temperature):
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError("logits must have at least one category on the last axis")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contains NaN or infinite values")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return logits, float(temperature)


def _softmax(a):
    a = a - a.max(axis=-1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=-1, keepdims=True)


def gumbel_softmax_sample(logits, temperature, seed=0, size=None):
    """Relaxed one-hot sample ``softmax((logits + g) / temperature)``.

    ``g`` are i.i.d. standard Gumbel noises ``-log(-log U)``. As the
    temperature goes to zero the sample tends to the one-hot vector of
    ``argmax(logits + g)``, which is an exact sample of the categorical
    distribution ``softmax(logits)`` (the Gumbel-max trick).

    Parameters
    ----------
    logits : array of shape (..., K)
    temperature : float, positive
    seed : int
    size : int, optional
        Number of independent samples; adds a leading axis.

    Returns
    -------
    numpy.ndarray of shape ``logits.shape`` or ``(size, *logits.shape)``
    """
    logits, temperature = _check_logits_temperature(logits, temperature)
    shape = logits.shape if size is None else (check_int("size", size), *logits.shape)
    u = np.random.default_rng(seed).uniform(np.finfo(float).tiny, 1.0, size=shape)
    gumbel = -np.log(-np.log(u))
    return _softmax((logits + gumbel) / temperature)


def gumbel_softmax_gradient(logits, rewards, temperature, n, seed=0):
    """Per-sample Gumbel-softmax estimates of ``d E_k[rewards[k]] / d logits``.

    The objective is ``E_{k ~ softmax(logits)}[rewards[k]]``. The relaxed
    surrogate is ``f(y) = rewards . y`` with ``y`` a Gumbel-softmax sample, and
    its gradient is ``(1/temperature) * y * (rewards - rewards . y)``. Returns an
    array of shape (n, K): one estimate per sample. It is biased for any
    positive temperature; its variance grows as the temperature falls.
    """
    logits, temperature = _check_logits_temperature(logits, temperature)
    if logits.ndim != 1:
        raise ValueError("logits must be a vector for gumbel_softmax_gradient")
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.shape != logits.shape:
        raise ValueError("rewards and logits must have the same length")
    y = gumbel_softmax_sample(logits, temperature, seed=seed, size=n)
    return y * (rewards - (y * rewards).sum(-1, keepdims=True)) / temperature


def reinforce_gradient(logits, rewards, n, seed=0, baseline=0.0):
    """Per-sample REINFORCE (score-function) estimates of ``d E_k[rewards[k]] / d logits``.

    Samples ``k ~ softmax(logits)`` and returns ``(rewards[k] - baseline) *
    d log p_k / d logits = (rewards[k] - baseline) * (onehot(k) - p)``, an
    unbiased estimate for any constant baseline (Williams, 1992). Shape (n, K).
    """
    logits, _ = _check_logits_temperature(logits, 1.0)
    if logits.ndim != 1:
        raise ValueError("logits must be a vector for reinforce_gradient")
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.shape != logits.shape:
        raise ValueError("rewards and logits must have the same length")
    n = check_int("n", n)
    p = _softmax(logits)
    k = np.random.default_rng(seed).choice(logits.size, size=n, p=p)
    onehot = np.eye(logits.size)[k]
    return (rewards[k] - baseline)[:, None] * (onehot - p)
