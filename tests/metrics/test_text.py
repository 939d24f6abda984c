"""Tests for reclib.metrics.text."""
import itertools
import math

import pandas as pd
import pytest

from reclib.metrics.text import (NEGATIVE_CUES, POSITIVE_CUES, bleu, div, extract_aspects,
                                 faithful_each, faithfulness, fcr, fmr, hallucination_rate, personalization,
                                 rouge, text_report, usr)

ASPECTS = ["battery", "screen", "sound", "value", "weight"]


# ------------------------------------------------------------------ BLEU / ROUGE
def test_bleu1_hand_computed():
    # unigram precision 1, brevity penalty exp(1 - 3/2)
    assert bleu(["the cat sat"], ["the cat"], n=1) == pytest.approx(100 * math.exp(-0.5))
    # corpus level: counts are pooled, precision (2 + 1) / (2 + 2), no brevity penalty
    assert bleu(["a b", "c d"], ["a b", "c x"], n=1) == pytest.approx(75.0)


def test_bleu4_perfect_and_zero():
    refs = ["the battery lasts all day .", "the screen is bright and sharp"]
    assert bleu(refs, refs, n=4) == pytest.approx(100.0)
    assert bleu(refs, ["x y z w v", "p q r s t"], n=4) == 0.0
    # no smoothing (as in PETER): one n-gram order without matches gives 0
    assert bleu(["a b c d"], ["a c b d"], n=4) == 0.0
    assert bleu(["a b c d"], ["a c b d"], n=1) == pytest.approx(100.0)
    # case and spacing of punctuation do not matter: same tokens
    same = bleu(["The battery lasts all day."], ["the battery lasts all day ."])
    assert same == pytest.approx(100)


def test_bleu_char_level_chinese():
    ref, hyp = ["电池续航很长"], ["电池很长"]
    # 4 characters, all in the reference; BP = exp(1 - 6/4)
    assert bleu(ref, hyp, n=1, level="char") == pytest.approx(100 * math.exp(1 - 6 / 4))


def test_rouge_hand_computed():
    r = rouge(["the battery lasts all day"], ["the battery is weak"])
    # unigrams: overlap 2, P = 2/4, R = 2/5; bigrams: overlap 1, P = 1/3, R = 1/4
    assert r["rouge1"] == pytest.approx(100 * 2 * 0.5 * 0.4 / 0.9)
    assert r["rouge2"] == pytest.approx(100 * 2 / 7)
    assert r["rougeL"] == pytest.approx(r["rouge1"])


def test_rouge_averages_pairs_and_handles_chinese():
    r = rouge(["a b", "c d"], ["a b", "x y"])
    assert r == pytest.approx({"rouge1": 50.0, "rouge2": 50.0, "rougeL": 50.0})
    zh = rouge(["电池续航很长"], ["电池续航很长"], level="char")
    assert zh["rougeL"] == pytest.approx(100.0)


@pytest.mark.parametrize("fn", [bleu, rouge])
@pytest.mark.parametrize("refs,hyps,msg", [
    (["a"], ["a", "b"], "mismatched lengths"),
    ([], [], "is empty"),
    ("a b", ["a b"], "not a single string"),
    (["a", None], ["a", "b"], "only strings"),
])
def test_bleu_rouge_bad_input(fn, refs, hyps, msg):
    with pytest.raises(ValueError, match=msg):
        fn(refs, hyps)


@pytest.mark.parametrize("n", [0, 5, 2.0])
def test_bleu_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        bleu(["a"], ["a"], n=n)


def test_unknown_level():
    with pytest.raises(ValueError, match="unknown tokenization level"):
        bleu(["a"], ["a"], level="bpe")


# ------------------------------------------------------------------ USR / FMR / FCR / DIV
def test_usr():
    texts = ["Great battery.", "great battery .", "Bad screen", "bad  screen", "nice"]
    assert usr(texts) == pytest.approx(3 / 5)
    assert usr(["same"] * 4) == pytest.approx(1 / 4)


def test_fmr_whole_tokens_only():
    texts = ["the battery is great", "batteries are great", "nice screen", "电池很好"]
    assert fmr(texts[:3], ["battery", "battery", "screen"]) == pytest.approx(2 / 3)
    assert fmr(["电池很好", "屏幕很好"], ["电池", "电池"], level="char") == 0.5
    assert fmr(["long battery life"], ["battery life"]) == 1.0  # multi-word feature


def test_fcr():
    texts = ["battery and screen", "battery again", "nothing here"]
    assert fcr(texts, ["battery", "screen", "sound", "value"]) == pytest.approx(2 / 4)
    assert fcr(texts, ["battery", "battery", "screen"]) == pytest.approx(1.0)  # duplicates ignored


def _peter_feature_diversity(feature_batch):
    """PETER's utils.feature_diversity, rewritten as a reference."""
    n = len(feature_batch)
    total = sum(len(x & y) for x, y in itertools.combinations(feature_batch, 2))
    return total / (n * (n - 1) / 2)


def test_div_matches_peter_definition():
    texts = ["battery and screen", "battery", "screen and sound and battery", "nothing", "value"]
    sets = [{"battery", "screen"}, {"battery"}, {"screen", "sound", "battery"}, set(), {"value"}]
    # pairs: (0,1)=1 (0,2)=2 (1,2)=1, others 0 -> 4 / 10
    assert div(texts, ASPECTS) == pytest.approx(0.4)
    assert div(texts, ASPECTS) == pytest.approx(_peter_feature_diversity(sets))
    assert div(["battery", "screen", "sound"], ASPECTS) == 0.0
    assert div(["battery screen"] * 3, ASPECTS) == pytest.approx(2.0)  # a count, not a ratio


def test_div_random_against_pairwise():
    import random
    rnd = random.Random(0)
    texts = [" ".join(rnd.sample(ASPECTS + ["x", "y", "z"], 3)) for _ in range(40)]
    sets = [set(t.split()) & set(ASPECTS) for t in texts]
    assert div(texts, ASPECTS) == pytest.approx(_peter_feature_diversity(sets))


@pytest.mark.parametrize("call,msg", [
    (lambda: usr([]), "is empty"),
    (lambda: fmr(["a", "b"], ["a"]), "mismatched lengths"),
    (lambda: fmr(["a"], "a"), "one feature word per text"),
    (lambda: fmr(["a"], [""]), "non-empty"),
    (lambda: fcr(["a"], []), "no feature words"),
    (lambda: fcr(["a"], "battery"), "not a single string"),
    (lambda: div(["battery"], ASPECTS), "at least 2 texts"),
    (lambda: div(["a", "b"], [None]), "must hold strings"),
])
def test_literature_metric_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_text_report_keys():
    rep = text_report(["the battery lasts", "the screen is dim"],
                      ["the battery lasts", "the sound is dim"],
                      ["battery", "screen"], ASPECTS)
    assert set(rep) == {"bleu1", "bleu4", "rouge1", "rouge2", "rougeL", "usr", "fmr", "fcr", "div"}
    assert rep["fmr"] == 0.5 and rep["fcr"] == pytest.approx(2 / 5) and rep["div"] == 0.0


# ------------------------------------------------------------------ aspect extraction
@pytest.mark.parametrize("text,expected", [
    ("The battery lasts all day.", [("battery", "positive")]),
    ("The battery drains far too fast.", [("battery", "negative")]),
    ("The screen is not great", [("screen", "negative")]),
    ("The sound isn't bad at all", [("sound", "positive")]),
    ("The speed never lets me down", []),  # speed is not in ASPECTS
    ("Great value, but the battery is weak.", [("value", "positive"), ("battery", "negative")]),
    ("The weight is barely noticeable", [("weight", "positive")]),
    ("It fell apart, so much for the screen.", [("screen", "negative")]),
    ("The battery.", [("battery", None)]),
    ("Nice phone.", []),
])
def test_extract_aspects(text, expected):
    assert extract_aspects(text, ASPECTS) == expected


def test_extract_aspects_synonyms_and_custom_cues():
    kw = {"battery": ["battery", "charge"]}
    assert extract_aspects("I rarely need to charge it", kw) == [("battery", "positive")]
    assert extract_aspects("the battery is meh", ["battery"], negative_cues=["meh"]) == \
        [("battery", "negative")]


def test_extract_aspects_chinese():
    kw = {"battery": ["电池", "续航"], "screen": ["屏幕"]}
    got = extract_aspects("电池续航很长，通勤很方便", kw, level="char")
    assert got == [("battery", "positive")]
    # "不错" (not bad) is positive; the negator flips "清晰" (clear)
    assert extract_aspects("电池不错，但屏幕不清晰", kw, level="char") == \
        [("battery", "positive"), ("screen", "negative")]


def test_cue_lists_are_disjoint():
    assert not set(NEGATIVE_CUES) & set(POSITIVE_CUES)


def test_extract_aspects_on_shopsim_phrase_bank():
    shopsim = pytest.importorskip("reclib.data.shopsim")
    phrases = getattr(shopsim, "PHRASES", None)
    if phrases is None:
        pytest.skip("ShopSim has no phrase bank")
    total = right = wrong = 0
    for aspect, by_sent in phrases.items():
        for sent, texts in by_sent.items():
            for t in texts:
                got = extract_aspects(t.format(context="my commute", brand="Acme", Brand="Acme",
                                               category="phone", this="this", This="This"),
                                      list(phrases))
                total += 1
                right += got == [(aspect, sent)]
                wrong += any(a == aspect and s is not None and s != sent for a, s in got)
    assert right / total >= 0.95
    assert wrong == 0


@pytest.mark.parametrize("args,msg", [
    ((None, ASPECTS), "text must be a string"),
    (("battery", "battery"), "not a single string"),
    (("battery", []), "no aspects"),
    (("battery", {"battery": [""]}), "non-empty string"),
])
def test_extract_aspects_errors(args, msg):
    with pytest.raises(ValueError, match=msg):
        extract_aspects(*args)


# ------------------------------------------------------------------ ground truth
P, N = "positive", "negative"


def test_faithfulness():
    true_top = [[("battery", P), ("screen", N), ("value", P)]] * 4
    mentioned = [
        [("battery", P)],                 # faithful
        [("battery", P), ("value", P)],   # faithful with m=3, not with m=2
        [("screen", P)],                  # wrong sign
        [],                               # says nothing: not faithful
    ]
    assert faithfulness(mentioned, true_top) == pytest.approx(2 / 4)
    assert faithfulness(mentioned, true_top, m=2) == pytest.approx(1 / 4)
    assert faithfulness([[("battery", 1)]], [[("battery", "positive")]]) == 1.0
    assert faithfulness([[("battery", None)]], [[("battery", P)]]) == 0.0
    each = faithful_each(mentioned, true_top, m=2)
    assert each.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert faithful_each(mentioned, true_top).mean() == faithfulness(mentioned, true_top)
    with pytest.raises(ValueError, match="mismatched lengths"):
        faithful_each(mentioned, true_top[:2])


def test_faithfulness_accepts_true_reasons_dataframe():
    df = pd.DataFrame({"aspect": ["screen", "battery"], "contribution": [-0.8, 0.3],
                       "sentiment": [N, P]})
    assert faithfulness([[("screen", N)], [("battery", P)]], [df, df], m=1) == pytest.approx(0.5)


def test_hallucination_rate():
    has = [{"battery", "screen"}] * 4
    signs = [{"battery": P, "screen": N}] * 4
    mentioned = [
        [("battery", P)],            # fine
        [("sound", P)],              # item has no sound
        [("screen", P)],             # wrong sign
        [("battery", None)],         # unknown sign: not counted as wrong
    ]
    assert hallucination_rate(mentioned, has, signs) == pytest.approx(2 / 4)
    assert hallucination_rate(mentioned, has) == pytest.approx(1 / 4)  # presence only
    assert hallucination_rate([[]], [{"battery"}]) == 0.0


def test_personalization():
    users = [1, 2, 3, 1, 2, 9]
    items = ["a", "a", "a", "b", "b", "c"]
    texts = ["x", "X", "y", "z", "z", "w"]  # a: 2 distinct of 3, b: 1 of 2, c: skipped
    assert personalization(users, items, texts) == pytest.approx((2 / 3 + 1 / 2) / 2)


@pytest.mark.parametrize("call,msg", [
    (lambda: faithfulness([[("battery", P)]], []), "mismatched lengths"),
    (lambda: faithfulness([], []), "empty input"),
    (lambda: faithfulness([[("battery", "good")]], [[("battery", P)]]), "sentiment must be"),
    (lambda: faithfulness([[("battery", P)]], [[("battery", P)]], m=0), "m must be"),
    (lambda: faithfulness([["battery"]], [[("battery", P)]]), "pairs"),
    (lambda: faithfulness([[("a", P)]], [pd.DataFrame({"aspect": ["a"]})]), "lacks column"),
    (lambda: hallucination_rate([[("battery", P)]], [{"battery"}], [{"screen": P}]),
     "no sentiment for aspect 'battery'"),
    (lambda: hallucination_rate([[("battery", P)]], ["battery"]), "got a string"),
    (lambda: hallucination_rate([[("battery", P)]], [{"battery"}], []), "mismatched"),
    (lambda: personalization([1, 1], ["a", "a"], ["x", "y"]), "duplicate"),
    (lambda: personalization([1, 2], ["a", "b"], ["x", "y"]), "at least 2 users"),
    (lambda: personalization([1, 2], ["a"], ["x", "y"]), "mismatched"),
])
def test_ground_truth_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_shopsim_reviews_are_faithful_and_a_fixed_reason_is_not():
    """End to end on ShopSim's ground truth: real reviews name the top reasons."""
    shopsim = pytest.importorskip("reclib.data.shopsim")
    if not all(hasattr(shopsim, n) for n in ("generate", "ASPECTS")):
        pytest.skip("ShopSim API not available")
    w = shopsim.generate(n_users=60, n_items=40, seed=3)
    r = w.ratings.head(200)
    truth = [w.true_reasons(u, i) for u, i in zip(r.user_id, r.item_id)]
    has = [w.item_aspect_set(i) for i in r.item_id]
    ment = [extract_aspects(t, shopsim.ASPECTS) for t in r.text]
    assert faithfulness(ment, truth, m=2) >= 0.95
    assert hallucination_rate(ment, has, truth) == 0.0
    fixed = [[("battery", P)]] * len(r)
    assert faithfulness(fixed, truth, m=2) < 0.5
    assert hallucination_rate(fixed, has, truth) > 0.3
