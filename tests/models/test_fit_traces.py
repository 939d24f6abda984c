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


def test_fit_shuffled_drops_the_message_during_fit_only():
    """Whether TensorFlow itself warns depends on what ran before in the process (its detector
    counts calls of every Keras model's functions together), so the test logs the message
    itself, from inside ``fit``, and listens on the ``tensorflow`` logger (which does not pass
    its records to the root logger that pytest's caplog watches)."""
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    logger, keep = logging.getLogger("tensorflow"), _Keep()
    retrace = f"5 out of the last 5 calls to <function f> {RETRACING_MESSAGE}."

    class LogDuringFit(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            logger.warning(retrace)
            logger.warning("another warning")

    level = logger.level
    logger.addHandler(keep)
    logger.setLevel(logging.WARNING)
    try:
        fit_shuffled(_tiny_model(0), x, x.sum(1), epochs=1, batch_size=40, seed=0, verbose=0,
                     callbacks=[LogDuringFit()])
        during = list(keep.messages)
        logger.warning(retrace)
        after = keep.messages[len(during):]
    finally:
        logger.removeHandler(keep)
        logger.setLevel(level)
    assert during == ["another warning"]
    assert after == [retrace]
