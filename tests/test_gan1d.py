"""Tests of reclib.gan1d: losses by hand, the optimal discriminator, the
Jensen-Shannon identity, Gumbel-softmax and REINFORCE, the metrics, the model,
and every ValueError path."""
import math

import numpy as np
import pytest
import tensorflow as tf

from reclib import gan1d


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# ---------------------------------------------------------------- losses
def test_losses_live_in_reclib_losses():
    from reclib import losses

    assert gan1d.discriminator_loss is losses.discriminator_loss
    assert gan1d.generator_loss is losses.generator_loss
    assert gan1d.GENERATOR_LOSSES == losses.GENERATOR_LOSSES


def test_losses_at_d_one_half():
    zeros = np.zeros(7, dtype="float32")
    assert float(gan1d.discriminator_loss(zeros, zeros)) == pytest.approx(math.log(4), rel=1e-6)
    assert float(gan1d.generator_loss(zeros)) == pytest.approx(math.log(2), rel=1e-6)
    assert float(gan1d.generator_loss(zeros, "saturating")) == pytest.approx(-math.log(2), rel=1e-6)


def test_discriminator_loss_by_hand():
    real = np.array([2.0, 0.5], dtype="float32")
    fake = np.array([-1.0, 1.5], dtype="float32")
    d_real = [sigmoid(v) for v in real]
    d_fake = [sigmoid(v) for v in fake]
    correct = -np.mean(np.log(d_real)) - np.mean(np.log1p(-np.array(d_fake)))
    wrong = -np.mean(np.log(d_real)) - np.mean(np.log(d_fake))
    assert float(gan1d.discriminator_loss(real, fake, "correct")) == pytest.approx(correct, rel=1e-5)
    assert float(gan1d.discriminator_loss(real, fake, "wrong_sign")) == pytest.approx(wrong, rel=1e-5)
    # the wrong sign is lower when D calls the fakes real: it rewards being fooled
    fooled = np.array([4.0, 4.0], dtype="float32")
    assert float(gan1d.discriminator_loss(real, fooled, "wrong_sign")) < float(
        gan1d.discriminator_loss(real, fake, "wrong_sign")
    )
    assert float(gan1d.discriminator_loss(real, fooled, "correct")) > float(
        gan1d.discriminator_loss(real, fake, "correct")
    )


def test_generator_loss_by_hand():
    fake = np.array([-3.0, 0.0, 2.0], dtype="float32")
    d = np.array([sigmoid(v) for v in fake])
    assert float(gan1d.generator_loss(fake)) == pytest.approx(-np.mean(np.log(d)), rel=1e-5)
    assert float(gan1d.generator_loss(fake, "saturating")) == pytest.approx(
        np.mean(np.log1p(-d)), rel=1e-5
    )


@pytest.mark.parametrize("kind", gan1d.GENERATOR_LOSSES)
def test_generator_logit_gradient_matches_autodiff(kind):
    logits = tf.constant(np.linspace(-6, 6, 13), dtype="float64")
    with tf.GradientTape() as tape:
        tape.watch(logits)
        # mean over n samples -> multiply by n for the per-sample derivative
        loss = gan1d.generator_loss(logits, kind) * 13
    auto = tape.gradient(loss, logits).numpy()
    closed = gan1d.generator_logit_gradient(tf.sigmoid(logits).numpy(), kind)
    np.testing.assert_allclose(auto, closed, atol=1e-9)


def test_saturating_gradient_vanishes_when_d_rejects_fakes():
    ns = abs(gan1d.generator_logit_gradient(0.001, "non_saturating"))
    sat = abs(gan1d.generator_logit_gradient(0.001, "saturating"))
    assert ns > 0.99 and sat < 0.002


# ---------------------------------------------------------------- theory
def test_optimal_discriminator_two_gaussians():
    x = np.linspace(-4, 5, 101)
    p_data = np.exp(-0.5 * x**2)  # N(0, 1), unnormalised: the constant cancels
    p_g = np.exp(-0.5 * (x - 1) ** 2)  # N(1, 1)
    d = gan1d.optimal_discriminator(p_data, p_g)
    # log p_data - log p_g = 0.5 - x  ->  D* = sigmoid(0.5 - x)
    np.testing.assert_allclose(d, 1 / (1 + np.exp(x - 0.5)), rtol=1e-10)
    # and it maximises a log y + b log(1 - y) pointwise
    y = np.linspace(1e-4, 1 - 1e-4, 20001)
    for a, b in zip(p_data[::10], p_g[::10]):
        best = y[np.argmax(a * np.log(y) + b * np.log1p(-y))]
        assert best == pytest.approx(a / (a + b), abs=1e-3)


def test_optimal_discriminator_where_both_densities_vanish():
    assert gan1d.optimal_discriminator([0.0, 1.0], [0.0, 0.0]).tolist() == [0.5, 1.0]


def test_js_divergence_limits_and_identity():
    x = np.linspace(-10, 10, 4001)
    dx = x[1] - x[0]
    p = gan1d.mixture_density(x, [-3.0, 3.0], 0.7)
    q = gan1d.mixture_density(x, [0.0], 1.5)
    assert gan1d.js_divergence(p, p, dx) == pytest.approx(0.0, abs=1e-12)
    left = np.where(x < 0, 1.0, 0.0)
    right = np.where(x > 0, 1.0, 0.0)
    assert gan1d.js_divergence(left, right, dx) == pytest.approx(math.log(2), rel=1e-9)
    # V(D*, G) = -log 4 + 2 JSD(p_data || p_g)
    d = gan1d.optimal_discriminator(p, q)
    value = np.sum(p * np.log(d) + q * np.log1p(-d)) * dx
    assert value == pytest.approx(-math.log(4) + 2 * gan1d.js_divergence(p, q, dx), abs=1e-6)


# ---------------------------------------------------------------- data and metrics
def test_mixture_of_gaussians_moments_and_determinism():
    x = gan1d.mixture_of_gaussians(40_000, [-2.0, 4.0], 0.5, seed=3, weights=[3, 1])
    assert x.shape == (40_000,) and x.dtype == np.float32
    assert x.mean() == pytest.approx(0.75 * -2 + 0.25 * 4, abs=0.05)
    np.testing.assert_array_equal(x, gan1d.mixture_of_gaussians(40_000, [-2.0, 4.0], 0.5, 3, [3, 1]))
    density = gan1d.mixture_density(np.linspace(-10, 10, 2001), [-2.0, 4.0], 0.5, [3, 1])
    assert density.sum() * 0.01 == pytest.approx(1.0, abs=1e-6)


def test_modes_covered_on_handmade_samples():
    means, std = [-4.0, 0.0, 4.0], 0.5
    assert gan1d.modes_covered([-4.1, -3.9, -4.0, -4.2], means, std) == 1
    assert gan1d.modes_covered([-4.0, 0.1, 3.9, 4.2, -0.3, 0.0], means, std) == 3
    # 1 sample in 100 near the third mode: below a quarter of the fair share
    samples = [-4.0] * 50 + [0.0] * 49 + [4.0]
    assert gan1d.modes_covered(samples, means, std) == 2
    np.testing.assert_allclose(gan1d.mode_shares(samples, means, std), [0.5, 0.49, 0.01])
    # samples between modes count for none
    assert gan1d.modes_covered([2.0] * 10, means, std) == 0
    assert gan1d.modes_covered(samples, means, std, min_share=0.005) == 3


# ---------------------------------------------------------------- Gumbel-softmax and REINFORCE
def test_gumbel_softmax_sums_to_one_and_hardens():
    logits = np.array([1.0, 0.0, -1.0, 0.5])
    y = gumbel_soft = gan1d.gumbel_softmax_sample(logits, 1.0, seed=0, size=500)
    assert gumbel_soft.shape == (500, 4)
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-12)
    cold = gan1d.gumbel_softmax_sample(logits, 0.01, seed=0, size=500)
    hot = gan1d.gumbel_softmax_sample(logits, 100.0, seed=0, size=500)
    assert np.mean(cold.max(-1) > 0.99) > 0.95
    assert hot.max(-1).max() < 0.3  # nearly uniform at a high temperature
    # the same noise: the argmax does not depend on the temperature
    np.testing.assert_array_equal(cold.argmax(-1), y.argmax(-1))


def test_gumbel_max_frequencies_match_softmax():
    logits = np.array([1.0, 0.0, -1.0, 0.5])
    p = np.exp(logits) / np.exp(logits).sum()
    y = gan1d.gumbel_softmax_sample(logits, 0.1, seed=1, size=20_000)
    freq = np.bincount(y.argmax(-1), minlength=4) / 20_000
    np.testing.assert_allclose(freq, p, atol=0.02)  # ~6 standard errors


def test_gumbel_softmax_gradient_matches_finite_differences():
    logits = np.array([0.3, -0.2, 0.8])
    rewards = np.array([1.0, -2.0, 0.5])
    tau, eps = 0.7, 1e-6
    grad = gan1d.gumbel_softmax_gradient(logits, rewards, tau, n=4, seed=5)
    for i in range(3):
        step = np.eye(3)[i] * eps
        up = gan1d.gumbel_softmax_sample(logits + step, tau, seed=5, size=4) @ rewards
        down = gan1d.gumbel_softmax_sample(logits - step, tau, seed=5, size=4) @ rewards
        np.testing.assert_allclose(grad[:, i], (up - down) / (2 * eps), atol=1e-6)


def test_reinforce_is_unbiased_and_baseline_cuts_variance():
    logits = np.array([1.0, 0.5, -0.5, -1.0])
    rewards = np.array([1.0, 0.0, 0.5, 3.0])
    p = np.exp(logits) / np.exp(logits).sum()
    true = p * (rewards - p @ rewards)
    plain = gan1d.reinforce_gradient(logits, rewards, 40_000, seed=2)
    based = gan1d.reinforce_gradient(logits, rewards, 40_000, seed=2, baseline=p @ rewards)
    for g in (plain, based):
        se = g.std(0) / np.sqrt(len(g))
        assert np.all(np.abs(g.mean(0) - true) < 5 * se + 1e-12)
    assert based.var(0).sum() < 0.8 * plain.var(0).sum()


# ---------------------------------------------------------------- the model
def test_gan1d_trains_and_logs_every_step():
    data = gan1d.mixture_of_gaussians(512, [-4.0, 0.0, 4.0], 0.5, seed=0)
    gan = gan1d.make_gan1d(seed=1, minibatch_feature=True, hidden=8)
    history = gan1d.train_gan1d(gan, data, steps=12, batch_size=32, seed=1)
    assert list(history.columns) == ["step", "d_loss", "g_loss", "d_acc", "d_real", "d_fake"]
    assert len(history) == 12 and np.isfinite(history.to_numpy()).all()
    # the first step's D loss is about log 4: D starts near 1/2 everywhere
    assert history.d_loss.iloc[0] == pytest.approx(math.log(4), abs=0.5)
    samples = gan.generate(100, seed=0)
    assert samples.shape == (100,)
    np.testing.assert_array_equal(samples, gan.generate(100, seed=0))
    assert 0.0 <= gan1d.discriminator_accuracy(gan, data[:100], samples) <= 1.0
    # GAN1D is an ordinary Keras model: fit drives the same train_step
    logs = gan.fit(data[:128], batch_size=32, epochs=1, verbose=0).history
    assert {"d_loss", "g_loss", "d_acc"} <= set(logs) and np.isfinite(logs["d_loss"][0])


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gan1d.mixture_of_gaussians(0, [0.0], 1.0), "n must be an integer >= 1"),
        (lambda: gan1d.mixture_of_gaussians(-3, [0.0], 1.0), "n must be an integer >= 1"),
        (lambda: gan1d.mixture_of_gaussians(10, [], 1.0), "means is empty"),
        (lambda: gan1d.mixture_of_gaussians(10, [0.0], 0.0), "std must be a positive"),
        (lambda: gan1d.mixture_of_gaussians(10, [0.0, 1.0], 1.0, weights=[1.0]), "weights has 1"),
        (lambda: gan1d.modes_covered([1.0], [], 1.0), "means is empty"),
        (lambda: gan1d.modes_covered([], [0.0], 1.0), "samples is empty"),
        (lambda: gan1d.gumbel_softmax_sample([1.0, 2.0], 0.0), "temperature must be positive"),
        (lambda: gan1d.gumbel_softmax_sample([1.0, 2.0], -1.0), "temperature must be positive"),
        (lambda: gan1d.gumbel_softmax_gradient([1.0], [1.0], 0.0, 5), "temperature must be positive"),
        (lambda: gan1d.discriminator_loss(np.zeros(2), np.zeros(2), "article"), "discriminator.loss.* must be one of"),
        (lambda: gan1d.generator_loss(np.zeros(2), "minimax"), "generator.loss.* must be one of"),
        (lambda: gan1d.generator_logit_gradient(0.5, "nonsaturating"), "generator.loss.* must be one of"),
        (lambda: gan1d.make_gan1d(generator_loss="wgan"), "generator.loss.* must be one of"),
        (lambda: gan1d.make_gan1d(discriminator_loss="flipped"), "discriminator.loss.* must be one of"),
        (lambda: gan1d.make_gan1d(d_learning_rate=0.0), "learning rates must be positive"),
        (lambda: gan1d.js_divergence([1.0, 0.0], [1.0], 0.1), "different shapes"),
        (lambda: gan1d.optimal_discriminator([-1.0], [1.0]), "non-negative"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_train_gan1d_rejects_empty_data_and_bad_steps():
    gan = gan1d.make_gan1d(hidden=4)
    with pytest.raises(ValueError, match="data is empty"):
        gan1d.train_gan1d(gan, [], steps=3)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        gan1d.train_gan1d(gan, [0.0, 1.0], steps=0)
