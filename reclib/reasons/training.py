"""Training the neural reason generators with ``keras.Model.fit``.

Each generator's network (a ``keras.Model``) computes its loss in
``compute_loss`` and reports every term through ``keras.metrics.Mean``
trackers, so the standard ``fit`` loop trains it and callbacks
(``EarlyStopping``, ``History``) see every term. What this module adds:

* :func:`epoch_rows`, the order of the training reviews, a fresh
  permutation each epoch from a NumPy generator seeded by the generator's
  ``seed`` (``fit``'s own ``shuffle=True`` would draw from the global random
  state, which a library must not depend on or reseed);
* :func:`fit_net`, which calls ``fit`` in that order and returns the history;
* :func:`masked_ce`, the token cross-entropy every network uses.

Nothing here is tied to TensorFlow: ``compute_loss`` overrides run on any
Keras backend.
"""
from __future__ import annotations

import math

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras

from reclib.checks import check_int, check_seed
from reclib.models._fit import new_model_traces

#: Inputs and targets of a batch, in the order the networks take them.
INPUTS = ("u", "i", "a", "s", "tok_in")
TARGETS = ("tok_out", "r")


def masked_ce(logits, targets, pad_id=0):
    """Mean token cross-entropy of ``logits`` (B, T, V) against ``targets`` (B, T),
    ignoring ``pad_id`` positions, and the number of counted tokens."""
    ce = keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    mask = keras.ops.cast(keras.ops.not_equal(targets, pad_id), ce.dtype)
    n = keras.ops.maximum(keras.ops.sum(mask), 1.0)
    return keras.ops.sum(ce * mask) / n, n


def epoch_rows(n, batch_size, epochs, seed):
    """Row indices for ``epochs`` passes over ``n`` rows, each in a fresh
    random order (epoch ``e`` is ``default_rng([seed, e]).permutation(n)``),
    and ``steps_per_epoch``. Each epoch's last batch is completed with the
    first rows of the same epoch, so every batch has the same shape and
    ``fit`` traces its train step once (a second trace for a smaller last
    batch costs seconds for an unrolled decoder)."""
    n = check_int("number of training examples", n)
    batch_size = check_int("batch_size", batch_size)
    epochs = check_int("epochs", epochs)
    seed = check_seed(seed)
    if seed is None:  # one fresh seed, then deterministic
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    steps = math.ceil(n / batch_size)
    rows = [np.resize(np.random.default_rng([seed, e]).permutation(n), steps * batch_size)
            for e in range(epochs)]
    return np.concatenate(rows), steps


def _split(data, rows=None):
    pick = (lambda a: a) if rows is None else (lambda a: a[rows])
    return (tuple(pick(np.asarray(data[k])) for k in INPUTS),
            tuple(pick(np.asarray(data[k])) for k in TARGETS))


def fit_net(net, data, epochs, batch_size, seed, validation=None, callbacks=None):
    """Train a compiled network on encoded reviews (a dict of arrays with
    the keys :data:`INPUTS` and :data:`TARGETS`) with ``net.fit``, in the
    order of :func:`epoch_rows`; returns the history, ``{term: [value per
    epoch]}`` (plus ``val_<term>`` with a ``validation`` dict of the same
    kind). The rows of every epoch are laid out up front and ``fit`` reads
    them as one stream (``steps_per_epoch`` keeps its iterator across
    epochs): no Python work per batch, and ``fit``'s own ``shuffle`` (which
    draws from the global random state) is off, and so is TensorFlow's
    retracing warning (:func:`reclib.models._fit.new_model_traces`)."""
    rows, steps = epoch_rows(len(data["u"]), batch_size, epochs, seed)
    x, y = _split(data, rows)
    val = None if validation is None else _split(validation)
    with new_model_traces():
        history = net.fit(x, y, batch_size=batch_size, epochs=epochs, steps_per_epoch=steps,
                          validation_data=val, validation_batch_size=batch_size,
                          callbacks=callbacks, shuffle=False, verbose=0)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}
