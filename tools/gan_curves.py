"""GAN versus MLE over decoding temperatures, three training seeds: ``make gan-curves``.

Chapter 9 compares the text GAN with the seq2seq model it was fine-tuned from
at one temperature and one training seed. Following Caccia et al. (ICLR
2020), this script draws each model's whole quality-diversity curve instead:
for each training seed, a seq2seq model (chapter 9's settings: 8,000
training reviews, 2 epochs; ungrounded, and with ``--grounded`` also the
grounded one) and a GAN fine-tuned from it with a longer
adversarial phase than the chapter's (300 rounds instead of 60), each decoded
on chapter 9's 1,000 held-out pairs at every temperature
(:func:`reclib.evaluation.quality_diversity.quality_diversity`). Training seed
0 is the chapter's own seq2seq model, so the chapter can check it lands on
the curve. ``make gan-curves`` runs it with ``--grounded``.

Writes ``data/gan/quality_diversity.csv`` (one row per model, training seed
and temperature) and ``data/gan/quality_diversity.json`` (the settings, the
seeds, the fit times and the run time). TensorFlow's op determinism is on, as
in chapter 9 and ``tools/h2h_seeds.py``. With ``--grounded``, 603 s on two
cores that another training job shared for half the run (2026-12-03).

    python tools/gan_curves.py [--grounded]
"""
import argparse
import json
import platform
import time
from pathlib import Path

import keras
import pandas as pd
import tensorflow as tf

import reclib
from chapter9_setting import N_EVAL, SEED, chapter9_setting
from reclib.evaluation.quality_diversity import quality_diversity
from reclib.evaluation.reasons import ground_truth
from reclib.reasons.gan import GANReasons
from reclib.reasons.seq2seq import Seq2SeqReasons

OUT = Path(__file__).resolve().parents[1] / "data" / "gan"
TRAINING_SEEDS = (0, 1, 2)
TEMPERATURES = (0.2, 0.35, 0.5, 0.7, 1.0, 1.3)
S2S = dict(max_reviews=8000, epochs=2)     # chapter 9's seq2seq settings
GAN = dict(adv_steps=300)                  # chapter 9 uses 60 rounds


def main(grounded_too=False):
    start = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()  # as chapter 9 runs
    setting = chapter9_setting()
    world, train, held, tables = setting.world, setting.train, setting.held, setting.tables
    template, grounding = setting.template, setting.grounding
    truth = ground_truth(world, held)
    frames, fits = [], []
    for grounded in ((False, True) if grounded_too else (False,)):
        tag = " (grounded)" if grounded else ""
        for seed in TRAINING_SEEDS:
            s2s = Seq2SeqReasons(grounded=grounded, seed=seed, **S2S).fit(train, **tables)
            gan = GANReasons(grounded=grounded, seed=seed, **GAN).fit(train, pretrained=s2s,
                                                                      **tables)
            fits += [{"model": "seq2seq" + tag, "seed": seed, "fit s": round(s2s.fit_time_, 1)},
                     {"model": "GAN" + tag, "seed": seed, "fit s": round(gan.fit_time_, 1),
                      "final d_real": round(gan.history_["d_real"][-1], 3),
                      "final d_fake": round(gan.history_["d_fake"][-1], 3)}]
            frame = quality_diversity({("seq2seq" + tag, seed): s2s, ("GAN" + tag, seed): gan},
                                      held, TEMPERATURES, aspects=template.aspects_,
                                      truth=truth, grounding=grounding, seed=SEED)
            frames.append(frame)
            print(frame.round(3).to_string(index=False), flush=True)
    curves = pd.concat(frames, ignore_index=True)
    OUT.mkdir(parents=True, exist_ok=True)
    curves.round(4).to_csv(OUT / "quality_diversity.csv", index=False)
    settings = {
        "what": "quality-diversity curves of seq2seq (MLE) and the text GAN fine-tuned from it, "
                "chapter 9's split and held-out pairs; written by tools/gan_curves.py",
        "split": "random_split(world.ratings, 0.2, seed=0)",
        "held_out_pairs": f"test.sample({N_EVAL}, random_state=0)",
        "decoding": {"method": "sample", "seed": SEED, "temperatures": list(TEMPERATURES)},
        "training_seeds": list(TRAINING_SEEDS), "seq2seq": S2S, "gan": GAN,
        "quality": ["BLEU-4 (vs the held-out review, percent)",
                    "faithfulness (ShopSim truth, m=2)"],
        "diversity": ["self-BLEU-4 (percent, lower is more diverse)", "USR"],
        "grounded": bool(grounded_too), "fits": fits,
        "run_seconds": round(time.perf_counter() - start, 1),
        "reclib": reclib.__version__, "keras": keras.__version__,
        "machine": f"{platform.machine()}, {platform.python_version()}"}
    (OUT / "quality_diversity.json").write_text(json.dumps(settings, indent=1) + "\n")
    print(f"wrote {OUT / 'quality_diversity.csv'} ({len(curves)} rows) in "
          f"{settings['run_seconds']:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grounded", action="store_true",
                        help="also the grounded seq2seq and GAN (about twice the time)")
    main(parser.parse_args().grounded)
