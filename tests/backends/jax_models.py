"""Train reclib's Keras models for a few steps on the JAX backend (run by
tests/backends/test_jax.py in a fresh process with KERAS_BACKEND=jax) and
print one JSON line of what happened."""
import json
import sys

import numpy as np

import keras
from reclib.data import shopsim
from reclib.metrics.rating import rmse
from reclib.models.baselines import GlobalMean
from reclib.models.features import FeatureRecommender
from reclib.models.mf import MF

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
for name in sys.argv[1:]:   # generators: module:Class
    module, cls = name.split(":")
    Gen = getattr(__import__(module, fromlist=[cls]), cls)
    gen = Gen(epochs=1, seed=0).fit(r, items=w.items, users=w.users)
    out[cls] = gen.generate([0, 1], [2, 3])
print(json.dumps(out))
