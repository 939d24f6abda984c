"""reclib.models._fit.new_model_traces: the retracing warning of a model's first traces is
dropped during fit, nothing else is, and nowhere else (issue 14: no TensorFlow warning on
the book's pages)."""
import logging

import keras
import numpy as np

from reclib.models._fit import RETRACING_MESSAGE, fit_shuffled, new_model_traces


def _record(msg):
    return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, msg, None, None)


def test_only_the_retracing_message_is_dropped_and_only_inside():
    logger = logging.getLogger("tensorflow")
    with new_model_traces():
        assert not logger.filter(_record(f"5 out of the last 9 calls to f {RETRACING_MESSAGE}."))
        assert logger.filter(_record("some other TensorFlow warning"))
    assert logger.filter(_record(f"5 out of the last 9 calls to f {RETRACING_MESSAGE}."))
    assert not logger.filters


def _tiny_model(seed):
    keras.utils.set_random_seed(seed)  # test-local: the test owns the global state
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_six_new_models_fitted_in_a_row():
    """(TensorFlow's logger does not pass its records to the root logger, so pytest's caplog
    would see nothing: the test listens on the ``tensorflow`` logger itself.)"""
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = x.sum(1)
    logger, keep = logging.getLogger("tensorflow"), _Keep()
    logger.addHandler(keep)
    try:
        # one step per fit (as MF, which runs an epoch per call): six first traces in six calls
        for seed in range(6):   # plain fit: TensorFlow warns (so the check below can fail)
            _tiny_model(seed).fit(x, y, epochs=1, batch_size=40, verbose=0)
        plain = [m for m in keep.messages if RETRACING_MESSAGE in m]
        keep.messages.clear()
        for seed in range(6):
            fit_shuffled(_tiny_model(seed), x, y, epochs=1, batch_size=40, seed=seed, verbose=0)
        ours = [m for m in keep.messages if RETRACING_MESSAGE in m]
    finally:
        logger.removeHandler(keep)
    assert plain, "TensorFlow did not warn on plain fits: this test would show nothing"
    assert ours == []
