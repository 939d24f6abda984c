"""The language model's risk reports that chapter 11 grades: ``python tools/credit_reports.py``.

SmolLM2-135M-Instruct (``reclib.llm.smollm.load_smollm2``) writes an
adverse-action-style report for the first ``n`` declined held-out applicants
of chapter 11 (the same split, the same logistic risk model and threshold),
in two variants: *grounded* (the prompt lists the model's principal factors,
largest first) and *data only* (the prompt gives the applicant's data and
asks the model to name the reasons). Both prompts show one worked example (a
declined training applicant's template report) and start the answer with
``LM_ANSWER_START``; the stored text includes that start. Loading the model and generating take
minutes and several GB, beyond the chapter's budget, so the texts are
written once to ``data/credit/lm_reports.csv`` (columns ``applicant_id,
variant, prompt, text``) and the chapter grades and guards them live.

    python tools/credit_reports.py [n]        # default 20
"""
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from reclib.data import credit
from reclib.llm.causal_lm import causal_lm, generate_ids
from reclib.llm.smollm import load_smollm2
from reclib.models.risk import LogisticRisk
from reclib.reasons.risk_report import (LM_ANSWER_START, LM_SYSTEM, TemplateReportWriter,
                                        lm_prompt_text, principal_factors)

OUT = Path(__file__).resolve().parents[1] / "data" / "credit" / "lm_reports.csv"
SEED = 0
THRESHOLD = 0.25  # as in chapter 11


def chapter_split(n):
    """Chapter 11's seeded 70/30 split (row positions)."""
    order = np.random.default_rng(SEED).permutation(n)
    return np.sort(order[: int(0.7 * n)]), np.sort(order[int(0.7 * n):])


def declined_applicants(n_reports):
    """Ids, rows and logistic attributions of the first ``n_reports`` declined
    held-out applicants, and the one-shot example: the first declined
    *training* applicant with four reasons, with its template report."""
    world = credit.load()
    X, y = world.X, world.y
    tr, te = chapter_split(len(X))
    model = LogisticRisk(seed=SEED).fit(X.iloc[tr], y[tr])
    X_te = X.iloc[te]
    declined = np.flatnonzero(model.predict_proba(X_te) >= THRESHOLD)[:n_reports]
    Xd = X_te.iloc[declined]
    X_tr = X.iloc[tr]
    writer = TemplateReportWriter().fit(model, X_tr)
    cand = X_tr.iloc[np.flatnonzero(model.predict_proba(X_tr) >= THRESHOLD)[:50]]
    example = next((cand.iloc[r], rep.text) for r, rep in enumerate(writer.generate(cand))
                   if len(rep.claims) == 4)
    return world.applicants.iloc[te].iloc[declined]["applicant_id"].to_numpy(), Xd, \
        model.attributions(Xd), example


def main(n_reports=20, max_new_tokens=90, batch_size=10):
    ids, Xd, att, example = declined_applicants(n_reports)
    lm = load_smollm2()
    model = causal_lm(lm)
    tok = lm.tokenizer
    stop = (tok.im_end_id, tok.eos_id, 0)
    rows = []
    for variant in ("grounded", "data only"):
        prompts = [lm_prompt_text(Xd.iloc[r], principal_factors(att.iloc[r])
                                  if variant == "grounded" else None, example=example)
                   for r in range(len(Xd))]
        start = time.perf_counter()
        new = generate_ids(model, [tok.encode(tok.chat([("user", p)], system=LM_SYSTEM)
                                              + LM_ANSWER_START) for p in prompts],
                           max_new_tokens=max_new_tokens, stop_ids=stop, batch_size=batch_size)
        seconds = time.perf_counter() - start
        print(f"{variant}: {len(new)} reports in {seconds:.0f} s", flush=True)
        rows += [{"applicant_id": int(a), "variant": variant, "prompt": p,
                  "text": LM_ANSWER_START + tok.decode(t).rstrip()} for a, p, t in zip(ids, prompts, new)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {len(rows)} reports to {OUT}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
