"""Chapter 9's fine-tuned language model over three training seeds, and for longer:
``make lm-seeds``, ``make lm-long``.

``make lm-reasons`` fine-tunes SmolLM2 PEPLER style once (training seed 0) and
writes its reasons for chapter 9's first 300 held-out pairs. Another seed
moves the fine-tuning: the prompt vectors' and the LoRA adapters' first
values and the order of the training reviews. ``make lm-seeds`` repeats the
fine-tuning with chapter 8's settings (``BOOK_SETTINGS``) for training seeds
1 and 2 and writes both fine-tuned variants' reasons (greedy, and greedy with
constrained decoding) for the same pairs, with the same grounding, to
``data/lm/pepler_seeds.csv`` (columns ``seed, pair, user_id, item_id,
variant, text``); seed 0 is ``data/lm/reasons.csv``. The prompted variants
train nothing and decode greedily, so a seed does not change them.
``data/lm/pepler_seeds_runs.csv`` keeps each run's training time and the mean
loss of its last ten steps. About 5 minutes per seed on two cores.

``make lm-long`` (``--long``) fine-tunes four times as long as the chapter
(40 prompt-only steps, then 440 with LoRA: 3,840 training reviews), seed 0,
and writes ``data/lm/pepler_long.csv`` and ``pepler_long_runs.csv`` the same
way: the longer run the chapter's budget leaves out.

    python tools/lm_seeds.py [--long] [n_pairs]        # default 300
"""
import gc
import sys
import time

import keras
import numpy as np
import pandas as pd

from lm_reasons import OUT, lm_setting, reason_rows
from reclib.llm.memory import release
from reclib.llm.smollm import load_smollm2
from reclib.reasons.pepler import BOOK_SETTINGS, PeplerReasons

SEEDS = (1, 2)
VARIANTS = {"LM PEPLER": {}, "LM PEPLER constrained": {"constrained": True}}
LONG_SETTINGS = BOOK_SETTINGS | dict(prompt_steps=4 * BOOK_SETTINGS["prompt_steps"],
                                     lora_steps=4 * BOOK_SETTINGS["lora_steps"])


def fine_tune_runs(seeds, settings, name, n_pairs=300):
    """Fine-tune once per seed with ``settings``; write ``data/lm/{name}.csv`` (the
    reasons) and ``data/lm/{name}_runs.csv`` (time and final loss per run)."""
    train, tables, users, items, grounding = lm_setting(n_pairs)
    rows, runs = [], []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        pepler = PeplerReasons(lm=load_smollm2(), cache=True, seed=seed, **settings)
        pepler.fit(train, **tables)
        start = time.perf_counter()
        for variant, options in VARIANTS.items():
            texts = pepler.generate(users, items, aspects=grounding, **options)
            rows += reason_rows(variant, users, items, texts, seed=seed)
        loss = np.asarray(pepler.history_["loss"])
        runs.append({"seed": seed, "prompt_steps": settings["prompt_steps"],
                     "lora_steps": settings["lora_steps"], "train s": pepler.train_seconds_,
                     "from cache": pepler.from_cache_, "last 10 steps' loss": loss[-10:].mean(),
                     "generate s": time.perf_counter() - start})
        print(runs[-1], flush=True)
        del pepler
        gc.collect()
        release()
    pd.DataFrame(rows).to_csv(OUT / f"{name}.csv", index=False)
    pd.DataFrame(runs).to_csv(OUT / f"{name}_runs.csv", index=False)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--long"]
    n = int(args[0]) if args else 300
    if "--long" in sys.argv[1:]:
        fine_tune_runs((0,), LONG_SETTINGS, "pepler_long", n)
    else:
        fine_tune_runs(SEEDS, BOOK_SETTINGS, "pepler_seeds", n)
