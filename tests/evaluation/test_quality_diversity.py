"""Tests for reclib.evaluation.quality_diversity: self-BLEU against sacrebleu,
the tidy table of quality_diversity, the temperature trend on a tiny fitted
seq2seq model, and bad input."""
import numpy as np
import pandas as pd
import pytest
import sacrebleu

from reclib.data.splits import random_split
from reclib.data.text import tokenize
from reclib.evaluation.quality_diversity import QD_COLUMNS, quality_diversity, self_bleu
from reclib.evaluation.reasons import ground_truth
from reclib.reasons.seq2seq import Seq2SeqReasons
from reclib.reasons.templates import TemplateReasons

TEMPS = (0.3, 1.0, 2.0)


@pytest.fixture(scope="module")
def setup(world_150x60):
    world = world_150x60
    train, test = random_split(world.ratings, 0.2, seed=0)
    held = test.sample(80, random_state=0).reset_index(drop=True)
    tables = dict(items=world.items, users=world.users)
    s2s = Seq2SeqReasons(emb_dim=16, hidden=32, epochs=4, batch_size=32, max_len=12,
                         seed=0).fit(train, **tables)
    grounded = Seq2SeqReasons(grounded=True, emb_dim=16, hidden=32, epochs=2, batch_size=32,
                              max_len=12, seed=1).fit(train, **tables)
    template = TemplateReasons(seed=0).fit(train, **tables)
    grounding = [template.predicted_aspect(u, i) for u, i in zip(held.user_id, held.item_id)]
    return dict(world=world, held=held, s2s=s2s, grounded=grounded, aspects=template.aspects_,
                grounding=grounding, truth=ground_truth(world, held))


def _sacre_self_bleu(texts, n):
    toks = [" ".join(tokenize(t)) for t in texts]
    others = [[t for j, t in enumerate(toks) if j != k] for k in range(len(toks))]
    streams = [[o[r] for o in others] for r in range(len(toks) - 1)]
    metric = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none", max_ngram_order=n,
                                    force=True)
    return metric.corpus_score(toks, streams).score


def test_self_bleu_equals_sacrebleu_with_the_other_texts_as_references():
    rng = np.random.default_rng(0)
    words = "the battery lasts all day and the screen is bright but it is heavy".split()
    for _ in range(6):
        texts = [" ".join(words[s:s + int(rng.integers(3, 10))])
                 for s in rng.integers(0, 6, 9)]
        texts[0] = ""  # an empty text counts for length only
        for n in (1, 2, 4):
            assert self_bleu(texts, n) == pytest.approx(_sacre_self_bleu(texts, n), abs=1e-9)
    assert max(self_bleu(texts, n) for n in (1, 2)) > 10  # the comparison is not of zeros


def test_self_bleu_extremes():
    assert self_bleu(["the battery is great"] * 5) == pytest.approx(100.0)
    assert self_bleu(["alpha beta gamma delta", "one two three four"]) == 0.0


@pytest.mark.parametrize("args, error, match", [
    ((["only one"],), ValueError, "at least 2"),
    (("a string",), ValueError, "single string"),
    ((["a b", "c d"], 5), ValueError, "n"),
    ((["a b", "c d"], 4, "line"), ValueError, "level"),
])
def test_self_bleu_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        self_bleu(*args)


def test_tidy_table_and_temperature_trend(setup):
    s = setup
    qd = quality_diversity({"seq2seq": s["s2s"], ("grounded", 7): s["grounded"]}, s["held"],
                           TEMPS, aspects=s["aspects"], truth=s["truth"],
                           grounding=s["grounding"], seed=0)
    assert list(qd.columns) == list(QD_COLUMNS)
    assert len(qd) == 2 * len(TEMPS)
    assert qd.groupby("model")["seed"].first().to_dict() == {"seq2seq": 0, "grounded": 7}
    assert (qd.groupby("model")["temperature"].apply(list) == [list(TEMPS)] * 2).all()
    assert qd[["BLEU-4", "faithfulness", "self-BLEU-4", "USR"]].notna().all().all()
    for _, curve in qd.groupby("model"):
        curve = curve.set_index("temperature")
        # hotter sampling: more diverse (lower self-BLEU, more distinct texts)
        assert curve.at[2.0, "self-BLEU-4"] < curve.at[0.3, "self-BLEU-4"] - 30
        assert curve.at[2.0, "USR"] >= curve.at[0.3, "USR"]
    # the same decoding seed gives the same table
    again = quality_diversity({"seq2seq": s["s2s"]}, s["held"], TEMPS, aspects=s["aspects"],
                              truth=s["truth"], seed=0)
    pd.testing.assert_frame_equal(again, qd[qd.model == "seq2seq"].reset_index(drop=True))


def test_without_truth_faithfulness_is_nan(setup):
    s = setup
    qd = quality_diversity({"m": s["s2s"]}, s["held"], [0.5], aspects=s["aspects"])
    assert qd["faithfulness"].isna().all() and qd["BLEU-4"].notna().all()


@pytest.mark.parametrize("change, error, match", [
    (dict(generators={}), ValueError, "non-empty dict"),
    (dict(generators={"x": object()}), TypeError, "reason generator"),
    (dict(generators={("x", 0, 1): None}), ValueError, "name or a"),
    (dict(generators={"x": Seq2SeqReasons()}), ValueError, "not fitted"),
    (dict(temperatures=[]), ValueError, "at least one"),
    (dict(temperatures=0.5), TypeError, "list of numbers"),
    (dict(temperatures=[0.5, 0.0]), ValueError, "positive"),
    (dict(temperatures=[0.5, "hot"]), ValueError, "positive"),
    (dict(temperatures=[0.5, 0.5]), ValueError, "distinct"),
    (dict(test_pairs="pairs"), ValueError, "DataFrame"),
    (dict(references=["a"]), ValueError, "mismatched lengths"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(truth={"true_reasons": []}), ValueError, "truth does not match"),
])
def test_bad_input(setup, change, error, match):
    s = setup
    kw = dict(generators={"m": s["s2s"]}, test_pairs=s["held"], temperatures=[0.5],
              aspects=s["aspects"])
    kw.update(change)
    with pytest.raises(error, match=match):
        quality_diversity(kw.pop("generators"), kw.pop("test_pairs"), kw.pop("temperatures"),
                          **kw)


def test_grounded_generator_needs_grounding(setup):
    s = setup
    with pytest.raises(ValueError, match="grounding="):
        quality_diversity({"g": s["grounded"]}, s["held"], [0.5], aspects=s["aspects"])
    with pytest.raises(ValueError, match="one aspect per pair"):
        quality_diversity({"g": s["grounded"]}, s["held"], [0.5], aspects=s["aspects"],
                          grounding=s["grounding"][:3])
