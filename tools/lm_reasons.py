"""The language model's reasons for chapter 9's held-out pairs: ``make lm-reasons``.

Generating with a 135M-parameter model on a 2-core CPU takes about a second
per reason, too long for chapter 9's time budget, so this script writes the
reasons once, to ``data/lm/reasons.csv``, and chapter 9 grades them (and
guards them) live, beside the small generators, on the same pairs. Chapter 8
regenerates the first pairs and checks they match this file. Also written:
``data/lm/speed.csv`` (tokens per second at batch 1 and 16),
``data/lm/runs.csv`` (per generator: parameters, training seconds, reasons per
second) and ``data/lm/pepler_loss.csv`` (the fine-tuning's loss per step).

    python tools/lm_reasons.py [n_pairs]        # default 300
"""
import sys
import time
from pathlib import Path

import keras
import pandas as pd

from reclib.data import load_shopsim
from reclib.data.splits import random_split
from reclib.llm.causal_lm import decoding_speed
from reclib.llm.smollm import load_smollm2
from reclib.reasons.llm import PromptedLMReasons
from reclib.reasons.pepler import BOOK_SETTINGS, PeplerReasons
from reclib.reasons.templates import TemplateReasons

OUT = Path(__file__).resolve().parents[1] / "data" / "lm"
SEED = 0


def lm_setting(n_pairs):
    """Chapter 9's split and its first ``n_pairs`` held-out pairs, with the grounding (the
    template's predicted aspect and sentiment) every language-model variant is given:
    ``(train, tables, users, items, grounding)``."""
    world = load_shopsim()
    train, test = random_split(world.ratings, 0.2, seed=SEED)
    held = test.sample(1000, random_state=SEED).reset_index(drop=True).iloc[:n_pairs]
    users, items = held["user_id"].to_numpy(), held["item_id"].to_numpy()
    tables = dict(items=world.items, users=world.users)
    template = TemplateReasons(seed=SEED).fit(train, **tables)
    grounding = [template.predicted_aspect(u, i) for u, i in zip(users, items)]
    return train, tables, users, items, grounding


def reason_rows(variant, users, items, texts, **extra):
    """One row per pair (``pair, user_id, item_id, variant, text`` and ``extra``'s columns),
    the layout of ``data/lm/reasons.csv``."""
    return [{**extra, "pair": k, "user_id": u, "item_id": i, "variant": variant, "text": t}
            for k, (u, i, t) in enumerate(zip(users, items, texts))]


def main(n_pairs=300):
    keras.utils.set_random_seed(SEED)
    train, tables, users, items, grounding = lm_setting(n_pairs)

    lm = load_smollm2()
    OUT.mkdir(parents=True, exist_ok=True)
    sp = decoding_speed(lm)
    print(sp.round(2).to_string(), flush=True)
    variants = {"LM zero-shot": PromptedLMReasons(lm=lm, seed=SEED),
                "LM few-shot": PromptedLMReasons(lm=lm, examples=2, seed=SEED)}
    pepler = PeplerReasons(lm=load_smollm2(), cache=True, seed=SEED, **BOOK_SETTINGS)
    pepler.fit(train, **tables)
    print(f"PEPLER: trained in {pepler.train_seconds_:.0f} s (from cache: {pepler.from_cache_})")
    pd.DataFrame(pepler.history_).rename_axis("step").to_csv(OUT / "pepler_loss.csv")
    runs = [(name, gen, {}) for name, gen in variants.items()]
    runs += [("LM PEPLER", pepler, {}), ("LM PEPLER constrained", pepler, dict(constrained=True))]
    rows, rates = [], []
    for name, gen, options in runs:
        if not hasattr(gen, "fit_time_"):
            gen.fit(train, **tables)
        start = time.perf_counter()
        texts = gen.generate(users, items, aspects=grounding, **options)
        seconds = time.perf_counter() - start
        rates.append({"variant": name, "parameters": gen.count_params(),
                      "train s": getattr(gen, "train_seconds_", 0.0), "reasons": len(texts),
                      "seconds": seconds, "reasons/s": len(texts) / seconds})
        print(f"{name}: {len(texts) / seconds:.2f} reasons/s", flush=True)
        rows += reason_rows(name, users, items, texts)
    pd.DataFrame(rows).to_csv(OUT / "reasons.csv", index=False)
    sp.to_csv(OUT / "speed.csv")
    pd.DataFrame(rates).to_csv(OUT / "runs.csv", index=False)
    print(pd.DataFrame(rates).round(2).to_string(index=False))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
