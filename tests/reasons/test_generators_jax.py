"""The seq2seq and Transformer generators use ``keras.ops`` and train through
``model.fit`` with a ``compute_loss`` override, so they are not tied to
TensorFlow: train and decode them on the JAX backend (in a fresh process,
since the backend is fixed when Keras is imported). The GAN needs
TensorFlow (its ``train_step`` uses ``tf.GradientTape``)."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("jax")

SCRIPT = r"""
import json
import keras
from reclib.data import shopsim
from reclib.reasons.seq2seq import Seq2SeqReasons
from reclib.reasons.transformer import TransformerReasons

w = shopsim.generate(n_users=60, n_items=25, seed=3)
out = {"backend": keras.backend.backend()}
for name, cls, kw in (("seq2seq", Seq2SeqReasons, dict(emb_dim=16, hidden=16)),
                      ("transformer", TransformerReasons,
                       dict(d_model=16, n_heads=2, n_layers=1, d_ff=32))):
    gen = cls(grounded=True, epochs=3, max_len=10, batch_size=32, **kw)
    gen.fit(w.ratings, items=w.items)
    out[name] = {"nll": gen.history_["nll"],
                 "texts": gen.generate([0, 1, 2], [3, 4, 5], aspects=list(gen.aspects_[:3]),
                                       method="sample", seed=1)}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def jax_run():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["seq2seq", "transformer"])
def test_generator_trains_and_decodes_on_jax(jax_run, name):
    assert jax_run["backend"] == "jax"
    nll = jax_run[name]["nll"]
    assert len(nll) == 3 and nll[-1] < nll[0]
    texts = jax_run[name]["texts"]
    assert len(texts) == 3 and all(isinstance(t, str) and t for t in texts)
