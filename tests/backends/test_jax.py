"""The models use ``keras.ops`` and ``model.fit`` (``compute_loss``
overrides), so they are not tied to TensorFlow: train them on the JAX
backend too (in a fresh process, since the backend is fixed when Keras is
imported). The text GAN needs TensorFlow (its ``train_step`` uses
``tf.GradientTape``)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jax")
SCRIPT = Path(__file__).with_name("jax_models.py")


@pytest.fixture(scope="module")
def jax_run():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_runs_on_jax(jax_run):
    assert jax_run["backend"] == "jax"


def test_mf_learns_on_jax(jax_run):
    loss = jax_run["mf_loss"]
    assert loss[-1] < loss[0]
    assert jax_run["mf_rmse"] < jax_run["mean_rmse"] - 0.05


def test_two_tower_trains_on_jax(jax_run):
    loss = jax_run["two_tower_loss"]
    assert all(map(lambda x: x == x, loss)) and loss[-1] < loss[0]
    assert jax_run["two_tower_top_rated"] == 0   # rated items are never recommended


@pytest.mark.parametrize("name", ["seq2seq", "transformer"])
def test_generator_trains_and_decodes_on_jax(jax_run, name):
    nll = jax_run[name]["nll"]
    assert len(nll) == 3 and nll[-1] < nll[0]
    texts = jax_run[name]["texts"]
    assert len(texts) == 3 and all(isinstance(t, str) and t for t in texts)
