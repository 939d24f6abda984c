"""Train reclib's Keras models (MF, the two-tower model, the seq2seq and
Transformer generators) for a few steps on the JAX backend (run by
tests/backends/test_jax.py in a fresh process with KERAS_BACKEND=jax) and
print one JSON line of what happened."""
import json

import numpy as np

import keras
from reclib.data import shopsim
from reclib.metrics.rating import rmse
from reclib.models.baselines import GlobalMean
from reclib.models.features import FeatureRecommender
from reclib.models.mf import MF
from reclib.reasons.seq2seq import Seq2SeqReasons
from reclib.reasons.transformer import TransformerReasons

out = {"backend": keras.backend.backend()}
w = shopsim.generate(n_users=80, n_items=30, ratings_per_user=8, seed=3)
r = w.ratings
mf = MF(epochs=8, seed=0).fit(r, items=w.items, users=w.users)
out["mf_loss"] = [float(x) for x in mf.history_["loss"]]
out["mf_rmse"] = rmse(r["rating"], mf.predict(r["user_id"], r["item_id"]))
out["mean_rmse"] = rmse(r["rating"], GlobalMean().fit(r).predict(r["user_id"], r["item_id"]))
two = FeatureRecommender(epochs=2, seed=0).fit(r, items=w.items, users=w.users)
out["two_tower_loss"] = [float(x) for x in two.history_["loss"]]
top = two.recommend(0, 5)
out["two_tower_top_rated"] = int(np.isin(top, r.loc[r.user_id == 0, "item_id"]).sum())
small = shopsim.generate(n_users=60, n_items=25, seed=3)   # has reviews
for name, cls, kw in (("seq2seq", Seq2SeqReasons, dict(emb_dim=16, hidden=16)),
                      ("transformer", TransformerReasons,
                       dict(d_model=16, n_heads=2, n_layers=1, d_ff=32))):
    gen = cls(grounded=True, epochs=3, max_len=10, batch_size=32, **kw)
    gen.fit(small.ratings, items=small.items)
    out[name] = {"nll": gen.history_["nll"],
                 "texts": gen.generate([0, 1, 2], [3, 4, 5], aspects=list(gen.aspects_[:3]),
                                       method="sample", seed=1)}
print(json.dumps(out))
