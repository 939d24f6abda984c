"""Tests for reclib.reasons.evaluation: the harness on hand-made inputs with
known answers, and its error paths. No neural model is trained: generators
are small stand-ins, so the file runs in a few seconds."""
import math

import numpy as np
import pandas as pd
import pytest

from reclib.data import shopsim
from reclib.data.text import tokenize
from reclib.reasons.evaluation import (DIRECTION, METRICS, compare_rows, count_parameters,
                                       evaluate_reasons, ground_truth, head_to_head)
from reclib.reasons.templates import TemplateReasons


@pytest.fixture(scope="module")
def world():
    return shopsim.generate(n_users=60, n_items=25, seed=3)


@pytest.fixture(scope="module")
def pairs(world):
    """20 held-out-like pairs, with at least one item rated by several users."""
    r = world.ratings
    busy = r["item_id"].value_counts().index[0]
    rows = pd.concat([r[r["item_id"] == busy].head(4), r[r["item_id"] != busy].head(16)])
    return rows.reset_index(drop=True)


@pytest.fixture(scope="module")
def template(world):
    return TemplateReasons(seed=0).fit(world.ratings, world.items, world.users)


def true_sentence(world, user, item, rank=0):
    """A reason naming the rank-th true aspect of the pair with its true sentiment."""
    row = world.true_reasons(user, item).iloc[rank]
    word = "excellent" if row["sentiment"] == "positive" else "poor"
    return f"The {row['aspect']} is {word}.", row["aspect"]


def absent_aspect(world, item):
    return next(a for a in shopsim.ASPECTS if a not in world.item_aspect_set(item))


# ------------------------------------------------------------------ evaluate_reasons
def test_references_score_perfect_overlap(world, pairs):
    out = evaluate_reasons(world, pairs, list(pairs["text"]))
    assert list(out) == list(METRICS)
    for k in ("BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-2", "ROUGE-L"):
        assert out[k] == pytest.approx(100.0)
    assert out["FMR"] == 1.0  # every review names its own feature word


def test_true_reasons_are_faithful_and_never_hallucinate(world, pairs):
    texts, tops = zip(*(true_sentence(world, u, i) for u, i in zip(pairs.user_id, pairs.item_id)))
    out = evaluate_reasons(world, pairs, list(texts))
    assert out["faithfulness"] == 1.0
    assert out["hallucination"] == 0.0
    assert out["names aspect"] == 1.0
    assert out["FMR"] == pytest.approx(np.mean([t == a for t, a in zip(tops, pairs["aspect"])]))
    # the third-ranked aspect is outside the top-2 (m=2) but inside the top-3
    third = [true_sentence(world, u, i, rank=2)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    assert evaluate_reasons(world, pairs, third)["faithfulness"] == 0.0
    assert evaluate_reasons(world, pairs, third, m=3)["faithfulness"] == 1.0


def test_wrong_sentiment_and_absent_aspects_hallucinate(world, pairs):
    flipped = []
    for u, i in zip(pairs.user_id, pairs.item_id):
        row = world.true_reasons(u, i).iloc[0]
        word = "poor" if row["sentiment"] == "positive" else "excellent"
        flipped.append(f"The {row['aspect']} is {word}.")
    out = evaluate_reasons(world, pairs, flipped)
    assert out["hallucination"] == 1.0 and out["faithfulness"] == 0.0
    absent = [f"The {absent_aspect(world, i)} is excellent." for i in pairs.item_id]
    out = evaluate_reasons(world, pairs, absent)
    assert out["hallucination"] == 1.0 and out["faithfulness"] == 0.0


def test_constant_text_has_known_usr_personalization_and_div(world, pairs):
    n = len(pairs)
    counts = pairs["item_id"].value_counts()
    expected_personal = np.mean([1 / c for c in counts if c >= 2])
    out = evaluate_reasons(world, pairs, ["The battery lasts all day."] * n)
    assert out["USR"] == pytest.approx(1 / n)
    assert out["personalization"] == pytest.approx(expected_personal)
    assert out["DIV"] == pytest.approx(1.0)  # every pair of texts shares one feature
    assert out["FCR"] == pytest.approx(1 / len(shopsim.ASPECTS))
    nothing = evaluate_reasons(world, pairs, ["A great product."] * n)
    assert nothing["DIV"] == 0.0 and nothing["hallucination"] == 0.0
    assert nothing["FMR"] == 0.0 and nothing["names aspect"] == 0.0
    assert nothing["faithfulness"] == 0.0


def test_custom_references_feature_words_and_undefined_personalization(world, pairs):
    once = pairs.drop_duplicates("item_id").head(5).reset_index(drop=True)
    texts = ["the screen is sharp", "a b c", "the fit is poor", "x", "y"]
    out = evaluate_reasons(world, once, texts, references=texts,
                           feature_words=["screen", "fit", "fit", "value", "value"])
    assert out["BLEU-1"] == pytest.approx(100.0)
    assert out["FMR"] == pytest.approx(2 / 5)
    assert math.isnan(out["personalization"])  # no item shown to two users


def test_precomputed_truth_gives_the_same_answer(world, pairs):
    texts = [true_sentence(world, u, i)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    truth = ground_truth(world, pairs)
    assert len(truth["true_reasons"]) == len(pairs) == len(truth["item_aspects"])
    cached = evaluate_reasons(world, pairs, texts, truth=truth)
    assert cached == evaluate_reasons(world, pairs, texts)


def test_evaluate_reasons_errors(world, pairs):
    n = len(pairs)
    texts = ["The battery lasts all day."] * n
    with pytest.raises(ValueError, match="mismatched lengths"):
        evaluate_reasons(world, pairs, texts[:-1])
    with pytest.raises(ValueError, match="empty input"):
        evaluate_reasons(world, pairs.head(0), [])
    with pytest.raises(ValueError, match="single string"):
        evaluate_reasons(world, pairs, "The battery lasts all day.")
    with pytest.raises(ValueError, match=r"texts\[1\] must be a string"):
        evaluate_reasons(world, pairs, [texts[0], None] + texts[2:])
    with pytest.raises(ValueError, match="at least 2 pairs"):
        evaluate_reasons(world, pairs.head(1), texts[:1])
    with pytest.raises(ValueError, match="DataFrame"):
        evaluate_reasons(world, pairs[["user_id", "item_id"]].to_numpy(), texts)
    with pytest.raises(ValueError, match="missing column"):
        evaluate_reasons(world, pairs.drop(columns="item_id"), texts)
    with pytest.raises(ValueError, match="'text' column"):
        evaluate_reasons(world, pairs.drop(columns="text"), texts)
    with pytest.raises(ValueError, match="mismatched lengths"):
        evaluate_reasons(world, pairs, texts, references=texts[:3])
    with pytest.raises(ValueError, match="mismatched lengths"):
        evaluate_reasons(world, pairs, texts, feature_words=["battery"])
    bad = pairs.copy()
    bad.loc[0, "item_id"] = len(world.items)
    with pytest.raises(ValueError, match="unknown item id"):
        evaluate_reasons(world, bad, texts)
    with pytest.raises(ValueError, match="truth does not match"):
        evaluate_reasons(world, pairs, texts, truth=ground_truth(world, pairs.head(3)))
    with pytest.raises(ValueError, match="m must be"):
        evaluate_reasons(world, pairs, texts, m=0)


# ------------------------------------------------------------------ head_to_head
class Echo:
    """A stand-in generator: says the grounding aspect is excellent, or, when
    not grounded, always praises the same aspect."""

    def __init__(self, grounded=False, fixed="battery"):
        self.grounded, self.fixed = grounded, fixed

    def fit(self, train, items, users=None):
        self.fit_time_ = 0.25
        return self

    def param_count(self):
        if not hasattr(self, "fit_time_"):
            raise ValueError("Echo is not fitted")
        return 7

    def generate(self, users, items, aspects=None, **kw):
        self.last_kw = kw
        if aspects is not None:
            return [f"The {a[0] if isinstance(a, tuple) else a} is excellent." for a in aspects]
        return [f"The {self.fixed} is excellent."] * len(users)


def test_head_to_head_table(world, pairs, template):
    grounded = Echo(grounded=True).fit(None, None)
    grounded.fit_time_ = 1.5
    table, texts = head_to_head(
        {"template": template, "fixed": Echo(), "grounded": grounded,
         "retimed": dict(model=Echo(grounded=True).fit(None, None), fit_time=9.0, temperature=0.3)},
        world, world.ratings, pairs, template=template, generate_kw=dict(method="greedy"),
        return_texts=True)
    assert list(table.index) == ["template", "fixed", "grounded", "retimed"]
    for col in list(METRICS) + ["faithfulness+guard", "FMR+guard", "USR+guard",
                                "hallucination+guard", "rejected", "parameters", "train s"]:
        assert col in table.columns
    assert (table["hallucination+guard"] <= table["hallucination"]).all()
    assert table.loc["fixed", "USR"] == pytest.approx(1 / len(pairs))
    assert table.loc["fixed", "parameters"] == 7
    assert table.loc["grounded", "train s"] == 1.5   # the generator's own fit_time_
    assert table.loc["retimed", "train s"] == 9.0    # the override
    assert math.isnan(table.loc["template", "train s"])
    assert table.loc["template", "parameters"] == count_parameters(template)
    assert table.loc["template", "rejected"] == 0.0  # the guard accepts its own fallback
    # the grounded stand-in writes exactly the predicted aspect
    predicted = [template.predicted_aspect(u, i)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    assert texts["grounded"]["raw"] == [f"The {a} is excellent." for a in predicted]
    assert table.loc["grounded", "FMR"] == pytest.approx(
        np.mean([a == f for a, f in zip(predicted, pairs["aspect"])]))
    # the fixed aspect is absent from some items: the guard replaces those reasons
    lacking = np.mean(["battery" not in world.item_aspect_set(i) for i in pairs.item_id])
    assert lacking > 0 and table.loc["fixed", "rejected"] >= lacking
    assert table.loc["fixed", "hallucination+guard"] < table.loc["fixed", "hallucination"]
    guarded = texts["fixed"]["guarded"]
    assert table.loc["fixed", "USR+guard"] == pytest.approx(len(set(guarded)) / len(pairs))
    assert table.loc["fixed", "USR+guard"] > table.loc["fixed", "USR"]
    assert table.loc["fixed", "FMR+guard"] == pytest.approx(
        np.mean([a in tokenize(t) for t, a in zip(guarded, pairs["aspect"])]))


def test_head_to_head_grounding_fitting_and_kwargs(world, pairs, template):
    echo = Echo()
    forced = Echo(grounded=False)
    table, texts = head_to_head(
        {"fit here": echo, "forced": dict(model=forced, grounded=True, temperature=0.7)},
        world, world.ratings, pairs, template=template, grounding=["screen"] * len(pairs),
        generate_kw=dict(method="sample", temperature=0.5), return_texts=True)
    assert table.loc["fit here", "train s"] >= 0 and hasattr(echo, "fit_time_")  # fitted and timed
    assert forced.last_kw == dict(method="sample", temperature=0.7)  # entry overrides defaults
    # the entry's grounded=True passed the grounding to an ungrounded generator
    assert texts["forced"]["raw"] == ["The screen is excellent."] * len(pairs)


def test_head_to_head_errors(world, pairs, template):
    with pytest.raises(ValueError, match="non-empty dict"):
        head_to_head({}, world, world.ratings, pairs, template=template)
    with pytest.raises(ValueError, match="no 'model' key"):
        head_to_head({"x": dict(grounded=True)}, world, world.ratings, pairs, template=template)
    with pytest.raises(ValueError, match="no generate method"):
        head_to_head({"x": object()}, world, world.ratings, pairs, template=template)
    with pytest.raises(ValueError, match="mismatched lengths"):
        head_to_head({"x": Echo(grounded=True)}, world, world.ratings, pairs, template=template,
                     grounding=["battery"])
    with pytest.raises(ValueError, match="template is not fitted"):
        head_to_head({"x": Echo()}, world, world.ratings, pairs, template=TemplateReasons())
    with pytest.raises(ValueError, match="missing column"):
        head_to_head({"x": Echo()}, world, world.ratings, pairs.drop(columns="aspect"),
                     template=template)
    with pytest.raises(ValueError, match="at least 2"):
        head_to_head({"x": Echo()}, world, world.ratings, pairs.head(1), template=template)
    with pytest.raises(ValueError, match="generate_kw must be a dict"):
        head_to_head({"x": Echo()}, world, world.ratings, pairs, template=template,
                     generate_kw=["greedy"])


def test_count_parameters(template):
    ev = template.evidence_
    assert count_parameters(template) == ev.user_pref.size + ev.item_sentiment.size
    assert count_parameters(Echo().fit(None, None)) == 7
    with pytest.raises(ValueError, match="param_count"):
        count_parameters(object())
    with pytest.raises(ValueError, match="not fitted"):
        count_parameters(TemplateReasons())


# ------------------------------------------------------------------ compare_rows
def test_compare_rows_verdicts():
    table = pd.DataFrame({"USR": [0.8, 0.9], "DIV": [0.20, 0.30], "FMR": [0.71, 0.70],
                          "hallucination": [0.05, 0.01], "parameters": [10, 10]},
                         index=["GAN", "MLE"])
    cmp = compare_rows(table, "GAN", "MLE", noise={"FMR": 0.02})
    v = cmp["verdict"]
    assert v["USR"] == "MLE better"              # higher is better
    assert v["DIV"] == "GAN better"              # lower is better
    assert v["FMR"] == "tie"                     # within the noise band
    assert v["hallucination"] == "MLE better"    # lower is better
    assert v["parameters"] == "tie"              # equal
    assert cmp.loc["USR", "difference"] == pytest.approx(-0.1)
    assert cmp.loc["FMR", "noise"] == 0.02 and cmp.loc["USR", "noise"] == 0.0
    assert list(cmp.columns) == ["GAN", "MLE", "difference", "noise", "verdict"]
    # without a band, the same FMR difference is a win
    assert compare_rows(table, "GAN", "MLE", columns=["FMR"])["verdict"]["FMR"] == "GAN better"
    nan = table.astype(float)
    nan.loc["GAN", "USR"] = float("nan")
    assert compare_rows(nan, "GAN", "MLE", columns=["USR"])["verdict"]["USR"] == "undefined"
    assert set(DIRECTION) >= set(METRICS)


def test_compare_rows_errors():
    table = pd.DataFrame({"USR": [0.8, 0.9], "mystery": [1, 2]}, index=["a", "b"])
    with pytest.raises(ValueError, match="no row 'c'"):
        compare_rows(table, "a", "c")
    with pytest.raises(ValueError, match="unknown direction"):
        compare_rows(table, "a", "b", columns=["mystery"])
    with pytest.raises(ValueError, match="no column 'FMR'"):
        compare_rows(table, "a", "b", columns=["FMR"])
    with pytest.raises(ValueError, match="noise"):
        compare_rows(table, "a", "b", noise={"USR": -1})
    with pytest.raises(ValueError, match="DataFrame"):
        compare_rows(table.to_dict(), "a", "b")
    with pytest.raises(ValueError, match="no columns"):
        compare_rows(table[["mystery"]], "a", "b")
