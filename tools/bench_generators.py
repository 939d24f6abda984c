"""What does each reason generator of the book cost on this CPU? ``make bench-generators``.

For every generator of chapters 7 and 8 (template, retrieval, seq2seq, GAN,
Transformer, the pretrained SmolLM2-135M prompted zero- and few-shot, and
with PEPLER-style soft prompts + LoRA), in the settings those chapters use,
on ShopSim's 80/20 split (seed 0): parameter count, seconds per training
epoch, seconds per reason generated, and peak memory while fitting and
while generating. Writes ``data/bench/generators.csv``, whose ``#`` lines
give the command, date, machine and load; chapter 14 plots it.

Each generator runs in a fresh Python process (``--worker NAME``), so that
one's memory does not count towards the next; the process's resident set
size is sampled every 20 ms (``psutil``) and its peak recorded per phase
(``baseline_mb``: after importing Keras and loading the data, before the
generator; ``fit_peak_mb``: fitting, the language model's loading
included; ``generate_peak_mb``: generating).

How the columns are measured:

* ``seconds_per_epoch``: a Keras callback times each training epoch (the
  first includes building the graph; the median of the epochs is
  reported). The template's one pass over the reviews is its fit. The
  GAN's adversarial rounds are single batches: its epoch is extrapolated
  (seconds per round x training reviews / reviews per round). PEPLER is
  trained here for a few steps only (``PEPLER_STEPS``) and its epoch
  extrapolated from seconds per step (which includes the one-time graph
  building, so it is an upper bound) x training reviews / batch size; the
  zero- and few-shot models are not trained (empty). ``epoch_is`` says
  ``measured`` or ``extrapolated``.
* ``seconds_per_reason``: one warm-up call on a few pairs (graph tracing)
  is not counted; then ``--reasons`` held-out pairs (600 for the small
  generators, ``--lm-reasons`` for the language model) are generated in one
  call, with the same decoding settings as chapters 7 and 8.

    python tools/bench_generators.py [--only NAME ...] [--reasons 600] [--lm-reasons 16]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "bench" / "generators.csv"
SEED = 0
N_TRAIN = 12_000      # chapter 7's training reviews per neural model
TEMPERATURE = 0.5     # chapter 7's sampling temperature
PEPLER_STEPS = (2, 14)  # prompt-only and LoRA steps trained here (the book trains 10 + 110)
GENERATORS = ["template", "retrieval", "seq2seq", "GAN", "Transformer",
              "LM zero-shot", "LM few-shot", "LM PEPLER"]


class PeakRSS:
    """Samples this process's resident set size; ``peak(phase)`` in MB."""

    def __init__(self, interval=0.02):
        import psutil

        self.proc, self.interval = psutil.Process(), interval
        self.phase, self.peaks = "setup", {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)

    def sample(self):
        mb = self.proc.memory_info().rss / 2 ** 20
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), mb)

    def enter(self, phase):
        self.sample()
        self.phase = phase
        self.sample()

    def stop(self):
        self.sample()
        self.done.set()
        self.thread.join()


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall seconds of each epoch of ``fit``."""

        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.t0)

    return EpochTimer()


def worker(name, n_reasons, n_lm_reasons):
    """Fit and run one generator; return its row (a dict)."""
    import statistics

    rss = PeakRSS()
    import keras

    from reclib.data import load_shopsim
    from reclib.data.splits import random_split
    from reclib.reasons.templates import TemplateReasons

    keras.utils.set_random_seed(SEED)
    world = load_shopsim()
    train, test = random_split(world.ratings, 0.2, seed=SEED)
    held = test.sample(1000, random_state=SEED).reset_index(drop=True)
    tables = dict(items=world.items, users=world.users)
    evidence = TemplateReasons(seed=SEED).fit(train, **tables)
    is_lm = name.startswith("LM")
    n = n_lm_reasons if is_lm else n_reasons
    users, items = held["user_id"].to_numpy()[:n], held["item_id"].to_numpy()[:n]
    grounding = [evidence.predicted_aspect(u, i) for u, i in zip(users, items)]
    decoding, timer, row = {}, _epoch_timer(), {"generator": name}
    rss.enter("fit")
    t0 = time.perf_counter()
    if name == "template":
        gen = TemplateReasons(seed=SEED).fit(train, **tables)
        per_epoch, epoch_is, unit = gen.fit_time_, "measured", "one pass over the reviews"
        grounding = None
    elif name == "retrieval":
        from reclib.models.mf import MF
        from reclib.reasons.retrieval import RetrievalReasons

        mf = MF(n_factors=16, epochs=5, batch_size=256, learning_rate=0.003, seed=SEED)
        mf.fit(train, **tables, callbacks=[timer])
        gen = RetrievalReasons(seed=SEED).fit(train, **tables, mf=mf)
        per_epoch, epoch_is, unit = statistics.median(timer.seconds), "measured", "MF epoch"
        grounding = None
    elif name in ("seq2seq", "GAN"):
        from reclib.reasons.seq2seq import Seq2SeqReasons

        gen = Seq2SeqReasons(grounded=True, max_reviews=N_TRAIN, epochs=2, seed=SEED)
        gen.fit(train, **tables, callbacks=[timer])
        per_epoch, epoch_is, unit = statistics.median(timer.seconds), "measured", "epoch"
        if name == "GAN":
            from reclib.reasons.gan import GANReasons

            s2s, timer = gen, _epoch_timer()
            gen = GANReasons(grounded=True, adv_steps=80, seed=SEED)
            gen.fit(train, **tables, pretrained=s2s, callbacks=[timer])
            per_round = statistics.median(timer.seconds)
            per_round_reviews = (gen.d_steps + gen.g_steps) * gen.adv_batch_size
            per_epoch = per_round * gen.n_train_ / per_round_reviews
            epoch_is = "extrapolated"
            unit = (f"adversarial rounds ({per_round:.3f} s per round of {per_round_reviews} "
                    f"reviews; MLE pre-training as seq2seq)")
            row["extra_parameters"] = int(gen.discriminator_.count_params())
        decoding = dict(method="sample", temperature=TEMPERATURE)
    elif name == "Transformer":
        from reclib.reasons.transformer import TransformerReasons

        gen = TransformerReasons(grounded=True, max_reviews=N_TRAIN, seed=SEED)
        gen.fit(train, **tables, callbacks=[timer])
        per_epoch, epoch_is, unit = statistics.median(timer.seconds), "measured", "epoch"
        decoding = dict(method="sample", temperature=TEMPERATURE)
    elif name in ("LM zero-shot", "LM few-shot"):
        from reclib.llm.smollm import load_smollm2
        from reclib.reasons.llm import PromptedLMReasons

        gen = PromptedLMReasons(lm=load_smollm2(), examples=2 if "few" in name else 0,
                                seed=SEED).fit(train, **tables)
        per_epoch, epoch_is, unit = None, "", "not trained"
    elif name == "LM PEPLER":
        from reclib.llm.smollm import load_smollm2
        from reclib.reasons.pepler import BOOK_SETTINGS, PeplerReasons

        settings = dict(BOOK_SETTINGS, prompt_steps=PEPLER_STEPS[0], lora_steps=PEPLER_STEPS[1])
        gen = PeplerReasons(lm=load_smollm2(), cache=False, seed=SEED, **settings)
        gen.fit(train, **tables)
        steps = sum(PEPLER_STEPS)
        per_step = gen.train_seconds_ / steps
        reviews = len(train) - gen.skipped_reviews_
        per_epoch = per_step * reviews / gen.batch_size
        epoch_is = "extrapolated"
        unit = (f"{steps} steps trained here, {per_step:.2f} s per step of {gen.batch_size} "
                f"reviews (incl. graph building)")
        row["trained_parameters"] = gen.trainable_count()
    else:
        raise ValueError(f"unknown generator {name!r}; known: {GENERATORS}")
    fit_seconds = time.perf_counter() - t0
    rss.enter("warm-up")
    warm = grounding[:4] if grounding is not None else None
    gen.generate(users[:4], items[:4], aspects=warm, **decoding)
    rss.enter("generate")
    t0 = time.perf_counter()
    texts = gen.generate(users, items, aspects=grounding, **decoding)
    seconds = time.perf_counter() - t0
    rss.stop()
    row.update({
        "parameters": int(gen.count_params()),
        "train_reviews": int(getattr(gen, "n_train_", len(train))),
        "fit_seconds": round(fit_seconds, 3),
        "seconds_per_epoch": None if per_epoch is None else round(per_epoch, 4),
        "epoch_is": epoch_is, "epoch_unit": unit,
        "reasons": len(texts), "seconds_per_reason": round(seconds / len(texts), 6),
        "baseline_mb": round(rss.peaks["setup"]), "fit_peak_mb": round(rss.peaks["fit"]),
        "generate_peak_mb": round(max(rss.peaks["warm-up"], rss.peaks["generate"])),
        "load_1min": round(os.getloadavg()[0], 2), "example": texts[0]})
    return row


def cpu_name():
    """The CPU's model name (from /proc/cpuinfo on Linux), else platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None):
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, choices=GENERATORS)
    ap.add_argument("--reasons", type=int, default=600)
    ap.add_argument("--lm-reasons", type=int, default=16)
    ap.add_argument("--worker", default=None)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, args.reasons, args.lm_reasons)))
        return
    names = args.only or GENERATORS
    load_start = os.getloadavg()[0]
    rows = []
    for name in names:
        proc = subprocess.run([sys.executable, __file__, "--worker", name, "--reasons",
                               str(args.reasons), "--lm-reasons", str(args.lm_reasons)],
                              cwd=ROOT, capture_output=True, text=True)
        result = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode or not result:
            sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
        rows.append(json.loads(result[-1][len("RESULT "):]))
        r = rows[-1]
        print(f"{name:<14} {r['parameters']:>12,} params  "
              f"{r['seconds_per_epoch'] or 0:9.2f} s/epoch ({r['epoch_is'] or '-'})  {r['seconds_per_reason']:8.4f} s/reason  "
              f"peak {r['fit_peak_mb']}/{r['generate_peak_mb']} MB  load {r['load_1min']}",
              flush=True)
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cmd = "python tools/bench_generators.py" + ("" if argv is None and len(sys.argv) == 1
                                                else " " + " ".join(sys.argv[1:]))
    cpus = os.cpu_count()
    header = [f"# command: {cmd}",
              f"# date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {cpus} cores, "
              f"{platform.machine()}, {cpu_name()}, "
              f"Python {platform.python_version()}, no GPU",
              f"# load_1min: the 1-minute load average when each row finished "
              f"(at the start: {load_start:.2f}); other work shared the {cpus} cores",
              "# seconds_per_epoch: measured (Keras callback, median epoch) or extrapolated "
              "(see epoch_unit); memory: process RSS peaks in MB (baseline: Keras + data loaded)"]
    with open(args.out, "w") as f:
        f.write("\n".join(header) + "\n")
        table.to_csv(f, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
