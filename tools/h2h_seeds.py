"""Chapter 9's head-to-head table with three training seeds: ``make h2h-seeds``.

Chapter 9 trains its generators once (training seed 0) and puts intervals on
that one run by resampling the held-out pairs. Another training seed moves
every learned generator too. This script repeats the chapter's head-to-head
(:func:`reclib.evaluation.reasons.head_to_head`, the same split, the same
1,000 held-out pairs, the same settings: matrix factorization for retrieval,
seq2seq and Transformer on 8,000 training reviews, a GAN with 60 adversarial
rounds fine-tuned from the seq2seq model, each ungrounded and grounded,
sampled at temperature 0.5) for training seeds 0, 1 and 2. The seed is the
seed of every learned part (the factorization, each network's initialization
and training subset, and its decoding); the template has no seed and the
same row each time. Training seed 0 is the chapter's own run, so the chapter
can check that it reproduces it.

Writes ``data/h2h/tables.csv`` (one row per training seed and generator:
the table's columns), ``data/h2h/flags.csv`` (per seed, generator and column
the 0/1 value of each of the 1,000 pairs, as a string of digits: the pairs
behind faithfulness and hallucination, before and after the guard, so that
the chapter can bootstrap the pairs of the three-seed average) and
``data/h2h/settings.json``.

It also repeats the chapter's grading of reasons for *recommended* items
(:func:`reclib.evaluation.recommended.evaluate_recommended`: the same 100
users, the top 10 of each user's list from that seed's matrix factorization,
the same six generators) and writes ``data/h2h/top10_tables.csv`` and
``data/h2h/top10_flags.csv`` (per seed, generator and column, each user's
0/1 grades of their ten pairs, users in order, as one string of digits),
so that the chapter can put intervals over both the training runs and the
users on its "top-10 versus held-out" verdicts. 697 s on two cores that another
training job shared (2026-12-03).

    python tools/h2h_seeds.py
"""
import json
import platform
import time
from pathlib import Path

import keras
import pandas as pd
import tensorflow as tf

import reclib
from chapter9_setting import N_EVAL, SEED, chapter9_setting
from reclib.evaluation.reasons import head_to_head
from reclib.evaluation.recommended import evaluate_recommended, truth_each
from reclib.models.mf import MF
from reclib.reasons.gan import GANReasons
from reclib.reasons.retrieval import RetrievalReasons
from reclib.reasons.seq2seq import Seq2SeqReasons
from reclib.reasons.transformer import TransformerReasons

OUT = Path(__file__).resolve().parents[1] / "data" / "h2h"
TRAINING_SEEDS = (0, 1, 2)
N_TRAIN, ADV_STEPS = 8000, 60  # chapter 9's settings
MF_SETTINGS = dict(n_factors=16, epochs=5, batch_size=256, learning_rate=0.003)
#: column of the table -> (which texts, which flag of truth_each)
FLAGS = {"faithfulness": ("raw", "faithful"), "hallucination": ("raw", "hallucinated"),
         "faithfulness+guard": ("guarded", "faithful"),
         "hallucination+guard": ("guarded", "hallucinated")}
#: chapter 9's grading of reasons for recommended items
N_TOP_USERS, TOP_K = 100, 10
EXPLAINED = ("template", "retrieval", "retrieval (grounded)", "seq2seq", "seq2seq (grounded)",
             "Transformer (grounded)")
TOP10_FLAGS = {**FLAGS, "names aspect": ("raw", "names aspect")}


def flag_rows(seed, each, names, columns):
    """One row per generator and column of ``columns`` ({column: (texts, flag of
    truth_each)}): each pair's 0/1 value as one string of digits, pairs in order."""
    return [{"seed": seed, "generator": name, "column": column,
             "pairs": "".join(str(int(v)) for v in each[(name, which)][flag].to_numpy())}
            for name in names for column, (which, flag) in columns.items()]


def seed_first(frames):
    """The per-seed tables stacked, columns ``seed`` and ``generator`` first."""
    out = pd.concat(frames, ignore_index=True)
    return out[["seed", "generator"] + [c for c in out.columns if c not in ("seed", "generator")]]


def generators_for(seed, train, tables, template):
    """Chapter 9's generators, every learned one trained with ``seed``, and the
    matrix factorization that retrieval searches in: ``(generators, mf)``."""
    mf = MF(seed=seed, **MF_SETTINGS).fit(train, **tables)
    neural = {}
    for grounded in (False, True):
        tag = " (grounded)" if grounded else ""
        s2s = Seq2SeqReasons(grounded=grounded, max_reviews=N_TRAIN, epochs=2, seed=seed)
        s2s.fit(train, **tables)
        gan = GANReasons(grounded=grounded, adv_steps=ADV_STEPS, seed=seed)
        gan.fit(train, pretrained=s2s, **tables)
        peter = TransformerReasons(grounded=grounded, max_reviews=N_TRAIN, seed=seed)
        peter.fit(train, **tables)
        neural.update({"seq2seq" + tag: s2s, "GAN" + tag: gan, "Transformer" + tag: peter})
    retrieval = RetrievalReasons(seed=seed).fit(train, mf=mf, **tables)
    copy_time = mf.fit_time_ + retrieval.fit_time_
    generators = {
        "template": template,
        "retrieval": dict(model=retrieval, method="greedy", fit_time=copy_time),
        "retrieval (grounded)": dict(model=retrieval, method="greedy", grounded=True,
                                     fit_time=copy_time),
    }
    for name, model in neural.items():
        pre = neural[name.replace("GAN", "seq2seq")].fit_time_ if name.startswith("GAN") else 0.0
        generators[name] = dict(model=model, fit_time=pre + model.fit_time_)
    return generators, mf


def main():
    start = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()  # as chapter 9 runs
    setting = chapter9_setting()
    world, train, held, tables = setting.world, setting.train, setting.held, setting.tables
    template, grounding = setting.template, setting.grounding
    frames, flags, seconds = [], [], {}
    top_frames, top_flags = [], []
    for seed in TRAINING_SEEDS:
        t0 = time.perf_counter()
        generators, mf = generators_for(seed, train, tables, template)
        table, texts = head_to_head(generators, held, world=world, template=template,
                                    grounding=grounding,
                                    generate_kw=dict(method="sample", temperature=0.5),
                                    return_texts=True)
        each = truth_each({(name, v): texts[name][v] for name in table.index
                           for v in ("raw", "guarded")}, held, aspects=template.aspects_,
                          world=world)
        flags += flag_rows(seed, each, table.index, FLAGS)
        frames.append(table.rename_axis("generator").reset_index().assign(seed=seed))
        top_table, top = evaluate_recommended(
            mf, N_TOP_USERS, {name: generators[name] for name in EXPLAINED}, world=world,
            template=template, k=TOP_K, train=train,
            generate_kw=dict(method="sample", temperature=0.5), seed=SEED, return_details=True)
        if (top["pairs"].groupby("user_id").size() != TOP_K).any():
            raise RuntimeError(f"seed {seed}: a user has fewer than {TOP_K} recommended pairs")
        top_each = truth_each({(name, v): top["texts"][name][v] for name in EXPLAINED
                               for v in ("raw", "guarded")}, top["pairs"],
                              aspects=template.aspects_, truth=top["truth"])
        top_flags += flag_rows(seed, top_each, EXPLAINED, TOP10_FLAGS)
        top_frames.append(top_table.rename_axis("generator").reset_index().assign(seed=seed))
        seconds[seed] = round(time.perf_counter() - t0, 1)
        print(f"training seed {seed}: {seconds[seed]:.0f} s", flush=True)
        print(table[["BLEU-4", "USR", "FMR", "faithfulness", "hallucination",
                     "faithfulness+guard"]].round(3).to_string(), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    tables_out = seed_first(frames)
    tables_out.round(6).to_csv(OUT / "tables.csv", index=False)
    pd.DataFrame(flags).to_csv(OUT / "flags.csv", index=False)
    seed_first(top_frames).round(6).to_csv(OUT / "top10_tables.csv", index=False)
    pd.DataFrame(top_flags).to_csv(OUT / "top10_flags.csv", index=False)
    settings = {
        "what": "chapter 9's head-to-head table for three training seeds; "
                "written by tools/h2h_seeds.py",
        "split": "random_split(world.ratings, 0.2, seed=0)",
        "held_out_pairs": f"test.sample({N_EVAL}, random_state=0)",
        "training_seeds": list(TRAINING_SEEDS),
        "settings": {"mf": MF_SETTINGS, "max_reviews": N_TRAIN, "seq2seq_epochs": 2,
                     "adv_steps": ADV_STEPS, "decoding": "sample, temperature 0.5"},
        "flags": "per pair 0/1, in the order of the held-out pairs (truth_each, rule reader)",
        "top10": {"users": f"{N_TOP_USERS} drawn with seed {SEED}", "k": TOP_K,
                  "generators": list(EXPLAINED),
                  "flags": "per pair 0/1, users in order, each user's list best first"},
        "seconds_per_seed": seconds, "run_seconds": round(time.perf_counter() - start, 1),
        "reclib": reclib.__version__, "keras": keras.__version__,
        "machine": f"{platform.machine()}, {platform.python_version()}"}
    (OUT / "settings.json").write_text(json.dumps(settings, indent=1) + "\n")
    print(f"wrote {OUT} ({len(tables_out)} rows) in {settings['run_seconds']:.0f} s")


if __name__ == "__main__":
    main()
