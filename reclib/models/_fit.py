"""``keras.Model.fit`` with our own seeded shuffling.

``model.fit(shuffle=True)`` shuffles with TensorFlow's global random state,
so a run is repeatable only after ``keras.utils.set_random_seed``, which
also reseeds the caller's NumPy and Python generators. Instead the rows of
every epoch are put in order up front with a NumPy ``Generator`` of our own,
and Keras reads them as one stream (``steps_per_epoch`` keeps its iterator
across epochs), so there is no per-epoch Python work either.
"""
from __future__ import annotations

import contextlib
import logging

import numpy as np

RETRACING_MESSAGE = "triggered tf.function retracing"


class _NoRetracingWarning(logging.Filter):
    def filter(self, record):
        return RETRACING_MESSAGE not in record.getMessage()


@contextlib.contextmanager
def new_model_traces():
    """Inside the block, TensorFlow's "triggered tf.function retracing" warning is dropped.

    For the ``fit`` of a model: each Keras model traces its own train and test functions on
    their first calls, and TensorFlow counts traces per Python function *code*, which every
    Keras model shares. A notebook that builds and fits several models in a row (one per
    world size, one per setting) gets the warning although no model traces a function twice
    for a new shape. Only that one message of the ``tensorflow`` logger is dropped, only
    during the block; every other message still shows, and so does the warning anywhere else
    (a ``predict`` called at growing shapes, say).
    """
    logger = logging.getLogger("tensorflow")
    quiet = _NoRetracingWarning()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def validation_arrays(validation, columns, scale, n_users, n_items):
    """``([user ids, item ids], ratings)`` of a validation ratings table, checked like
    the training table, in the form ``keras.Model.fit(validation_data=...)`` takes;
    None for None."""
    from reclib.checks import check_pairs, check_ratings

    if validation is None:
        return None
    check_ratings(validation, columns, scale=scale, name="validation ratings")
    vu, vi = check_pairs(validation["user_id"], validation["item_id"], n_users, n_items)
    return ([vu.astype("int32"), vi.astype("int32")], validation["rating"].to_numpy("float32"))


def run_seed(seed):
    """``seed``, or for ``seed=None`` a fresh one from the operating system
    (never drawn from NumPy's or Python's global generators, which Keras
    would otherwise use for an unseeded initializer)."""
    return int(np.random.default_rng().integers(2 ** 20)) if seed is None else int(seed)


def epoch_order(n, batch_size, epochs, seed):
    """Row indices for ``epochs`` shuffled passes over ``n`` rows, cut into
    full batches: ``(order, batch_size, steps_per_epoch)``. Each epoch is a
    fresh permutation; its last batch is completed from the next one."""
    batch_size = min(batch_size, n)
    steps = -(-n // batch_size)
    total = epochs * steps * batch_size
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(-(-total // n))])[:total]
    return order, batch_size, steps


def fit_shuffled(model, x, y, *, epochs, batch_size, seed, sample_weight=None, **fit_kwargs):
    """``model.fit`` on ``x`` (an array or a list of arrays), ``y`` and
    ``sample_weight``, shuffled by :func:`epoch_order`. Returns the History.
    (TensorFlow's retracing warning is off during the fit: :func:`new_model_traces`.)"""
    order, batch_size, steps = epoch_order(len(y), batch_size, epochs, seed)
    xs = [a[order] for a in x] if isinstance(x, (list, tuple)) else x[order]
    weight = None if sample_weight is None else sample_weight[order]
    with new_model_traces():
        return model.fit(xs, y[order], sample_weight=weight, batch_size=batch_size,
                         epochs=epochs, steps_per_epoch=steps, shuffle=False, **fit_kwargs)
