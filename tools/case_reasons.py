"""The language model's reasons for chapter 10's recommended items: ``make case-reasons``.

Chapter 10 (the e-commerce case study) gives every user's top-10 a reason.
The language model writes one to four reasons per second on two cores
(depending on their load) and a run that fine-tunes PEPLER (cold cache) peaks
at about 4.2 GB, beyond the chapter's budget, so this script writes its
reasons once, for a fixed random subset of users, to
``data/lm/case_reasons.csv``, and the chapter grades them (and feeds them to
the decision study) beside the small generators, on the same pairs.

The pieces are the ones the chapter uses, with the same seeds and, as in the
chapter, TensorFlow's op determinism on (so the recommender's lists are the
chapter's lists to the last item):

* split: ``random_split(world.ratings, 0.2, seed=0)`` (chapter 9's, so the
  PEPLER fine-tuning of chapter 8 / ``make lm-reasons`` is read from the cache
  under ``$RECLIB_CACHE/llm/pepler`` instead of being retrained);
* recommender: ``FeatureRecommender(seed=0)``, the CNN + LSTM two-tower model
  of chapters 3 and 6, top-10 lists without the items rated in training;
* users: ``numpy.random.default_rng(0).choice(n_users, n_users_lm, replace=False)``,
  sorted;
* generator: PEPLER with ``BOOK_SETTINGS`` and constrained decoding, the best
  language-model variant of chapter 9, grounded on the aspect and sentiment
  ``TemplateReasons.predicted_aspect`` reads from the training reviews.

Columns: ``user_id, item_id, rank, aspect, sentiment, variant, text``.

    python tools/case_reasons.py [n_users]        # default 40
"""
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from reclib.data import load_shopsim
from reclib.data.splits import random_split
from reclib.llm.smollm import load_smollm2
from reclib.models.features import FeatureRecommender
from reclib.reasons.pepler import BOOK_SETTINGS, PeplerReasons
from reclib.reasons.templates import TemplateReasons

OUT = Path(__file__).resolve().parents[1] / "data" / "lm" / "case_reasons.csv"
SEED = 0
VARIANT = "LM PEPLER constrained"


def lm_users(n_users, n_users_lm, seed=SEED):
    """The users whose recommendations the language model explains (sorted)."""
    return np.sort(np.random.default_rng(seed).choice(n_users, n_users_lm, replace=False))


def main(n_users_lm=40):
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()  # as chapter 10 runs
    world = load_shopsim()
    train, _ = random_split(world.ratings, 0.2, seed=SEED)
    tables = dict(items=world.items, users=world.users)
    rec = FeatureRecommender(seed=SEED).fit(train, **tables)
    users = lm_users(world.n_users, n_users_lm)
    lists = rec.recommend_all(10, users=users)
    pairs = pd.DataFrame([(u, i, r) for u in users for r, i in enumerate(lists[int(u)])],
                         columns=["user_id", "item_id", "rank"])
    template = TemplateReasons(seed=SEED).fit(train, **tables)
    grounding = [template.predicted_aspect(u, i) for u, i in
                 zip(pairs["user_id"], pairs["item_id"])]
    pairs["aspect"] = [a for a, _ in grounding]
    pairs["sentiment"] = [s for _, s in grounding]

    pepler = PeplerReasons(lm=load_smollm2(), cache=True, seed=SEED, **BOOK_SETTINGS)
    pepler.fit(train, **tables)
    print(f"PEPLER: trained in {pepler.train_seconds_:.0f} s (from cache: {pepler.from_cache_})",
          flush=True)
    start = time.perf_counter()
    texts = pepler.generate(pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy(),
                            aspects=grounding, constrained=True)
    seconds = time.perf_counter() - start
    print(f"{len(texts)} reasons in {seconds:.0f} s ({len(texts) / seconds:.2f} reasons/s)")
    pairs["variant"] = VARIANT
    pairs["text"] = texts
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(OUT, index=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
