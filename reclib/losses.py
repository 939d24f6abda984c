"""The GAN losses, written from the discriminator's logits.

``D(x) = sigmoid(logit)``; ``-log sigmoid(l) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)`` keep the computation stable for large
logits. Both functions take NumPy arrays or tensors of any Keras backend
(they use ``keras.ops`` only) and return a scalar of the same kind.

Chapter 5's 1-D GAN (:mod:`reclib.gan1d`) and the text GAN of chapter 7
(:mod:`reclib.reasons.gan`) train with them.
"""
from __future__ import annotations

import reclib  # noqa: F401  (sets the Keras backend)
import keras

from reclib.checks import check_choice

GENERATOR_LOSSES = ("non_saturating", "saturating")
DISCRIMINATOR_LOSSES = ("correct", "wrong_sign")


def discriminator_loss(real_logits, fake_logits, kind="correct"):
    """Discriminator loss from logits, ``D = sigmoid(logit)``.

    ``kind="correct"``:   ``L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]``.
    ``kind="wrong_sign"``: the source article's
    ``L_D = -E_x[log D(x)] - E_z[log D(G(z))]``, which rewards the
    discriminator for calling generated samples real.
    """
    check_choice("discriminator loss kind", kind, DISCRIMINATOR_LOSSES)
    real_term = keras.ops.mean(keras.ops.softplus(-real_logits))
    if kind == "correct":
        fake_term = keras.ops.mean(keras.ops.softplus(fake_logits))
    else:
        fake_term = keras.ops.mean(keras.ops.softplus(-fake_logits))
    return real_term + fake_term


def generator_loss(fake_logits, kind="non_saturating"):
    """Generator loss from the discriminator's logits on generated samples.

    ``kind="non_saturating"``: ``L_G = -E_z[log D(G(z))]`` (what is used in
    practice). ``kind="saturating"``: ``L_G = E_z[log(1 - D(G(z)))]``, the
    minimax objective itself, whose gradient vanishes when D rejects the fakes.
    """
    check_choice("generator loss kind", kind, GENERATOR_LOSSES)
    if kind == "non_saturating":
        return keras.ops.mean(keras.ops.softplus(-fake_logits))
    return -keras.ops.mean(keras.ops.softplus(fake_logits))
